/**
 * The board page: top bar, tool rail, canvas, presence, connection state, side panel.
 * On narrow screens (tablet portrait) the panel lies over the canvas, below the top bar;
 * it stays open or closed across parts and rounds, Escape closes it. Placing an actor
 * opens it with the name selected, so that typing names the actor; a double tap opens an
 * actor's or note's details the same way.
 */
import type { Document } from "../core/document";
import { ACTOR_KINDS, STANCES } from "../core/schema";
import { BoardInput, NUDGE, type InputHost, type Tool } from "../board/input";
import { BoardRenderer, type PeerMark } from "../board/render";
import { INK_PALETTE, NOTE_PALETTE, actorRadius, peerColour } from "../board/style";
import { BoardConnection } from "../sync/connection";
import { OfflineStore } from "../sync/offline";
import { h, icon } from "./dom";
import { detailsPanel } from "./details";
import { lang, setLang, t, type Key } from "./i18n";
import { legendPanel } from "./legend";
import { listPanel } from "./list";
import { clearSession, clientId, randomId, type Session } from "./session";
import "../analysis/analysis.css";
import { TabletAnalysis } from "../analysis/tablet";
import { at } from "../analysis/i18n";

const TOOLS: { tool: Tool; key: Key; icon: string; hint: Key | null; shortcut: string }[] = [
  { tool: "select", key: "tool.select", icon: "select", hint: null, shortcut: "v" },
  { tool: "actor", key: "tool.actor", icon: "actor", hint: "hint.actor", shortcut: "a" },
  { tool: "relation", key: "tool.relation", icon: "relation", hint: "hint.relation", shortcut: "r" },
  { tool: "note", key: "tool.note", icon: "note", hint: "hint.note", shortcut: "n" },
  { tool: "ink", key: "tool.ink", icon: "ink", hint: "hint.ink", shortcut: "p" },
];

type Tab = "details" | "list" | "legend" | "analysis";

const NARROW = "(max-width: 900px)";
/** Whether the panel is open, kept across the page's rebuilds (parts, rounds) in this tab;
 *  null: open on wide screens, closed on narrow ones until the person chooses. */
let panelOpen: boolean | null = null;

export class BoardPage implements InputHost {
  readonly conn: BoardConnection;
  readonly renderer: BoardRenderer;
  tool: Tool = "select";
  selected: string | null = null;
  connectFrom: string | null = null;
  tab: Tab = "details";
  private frame = 0;
  private panelFrame = 0;
  private fitted = false;
  inkColourValue = INK_PALETTE[0]!;
  private readonly el: {
    root: HTMLElement;
    status: HTMLElement;
    peers: HTMLElement;
    hint: HTMLElement;
    tools: Map<Tool, HTMLButtonElement>;
    undo: HTMLButtonElement;
    redo: HTMLButtonElement;
    panel: HTMLElement;
    tabs: Map<Tab, HTMLButtonElement>;
    tabPanel: HTMLElement;
    svg: SVGSVGElement;
    panelBtn: HTMLButtonElement;
  };
  private detailsFor: string | null | undefined = undefined;
  private detailsUpdate: (() => void) | null = null;
  /** The analysis layer: off until the group switches it on. */
  readonly analysis: TabletAnalysis;
  private chrome = new Set<() => void>();
  private colour: string;

  constructor(
    private readonly root: HTMLElement,
    readonly session: Session,
    wsUrl: string,
    private readonly onMoved: (board: string) => void = () => {},
  ) {
    this.conn = new BoardConnection({
      url: wsUrl,
      token: session.token,
      board: session.board,
      clientId: clientId(),
      name: session.nickname,
      store: new OfflineStore(safeLocalStorage()),
    });
    this.analysis = new TabletAnalysis(session.board, session.token, (on) => this.analysisChanged(on));
    this.colour = peerColour(this.conn.clientId);
    const svgEl = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svgEl.setAttribute("id", "board-canvas");
    svgEl.setAttribute("role", "img");
    this.renderer = new BoardRenderer(svgEl);
    this.el = this.build(svgEl);
    new BoardInput(this);
    this.conn.on((kind) => {
      if (kind === "status" || kind === "pending") this.renderStatus();
      if (kind === "presence") this.renderPeers();
      if (kind === "access") this.renderAccess();
      if (kind === "moved" && this.conn.movedTo) this.onMoved(this.conn.movedTo);
      if (kind === "doc") this.analysis.docChanged();
      if (kind === "doc" && !this.fitted && this.conn.status === "connected") {
        this.fitted = true;
        requestAnimationFrame(() => this.fit());
      }
      this.requestRender(kind === "doc");
    });
    document.addEventListener("keydown", this.keydown);
    window.addEventListener("resize", this.resized);
    this.conn.setPresence({ colour: this.colour, sel: [] });
    this.conn.start();
    this.renderStatus();
    this.renderPeers();
    this.requestRender(true);
    (window as unknown as { schakel: unknown }).schakel = this.testApi();
  }

  get doc(): Document {
    return this.conn.replica.doc;
  }

  private resized = (): void => this.requestRender(false);

  /** The page goes (another board, another route): its connection and listeners with it. */
  close(): void {
    this.conn.close();
    document.removeEventListener("keydown", this.keydown);
    window.removeEventListener("resize", this.resized);
    this.chrome.clear();
  }

  // ------------------------------------------------------------------ layout

  private build(svgEl: SVGSVGElement) {
    const status = h("div", { class: "status", id: "status", role: "status", "aria-live": "polite" });
    const peers = h("ul", { class: "peers", id: "peers", "aria-label": t("presence.here") });
    const undo = h("button", { class: "iconbtn", id: "undo", type: "button", title: t("undo"), "aria-label": t("undo") }, icon("undo")) as HTMLButtonElement;
    const redo = h("button", { class: "iconbtn", id: "redo", type: "button", title: t("redo"), "aria-label": t("redo") }, icon("redo")) as HTMLButtonElement;
    undo.addEventListener("click", () => this.undo());
    redo.addEventListener("click", () => this.redo());
    const langBtn = h("button", { class: "textbtn", id: "lang", type: "button", lang: lang() === "nl" ? "en" : "nl" }, t("lang.switch"));
    langBtn.addEventListener("click", () => {
      setLang(lang() === "nl" ? "en" : "nl");
      this.relabel();
    });
    const panelBtn = h("button", { class: "iconbtn", id: "panel-toggle", type: "button", "aria-controls": "panel" }, icon("panel"));
    panelBtn.addEventListener("click", () => this.setPanel(!this.panelIsOpen));
    const title = this.session.title || t("board.title");
    const header = h(
      "header",
      { class: "topbar" },
      h(
        "div",
        { class: "topbar-main" },
        h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), h("h1", { id: "board-title", title }, title)),
        h("div", { class: "slot-head" }),
        h("div", { class: "actions" }, undo, redo, this.analysis.button(), langBtn, panelBtn),
      ),
      h("div", { class: "topbar-sub" }, h("div", { class: "slot-sub" }), peers, status),
    );
    const tools = new Map<Tool, HTMLButtonElement>();
    // A landmark (nav) holding the toolbar: every part of the page lies in a landmark.
    const toolbar = h("div", { class: "toolbar-items", role: "toolbar", "aria-label": t("tool.group"), "aria-orientation": "vertical" });
    const rail = h("nav", { class: "toolbar", "aria-label": t("tool.group") }, toolbar);
    for (const d of TOOLS) {
      const b = h("button", { class: "tool", type: "button", "data-tool": d.tool, "aria-pressed": String(d.tool === this.tool), title: t(d.key), "aria-label": t(d.key) }, icon(d.icon), h("span", { class: "caption" }, t(`cap.${d.tool}` as Key))) as HTMLButtonElement;
      b.addEventListener("click", () => this.setTool(d.tool));
      tools.set(d.tool, b);
      toolbar.append(b);
    }
    toolbar.append(h("div", { class: "sep", role: "separator" }));
    const zoom = (name: string, key: Key, fn: () => void, id: string) => {
      const b = h("button", { class: "tool small", type: "button", id, title: t(key), "aria-label": t(key), "data-key": key }, icon(name));
      b.addEventListener("click", fn);
      return b;
    };
    toolbar.append(
      zoom("zoomIn", "zoom.in", () => this.zoomBy(1.25), "zoom-in"),
      zoom("zoomOut", "zoom.out", () => this.zoomBy(0.8), "zoom-out"),
      zoom("fit", "zoom.fit", () => this.fit(), "zoom-fit"),
    );
    svgEl.setAttribute("aria-label", t("board.canvas"));
    const hint = h("div", { class: "hint-bar", id: "hint", "aria-live": "polite" });
    const canvas = h("main", { class: "canvas-wrap", id: "canvas" }, svgEl as unknown as Node, hint);
    const tabs = new Map<Tab, HTMLButtonElement>();
    const tablist = h("div", { class: "tabs", role: "tablist" });
    const tabNames: [Tab, string][] = [["details", t("panel.details")], ["list", t("panel.list")], ["legend", t("panel.legend")]];
    if (this.analysis.on) tabNames.push(["analysis", at("layer.on")]);
    for (const [tab, name] of tabNames) {
      const b = h("button", { role: "tab", type: "button", id: `tab-${tab}`, "aria-controls": "tabpanel", "aria-selected": String(tab === this.tab) }, name) as HTMLButtonElement;
      b.addEventListener("click", () => this.showTab(tab));
      tabs.set(tab, b);
      tablist.append(b);
    }
    const close = h("button", { class: "iconbtn panel-close", id: "panel-close", type: "button", title: t("panel.close"), "aria-label": t("panel.close") }, "✕");
    close.addEventListener("click", () => this.setPanel(false));
    // Focusable: it scrolls, and on a locked board nothing in it can take the focus.
    const tabPanel = h("section", { class: "tabpanel", id: "tabpanel", role: "tabpanel", "aria-labelledby": "tab-details", tabindex: 0 });
    const panel = h("aside", { class: "panel", id: "panel", "aria-label": t("panel.details") }, h("div", { class: "panel-head" }, tablist, close), tabPanel);
    const root = h("div", { class: "board-page" }, header, rail, canvas, panel);
    this.root.replaceChildren(root);
    const el = { root, status, peers, hint, tools, undo, redo, panel, tabs, tabPanel, svg: svgEl, panelBtn };
    this.applyPanel(el);
    return el;
  }

  /** Where the workshop bar goes: the top bar's two rows, and over the canvas. */
  slots(): { head: HTMLElement; sub: HTMLElement; canvas: HTMLElement } {
    const r = this.el.root;
    return { head: r.querySelector(".slot-head")!, sub: r.querySelector(".slot-sub")!, canvas: r.querySelector("#canvas")! };
  }

  /** Call `fn` whenever the page's chrome was rebuilt (a new language); returns its off. */
  onChrome(fn: () => void): () => void {
    this.chrome.add(fn);
    return () => this.chrome.delete(fn);
  }

  get panelIsOpen(): boolean {
    return panelOpen ?? !window.matchMedia(NARROW).matches;
  }

  /** Open or close the side panel; the choice holds for the rest of the workshop. */
  setPanel(open: boolean): void {
    const was = this.panelIsOpen;
    panelOpen = open;
    this.applyPanel(this.el);
    if (open && !was) this.renderPanel();
    if (!open && was && this.el.panel.contains(document.activeElement)) this.el.panelBtn.focus();
    this.requestRender(false);
  }

  private applyPanel(el: { root: HTMLElement; panelBtn: HTMLElement }): void {
    const open = this.panelIsOpen;
    el.root.classList.toggle("panel-hidden", !open);
    el.panelBtn.setAttribute("aria-expanded", String(open));
    el.panelBtn.setAttribute("aria-label", t(open ? "panel.hide" : "panel.show"));
    el.panelBtn.title = t(open ? "panel.hide" : "panel.show");
  }

  private relabel(): void {
    // Rebuild the chrome in the new language; the connection and replica stay.
    const svgEl = this.el.svg;
    const fresh = this.build(svgEl);
    Object.assign(this.el, fresh);
    this.detailsFor = undefined;
    this.setTool(this.tool);
    this.renderStatus();
    this.renderPeers();
    this.renderAccess();
    this.requestRender(true);
    for (const fn of this.chrome) fn();
  }

  // ------------------------------------------------------------------ render

  requestRender(panel: boolean): void {
    if (panel && !this.panelFrame) {
      this.panelFrame = requestAnimationFrame(() => {
        this.panelFrame = 0;
        this.renderPanel();
      });
    }
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderBoard();
    });
  }

  private renderBoard(): void {
    const peers: PeerMark[] = [...this.conn.peers.values()].map((p) => ({ client: p.client, name: p.name, ...p.data }));
    if (this.selected && !this.doc.isVisible(this.selected)) this.selected = null;
    if (this.connectFrom && !this.doc.isVisible(this.connectFrom)) this.connectFrom = null;
    this.renderer.render(this.doc, {
      selected: new Set(this.selected ? [this.selected] : []),
      connectFrom: this.connectFrom,
      peers,
      roleLabel: (r) => t(`role.${r}` as Key),
      questionLabel: (ref) => this.questionLabel(ref),
    });
    this.analysis.draw(this.renderer, this.doc);
    // Undo and redo do nothing while the boards are locked: they say so.
    this.el.undo.disabled = !this.canEdit || !this.conn.replica.canUndo();
    this.el.redo.disabled = !this.canEdit || !this.conn.replica.canRedo();
    this.el.undo.title = t(this.canEdit ? "undo" : "undo.locked");
    this.renderHint();
  }

  /** The questions of this board's round(s): what a note can answer (from the workshop bar). */
  questions: { ref: string; text: string; tag: string }[] = [];

  setQuestions(questions: { ref: string; text: string; tag: string }[]): void {
    if (JSON.stringify(questions) === JSON.stringify(this.questions)) return;
    this.questions = questions;
    this.detailsFor = undefined;
    this.requestRender(true);
  }

  questionLabel(ref: string): string | null {
    return this.questions.find((q) => q.ref === ref)?.tag ?? null;
  }

  private renderPanel(): void {
    if (!this.panelIsOpen) return;
    const panel = this.el.tabPanel;
    panel.setAttribute("aria-labelledby", `tab-${this.tab}`);
    if (this.tab === "details") {
      if (this.detailsFor !== this.selected || !this.detailsUpdate || !panel.firstChild) {
        this.detailsFor = this.selected;
        const { node, update } = detailsPanel(this, this.selected);
        panel.replaceChildren(node);
        this.detailsUpdate = update;
      }
      this.detailsUpdate?.();
    } else if (this.tab === "analysis") {
      this.detailsFor = undefined;
      panel.replaceChildren(this.analysis.panel());
    } else {
      this.detailsFor = undefined;
      const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
      panel.replaceChildren(this.tab === "list" ? listPanel(this) : legendPanel());
      if (focusKey) (panel.querySelector(`[data-key="${CSS.escape(focusKey)}"]`) as HTMLElement | null)?.focus();
    }
  }

  /** The analysis layer was switched, or its result arrived. */
  private analysisChanged(on: boolean): void {
    const hasTab = this.el.tabs.has("analysis");
    if (on !== hasTab) {
      // The tab comes and goes with the layer: rebuild the chrome (connection stays).
      if (!on && this.tab === "analysis") this.tab = "details";
      if (on) this.tab = "analysis";
      this.relabel();
      if (on) this.setPanel(true); // the questions beside the map (close it to see the marks)
      return;
    }
    this.requestRender(true);
  }

  showTab(tab: Tab): void {
    this.tab = tab;
    for (const [k, b] of this.el.tabs) b.setAttribute("aria-selected", String(k === tab));
    this.detailsFor = undefined;
    this.renderPanel();
  }

  private renderStatus(): void {
    const s = this.conn.status;
    const n = this.conn.pendingObjects;
    const el = this.el.status;
    el.dataset.status = s;
    el.dataset.pending = String(n);
    const gone = s === "failed" && this.conn.failure?.code === "not_found";
    // The hub speaks a newer protocol and this page already reloaded lately (close 4426).
    const updated = s === "failed" && this.conn.failure?.code === "version_mismatch";
    let text = gone ? t("status.gone") : updated ? t("status.updated") : s === "failed" ? t("status.failed", { reason: this.conn.failure?.reason ?? "" }) : t(`status.${s}` as Key);
    if (s === "connected" && !this.canEdit) text += " — " + t("status.readonly");
    if (s !== "connected" && n > 0) text += " — " + (n === 1 ? t("status.pending1") : t("status.pending", { n }));
    el.replaceChildren(h("span", { class: "dot", "aria-hidden": "true" }), text);
    el.dataset.gone = String(gone);
    if (gone) {
      // Nothing of it stays on this device: not the map, not the way back to it.
      clearSession();
    } else if (updated) {
      const reload = h("button", { type: "button", class: "small", id: "reload" }, t("status.reload"));
      reload.addEventListener("click", () => location.reload());
      el.append(" ", reload);
    } else if (s === "failed") {
      // The token expired or the workshop is gone: offer to join again.
      const again = h("a", { href: `/join/${encodeURIComponent(this.session.code)}`, class: "rejoin" }, t("goto.join"));
      el.append(" ", again);
    }
  }

  private renderPeers(): void {
    const list = this.el.peers;
    const swatch = (colour: string) => {
      const el = h("span", { class: "swatch", "aria-hidden": "true" });
      el.style.setProperty("background", colour);
      return el;
    };
    const me = h("li", { class: "peer me", "data-colour": this.colour }, swatch(this.colour), t("presence.you", { name: this.session.nickname }));
    const others = new Map<string, { name: string; client: string; colour: string }>();
    for (const p of this.conn.peers.values()) if (p.client !== this.conn.clientId) others.set(p.client, { name: p.name, client: p.client, colour: p.data.colour || peerColour(p.client) });
    list.replaceChildren(me, ...[...others.values()].map((p) => h("li", { class: "peer", "data-client": p.client, "data-colour": p.colour }, swatch(p.colour), p.name)));
  }

  /** My colour for cursor, selection and the list of people (my seat in my group). */
  setColour(colour: string): void {
    if (colour === this.colour) return;
    this.colour = colour;
    this.conn.setPresence({ colour });
    this.renderPeers();
  }

  private renderHint(): void {
    let text = "";
    if (this.tool === "relation" && this.connectFrom) {
      const label = String(this.doc.get(this.connectFrom)?.label ?? "") || t("list.unnamed");
      text = t("hint.relationFrom", { name: label });
    } else {
      const d = TOOLS.find((x) => x.tool === this.tool);
      text = d?.hint ? t(d.hint) : "";
    }
    if (this.el.hint.textContent !== text) this.el.hint.textContent = text;
    this.el.hint.hidden = !text;
  }

  /** The hub decides who may write (a locked board, another part of the programme). */
  get canEdit(): boolean {
    return this.conn.writable;
  }

  private renderAccess(): void {
    // The details' controls are disabled on a read-only board: rebuild them when that changes.
    if (this.el.root.classList.contains("read-only") === this.canEdit) this.detailsFor = undefined;
    this.el.root.classList.toggle("read-only", !this.canEdit);
    if (!this.canEdit && this.tool !== "select") this.setTool("select");
    this.renderStatus();
    this.requestRender(true);
  }

  // ----------------------------------------------------------------- actions

  setTool(tool: Tool): void {
    this.tool = this.canEdit ? tool : "select";
    if (tool !== "relation") this.connectFrom = null;
    for (const [k, b] of this.el.tools) b.setAttribute("aria-pressed", String(k === tool));
    this.el.svg.dataset.tool = tool;
    this.requestRender(false);
  }

  select(id: string | null): void {
    this.selected = id;
    this.conn.setPresence({ sel: id ? [id] : [] });
    if (id && this.tab !== "details" && this.tab !== "list" && this.tab !== "analysis") this.showTab("details");
    this.requestRender(true);
  }

  /**
   * Show an object's details with its text field focused and selected (placing an actor,
   * a double tap, the list's "add"): typing names it at once. Rendered now, not on the
   * next frame, so that a tablet's keyboard opens within the tap.
   */
  openDetails(id: string): void {
    this.selected = id;
    this.conn.setPresence({ sel: [id] });
    if (!this.panelIsOpen) {
      panelOpen = true;
      this.applyPanel(this.el);
    }
    this.tab = "details";
    for (const [k, b] of this.el.tabs) b.setAttribute("aria-selected", String(k === "details"));
    this.detailsFor = undefined;
    this.renderPanel();
    const field = this.el.tabPanel.querySelector<HTMLInputElement | HTMLTextAreaElement>("#field-label, #field-text");
    if (field && this.canEdit) {
      field.focus({ preventScroll: true });
      field.select();
    }
    this.requestRender(true);
  }

  setConnectFrom(id: string | null): void {
    this.connectFrom = id;
    this.requestRender(false);
  }

  objectPos(id: string): [number, number] | null {
    const p = this.doc.get(id)?.pos;
    return Array.isArray(p) ? [p[0] as number, p[1] as number] : null;
  }

  typeOf(id: string): string | null {
    return this.doc.isVisible(id) ? (this.doc.types.get(id) ?? null) : null;
  }

  createActor(x: number, y: number): string | null {
    if (!this.canEdit) return null;
    const id = "a-" + randomId(10);
    this.conn.edit(id, "actor", { label: t("new.actor"), kind: ACTOR_KINDS[0], stance: STANCES.includes("unknown") ? "unknown" : STANCES[0], influence: 2, pos: [x, y] });
    this.openDetails(id);
    return id;
  }

  /**
   * A free spot near the centre of the view (keyboard and list users, copies from a
   * partner's map): where a new actor, its name and role tags cover no actor or note.
   */
  freeSpot(): [number, number] {
    const r = this.renderer.svgEl.getBoundingClientRect();
    const [cx, cy] = this.renderer.screenToBoard(r.left + r.width / 2, r.top + r.height / 2);
    // An actor with its caption takes about 200 × 170 board units (shape above, text under).
    const boxes: [number, number, number, number][] = [];
    for (const o of Object.values(this.doc.visible())) {
      if (!Array.isArray(o.pos)) continue;
      const [x, y] = o.pos as number[];
      if (o.type === "actor") {
        const rr = actorRadius(o.influence);
        boxes.push([x! - 100, y! - rr, x! + 100, y! + rr + 90]);
      } else if (o.type === "note") boxes.push([x!, y!, x! + 200, y! + 130]);
    }
    const fits = (x: number, y: number) => boxes.every(([x0, y0, x1, y1]) => x + 100 <= x0 || x - 100 >= x1 || y + 130 <= y0 || y - 50 >= y1);
    for (let ring = 0; ring < 16; ring++) {
      const n = Math.max(1, ring * 6);
      for (let k = 0; k < n; k++) {
        const a = (k / n) * 2 * Math.PI;
        const x = Math.round(cx + Math.cos(a) * ring * 120), y = Math.round(cy + Math.sin(a) * ring * 120);
        if (fits(x, y)) return [x, y];
      }
    }
    return [Math.round(cx), Math.round(cy)];
  }

  /** Move the selected actor or note by (dx, dy) board units: the keyboard's way to drag. */
  nudge(id: string, dx: number, dy: number): void {
    const p = this.objectPos(id);
    if (p) this.move(id, [Math.round(p[0] + dx), Math.round(p[1] + dy)], `nudge:${id}`);
  }

  createNote(x: number, y: number): string | null {
    if (!this.canEdit) return null;
    const id = "n-" + randomId(10);
    const q = this.questions.length === 1 ? { question: this.questions[0]!.ref } : {};
    this.conn.edit(id, "note", { text: "", colour: NOTE_PALETTE[0], pos: [x, y], ...q });
    this.openDetails(id);
    return id;
  }

  move(id: string, pos: [number, number], gesture: string): void {
    const type = this.doc.types.get(id);
    if (this.canEdit && (type === "actor" || type === "note")) this.conn.edit(id, type, { pos }, gesture);
  }

  connect(source: string, target: string): string | null {
    if (source === target || !this.canEdit) return null;
    const id = "r-" + randomId(10);
    this.conn.edit(id, "relation", { source, target, kind: "alliance", sign: "+", direction: "none", strength: 2 });
    this.select(id);
    return id;
  }

  commitInk(points: number[]): void {
    if (!this.canEdit) return;
    const id = "i-" + randomId(10);
    this.conn.edit(id, "ink", { points: points.slice(0, 6000), colour: this.inkColourValue, width: 3 });
  }

  inkColour(): string {
    return this.inkColourValue;
  }

  presence(data: { cursor?: [number, number] | null; stroke?: number[] | null }): void {
    this.conn.setPresence({ ...data, colour: this.colour });
  }

  viewChanged(): void {
    this.requestRender(false);
  }

  setField(id: string, fields: Record<string, unknown>, gesture?: string): void {
    const type = this.doc.types.get(id);
    if (type && this.canEdit) this.conn.edit(id, type, fields, gesture);
  }

  /** The map's own fields: its issue and the names of its poles (made on first use). */
  setMeta(fields: Record<string, unknown>, gesture?: string): void {
    if (this.canEdit) this.conn.edit("meta", "meta", fields, gesture);
  }

  remove(id: string): void {
    this.setField(id, { deleted: true });
    if (this.selected === id) this.select(null);
  }

  restore(id: string): void {
    this.setField(id, { deleted: false });
  }

  undo(): void {
    if (this.canEdit) this.conn.undo();
  }

  redo(): void {
    if (this.canEdit) this.conn.redo();
  }

  zoomBy(f: number): void {
    const r = this.renderer.svgEl.getBoundingClientRect();
    this.renderer.zoomAt(r.width / 2, r.height / 2, f);
    this.requestRender(false);
  }

  fit(): void {
    this.renderer.fit(this.doc);
    this.requestRender(false);
  }

  private keydown = (e: KeyboardEvent): void => {
    const target = e.target as HTMLElement;
    const typing = target.closest("input, textarea, select, [contenteditable]") !== null;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "z" && !typing) {
      e.preventDefault();
      if (e.shiftKey) this.redo();
      else this.undo();
      return;
    }
    if (mod && e.key.toLowerCase() === "y" && !typing) {
      e.preventDefault();
      this.redo();
      return;
    }
    // Escape closes the panel where it lies over the map (and from a field in it).
    if (e.key === "Escape" && this.panelIsOpen && window.matchMedia(NARROW).matches && (!typing || this.el.panel.contains(target))) {
      e.preventDefault();
      this.setPanel(false);
      return;
    }
    if (typing || mod || e.altKey) return;
    const arrow = ARROWS[e.key];
    if (arrow && this.selected && (target === document.body || target.closest("#canvas, #panel")) && (this.typeOf(this.selected) === "actor" || this.typeOf(this.selected) === "note")) {
      e.preventDefault();
      const step = e.shiftKey ? NUDGE * 5 : NUDGE;
      this.nudge(this.selected, arrow[0] * step, arrow[1] * step);
      return;
    }
    if (e.key === "Escape") {
      this.setConnectFrom(null);
      this.select(null);
      this.setTool("select");
    } else if ((e.key === "Delete" || (e.key === "Backspace" && (target === document.body || target.closest("#canvas")))) && this.selected) {
      e.preventDefault();
      this.remove(this.selected);
    } else if (e.key === "+" || e.key === "=") this.zoomBy(1.25);
    else if (e.key === "-") this.zoomBy(0.8);
    else if (e.key === "0") this.fit();
    else {
      const d = TOOLS.find((x) => x.shortcut === e.key);
      if (d) this.setTool(d.tool);
    }
  };

  /** A read-only window for tests and debugging: the state, never the token. */
  private testApi() {
    return {
      state: () => this.doc.visible(),
      status: () => this.conn.status,
      pending: () => this.conn.pending,
      seq: () => this.conn.replica.seq,
      view: () => ({ ...this.renderer.view }),
      boardToScreen: (x: number, y: number) => this.renderer.boardToScreen(x, y),
      clientId: () => this.conn.clientId,
      selected: () => this.selected,
      peers: () => [...this.conn.peers.values()].map((p) => p.name),
      colour: () => this.colour,
    };
  }
}

const ARROWS: Record<string, [number, number]> = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
