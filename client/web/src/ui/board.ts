/** The board page: toolbar, canvas, presence, connection state, side panel. */
import type { Document } from "../core/document";
import { ACTOR_KINDS, STANCES } from "../core/schema";
import { BoardInput, type InputHost, type Tool } from "../board/input";
import { BoardRenderer, type PeerMark } from "../board/render";
import { INK_PALETTE, NOTE_PALETTE, peerColour } from "../board/style";
import { BoardConnection } from "../sync/connection";
import { OfflineStore } from "../sync/offline";
import { h, icon } from "./dom";
import { detailsPanel } from "./details";
import { lang, setLang, t, type Key } from "./i18n";
import { legendPanel } from "./legend";
import { listPanel } from "./list";
import { clearSession, clientId, randomId, type Session } from "./session";

const TOOLS: { tool: Tool; key: Key; icon: string; hint: Key | null; shortcut: string }[] = [
  { tool: "select", key: "tool.select", icon: "select", hint: null, shortcut: "v" },
  { tool: "actor", key: "tool.actor", icon: "actor", hint: "hint.actor", shortcut: "a" },
  { tool: "relation", key: "tool.relation", icon: "relation", hint: "hint.relation", shortcut: "r" },
  { tool: "note", key: "tool.note", icon: "note", hint: "hint.note", shortcut: "n" },
  { tool: "ink", key: "tool.ink", icon: "ink", hint: "hint.ink", shortcut: "p" },
];

type Tab = "details" | "list" | "legend";

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
  };
  private detailsFor: string | null | undefined = undefined;
  private detailsUpdate: (() => void) | null = null;

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
      if (kind === "doc" && !this.fitted && this.conn.status === "connected") {
        this.fitted = true;
        requestAnimationFrame(() => this.fit());
      }
      this.requestRender(kind === "doc");
    });
    document.addEventListener("keydown", this.keydown);
    window.addEventListener("resize", () => this.requestRender(false));
    this.conn.setPresence({ colour: peerColour(this.conn.clientId), sel: [] });
    this.conn.start();
    this.renderStatus();
    this.renderPeers();
    this.requestRender(true);
    (window as unknown as { schakel: unknown }).schakel = this.testApi();
  }

  get doc(): Document {
    return this.conn.replica.doc;
  }

  // ------------------------------------------------------------------ layout

  private build(svgEl: SVGSVGElement) {
    const status = h("div", { class: "status", id: "status", role: "status", "aria-live": "polite" });
    const peers = h("ul", { class: "peers", id: "peers", "aria-label": t("presence.here") });
    const undo = h("button", { class: "iconbtn", id: "undo", title: t("undo"), "aria-label": t("undo") }, icon("undo")) as HTMLButtonElement;
    const redo = h("button", { class: "iconbtn", id: "redo", title: t("redo"), "aria-label": t("redo") }, icon("redo")) as HTMLButtonElement;
    undo.addEventListener("click", () => this.undo());
    redo.addEventListener("click", () => this.redo());
    const langBtn = h("button", { class: "textbtn", id: "lang", lang: lang() === "nl" ? "en" : "nl" }, t("lang.switch"));
    langBtn.addEventListener("click", () => {
      setLang(lang() === "nl" ? "en" : "nl");
      this.relabel();
    });
    const panelBtn = h("button", { class: "iconbtn", id: "panel-toggle", "aria-expanded": "true", "aria-controls": "panel", title: t("panel.hide"), "aria-label": t("panel.hide") }, icon("panel"));
    panelBtn.addEventListener("click", () => {
      const hidden = this.el.root.classList.toggle("panel-hidden");
      panelBtn.setAttribute("aria-expanded", String(!hidden));
      panelBtn.setAttribute("aria-label", t(hidden ? "panel.show" : "panel.hide"));
      panelBtn.title = t(hidden ? "panel.show" : "panel.hide");
      this.requestRender(false);
    });
    const title = this.session.title || t("board.title");
    const header = h(
      "header",
      { class: "topbar" },
      h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), h("h1", { id: "board-title" }, title)),
      peers,
      status,
      h("div", { class: "actions" }, undo, redo, langBtn, panelBtn),
    );
    const tools = new Map<Tool, HTMLButtonElement>();
    const toolbar = h("nav", { class: "toolbar", role: "toolbar", "aria-label": t("tool.group"), "aria-orientation": "vertical" });
    for (const d of TOOLS) {
      const b = h("button", { class: "tool", "data-tool": d.tool, "aria-pressed": String(d.tool === this.tool), title: t(d.key), "aria-label": t(d.key) }, icon(d.icon), h("span", { class: "caption" }, t(`cap.${d.tool}` as Key))) as HTMLButtonElement;
      b.addEventListener("click", () => this.setTool(d.tool));
      tools.set(d.tool, b);
      toolbar.append(b);
    }
    toolbar.append(h("div", { class: "sep", role: "separator" }));
    const zoom = (name: string, key: Key, fn: () => void, id: string) => {
      const b = h("button", { class: "tool small", id, title: t(key), "aria-label": t(key), "data-key": key }, icon(name));
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
    for (const [tab, key] of [["details", "panel.details"], ["list", "panel.list"], ["legend", "panel.legend"]] as const) {
      const b = h("button", { role: "tab", id: `tab-${tab}`, "aria-controls": "tabpanel", "aria-selected": String(tab === this.tab) }, t(key)) as HTMLButtonElement;
      b.addEventListener("click", () => this.showTab(tab));
      tabs.set(tab, b);
      tablist.append(b);
    }
    const tabPanel = h("section", { class: "tabpanel", id: "tabpanel", role: "tabpanel", "aria-labelledby": "tab-details" });
    const panel = h("aside", { class: "panel", id: "panel" }, tablist, tabPanel);
    const narrow = window.innerWidth <= 900 && !this.el;
    const root = h("div", { class: "board-page" + (narrow || this.el?.root.classList.contains("panel-hidden") ? " panel-hidden" : "") }, header, toolbar, canvas, panel);
    if (root.classList.contains("panel-hidden")) {
      panelBtn.setAttribute("aria-expanded", "false");
      panelBtn.setAttribute("aria-label", t("panel.show"));
      panelBtn.title = t("panel.show");
    }
    this.root.replaceChildren(root);
    return { root, status, peers, hint, tools, undo, redo, panel, tabs, tabPanel, svg: svgEl };
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
    this.requestRender(true);
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
    });
    this.el.undo.disabled = !this.conn.replica.canUndo();
    this.el.redo.disabled = !this.conn.replica.canRedo();
    this.renderHint();
  }

  private renderPanel(): void {
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
    } else {
      this.detailsFor = undefined;
      const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
      panel.replaceChildren(this.tab === "list" ? listPanel(this) : legendPanel());
      if (focusKey) (panel.querySelector(`[data-key="${CSS.escape(focusKey)}"]`) as HTMLElement | null)?.focus();
    }
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
    let text = gone ? t("status.gone") : s === "failed" ? t("status.failed", { reason: this.conn.failure?.reason ?? "" }) : t(`status.${s}` as Key);
    if (s === "connected" && !this.canEdit) text += " — " + t("status.readonly");
    if (s !== "connected" && n > 0) text += " — " + (n === 1 ? t("status.pending1") : t("status.pending", { n }));
    el.replaceChildren(h("span", { class: "dot", "aria-hidden": "true" }), text);
    el.dataset.gone = String(gone);
    if (gone) {
      // Nothing of it stays on this device: not the map, not the way back to it.
      clearSession();
    } else if (s === "failed") {
      // The token expired or the workshop is gone: offer to join again.
      const again = h("a", { href: `/join/${encodeURIComponent(this.session.code)}`, class: "rejoin" }, t("goto.join"));
      el.append(" ", again);
    }
  }

  private renderPeers(): void {
    const list = this.el.peers;
    const me = h("li", { class: "peer me" }, h("span", { class: "swatch", style: `background:${peerColour(this.conn.clientId)}` }), t("presence.you", { name: this.session.nickname }));
    const others = new Map<string, { name: string; client: string }>();
    for (const p of this.conn.peers.values()) if (p.client !== this.conn.clientId) others.set(p.client, p);
    list.replaceChildren(
      me,
      ...[...others.values()].map((p) => h("li", { class: "peer", "data-client": p.client }, h("span", { class: "swatch", style: `background:${peerColour(p.client)}` }), p.name)),
    );
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
    this.el.root.classList.toggle("read-only", !this.canEdit);
    if (!this.canEdit && this.tool !== "select") this.setTool("select");
    this.renderStatus();
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
    if (id && this.tab !== "details" && this.tab !== "list") this.showTab("details");
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
    this.select(id);
    this.showTab("details");
    return id;
  }

  /** A free spot near the centre of the view (keyboard and list users). */
  freeSpot(): [number, number] {
    const r = this.renderer.svgEl.getBoundingClientRect();
    const [cx, cy] = this.renderer.screenToBoard(r.left + r.width / 2, r.top + r.height / 2);
    const taken = Object.values(this.doc.visible()).filter((o) => o.type === "actor" && Array.isArray(o.pos)).map((o) => o.pos as number[]);
    for (let ring = 0; ring < 12; ring++) {
      for (let k = 0; k < Math.max(1, ring * 6); k++) {
        const a = (k / Math.max(1, ring * 6)) * 2 * Math.PI;
        const x = Math.round(cx + Math.cos(a) * ring * 110), y = Math.round(cy + Math.sin(a) * ring * 110);
        if (taken.every(([px, py]) => Math.hypot(px! - x, py! - y) > 100)) return [x, y];
      }
    }
    return [Math.round(cx), Math.round(cy)];
  }

  createNote(x: number, y: number): string | null {
    if (!this.canEdit) return null;
    const id = "n-" + randomId(10);
    this.conn.edit(id, "note", { text: "", colour: NOTE_PALETTE[0], pos: [x, y] });
    this.select(id);
    this.showTab("details");
    requestAnimationFrame(() => (document.getElementById("field-text") as HTMLTextAreaElement | null)?.focus());
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
    this.conn.setPresence({ ...data, colour: peerColour(this.conn.clientId) });
  }

  viewChanged(): void {
    this.requestRender(false);
  }

  setField(id: string, fields: Record<string, unknown>, gesture?: string): void {
    const type = this.doc.types.get(id);
    if (type && this.canEdit) this.conn.edit(id, type, fields, gesture);
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
    if (typing || mod || e.altKey) return;
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
    };
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
