/**
 * The workshop bar on a participant's tablet (and a remote participant's browser): the
 * current round, its questions and the remaining time on the hub's clock; a banner while
 * the boards are locked; "follow the facilitator" (the spotlit map, read-only); in a pair
 * part the partner's map with "copy to my map". When the hub moves the participant to
 * another board (individual, pair, another group), BoardPage follows (`onMoved`) and the
 * bar is mounted again. It reads the page's own connection: no second socket except for
 * a map being looked at.
 */
import "./workshop.css";
import { rolesAsFields, type Document } from "../core/document";
import type { WorkshopEvent } from "../core/messages";
import { BoardConnection } from "../sync/connection";
import type { BoardPage } from "../ui/board";
import { h } from "../ui/dom";
import { t, type Key } from "../ui/i18n";
import { clientId, randomId, type Session } from "../ui/session";
import { HubClock } from "./clock";
import { wt } from "./i18n";
import { currentPart, currentRound, isNewer, parseBoard, parseState, participant, partnersOf, type Part, type WorkshopState } from "./state";
import { TimerView } from "./timer";
import { BoardView } from "./view";

const COPY_FIELDS = ["label", "kind", "stance", "influence", "colour", "note"] as const;

/** A part's title, and who shares a board when the title does not say it (alone, pairs). */
export function partLine(part: Part | null, locked = false): Node[] {
  if (!part) return [];
  const out: Node[] = [document.createTextNode(part.title)];
  if (part.mode === "individual" || part.mode === "pair") out.push(h("span", { class: "mode-pill", "data-mode": part.mode }, wt(`mode.${part.mode}`)));
  if (locked) out.push(h("span", { class: "lock-pill" }, wt("plenary.locked")));
  return out;
}

export function boardName(s: WorkshopState, board: string): string {
  const b = parseBoard(board);
  if (b.group !== undefined) return wt("groups.group", { n: b.group });
  const p = b.participant ? participant(s, b.participant) : undefined;
  return wt("boards.personalLabel", { name: p?.name ?? "?" });
}

/** The fields of an actor worth copying to another map (the hub validates them again). */
export function copyableActor(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of COPY_FIELDS) if (o[f] !== undefined && o[f] !== null) out[f] = o[f];
  if (Array.isArray(o.roles)) Object.assign(out, rolesAsFields(o.roles)); // one register per role
  return out;
}

class Viewer {
  readonly el: HTMLElement;
  private conn: BoardConnection;
  private view: BoardView;
  private list: HTMLElement;

  constructor(
    page: BoardPage,
    session: Session,
    wsUrl: string,
    readonly board: string,
    title: string,
    closeLabel: string,
    onClose: () => void,
    copyTo: ((o: Record<string, unknown>) => void) | null,
  ) {
    this.view = new BoardView(title, 40);
    this.conn = new BoardConnection({ url: wsUrl, token: session.token, board, clientId: `${clientId()}-view`.slice(0, 64), name: session.nickname });
    this.list = h("ul", { class: "ws-copy-list" });
    const close = h("button", { class: "primary", id: "ws-view-close" }, closeLabel);
    close.addEventListener("click", onClose);
    this.el = h(
      "section",
      { class: "ws-viewer", id: "ws-viewer", "data-board": board, "aria-label": title },
      h("header", {}, h("h2", {}, title), close),
      h("div", { class: "ws-viewer-body" }, h("div", { class: "ws-viewer-map" }, this.view.svg as unknown as Node), copyTo ? h("aside", {}, h("h3", {}, wt("bar.partnerActors")), this.list) : null),
    );
    this.conn.on((kind) => {
      if (kind !== "doc" && kind !== "presence") return;
      const doc: Document = this.conn.replica.doc;
      this.view.update(doc);
      if (copyTo && kind === "doc") this.renderList(doc, copyTo);
    });
    this.conn.start();
    void page;
  }

  private renderList(doc: Document, copyTo: (o: Record<string, unknown>) => void): void {
    const actors = Object.entries(doc.visible()).filter(([, o]) => o.type === "actor");
    if (!actors.length) {
      this.list.replaceChildren(h("li", { class: "hint" }, wt("bar.nothing")));
      return;
    }
    this.list.replaceChildren(
      ...actors.map(([id, o]) => {
        const b = h("button", { class: "small", "data-copy": id }, wt("bar.copy"));
        b.addEventListener("click", () => {
          copyTo(o);
          b.textContent = wt("bar.copied");
          b.disabled = true;
        });
        return h("li", {}, h("span", {}, typeof o.label === "string" && o.label ? o.label : t("list.unnamed")), b);
      }),
    );
  }

  dispose(): void {
    this.conn.close();
    this.view.dispose();
    this.el.remove();
  }
}

export class WorkshopBar {
  state: WorkshopState | null = null;
  readonly clock = new HubClock();
  readonly el: HTMLElement;
  private readonly timer: TimerView;
  private readonly off: () => void;
  private static expanded = true;
  private observer: MutationObserver | null = null;
  private follow = false;
  private viewer: Viewer | null = null;
  private els: { round: HTMLElement; part: HTMLElement; questions: HTMLElement; toggle: HTMLButtonElement; follow: HTMLButtonElement; partner: HTMLElement; locked: HTMLElement; board: HTMLElement };

  constructor(
    private readonly page: BoardPage,
    private readonly session: Session,
    private readonly wsUrl: string,
  ) {
    this.timer = new TimerView(() => this.state, this.clock);
    const toggle = h("button", { class: "small ws-toggle", id: "ws-toggle", "aria-expanded": "true", "aria-controls": "ws-questions" }, wt("bar.hide")) as HTMLButtonElement;
    toggle.addEventListener("click", () => {
      WorkshopBar.expanded = !WorkshopBar.expanded;
      this.render();
    });
    const follow = h("button", { class: "small ws-follow", id: "ws-follow", "aria-pressed": "false" }, wt("bar.follow")) as HTMLButtonElement;
    follow.addEventListener("click", () => {
      this.follow = !this.follow;
      this.render();
    });
    this.els = {
      round: h("div", { class: "ws-round", id: "ws-round" }),
      part: h("div", { class: "ws-part", id: "ws-part" }),
      questions: h("ol", { class: "ws-questions", id: "ws-questions" }),
      toggle,
      follow,
      partner: h("div", { class: "ws-partner" }),
      locked: h("div", { class: "ws-locked", id: "ws-locked", role: "status", hidden: true }, wt("bar.locked")),
      board: h("div", { class: "ws-board", id: "ws-board" }),
    };
    this.el = h(
      "aside",
      { class: "ws-bar", id: "ws-bar", "aria-label": wt("bar.round"), hidden: true },
      h("div", { class: "ws-head" }, h("div", { class: "ws-titles" }, this.els.round, this.els.part), h("div", { class: "ws-actions" }, toggle, follow, this.els.partner), this.timer.el),
      this.els.locked,
      this.els.questions,
      this.els.board,
    );
    // A row of the page's top bar (never over the map, the toolbar or the panel); the page
    // rebuilds its chrome when the language changes, so the bar is put back then.
    this.attach();
    const app = document.getElementById("app");
    if (app && typeof MutationObserver !== "undefined") {
      this.observer = new MutationObserver(() => this.attach());
      this.observer.observe(app, { childList: true });
    }
    this.off = page.conn.onMessage((msg) => {
      if (msg.t === "welcome") this.clock.sample(msg.time, Date.now(), Date.now());
      else if (msg.t === "pong") this.clock.sample(msg.time, Date.now(), Date.now());
      else if (msg.t === "workshop") this.onState(msg);
    });
    (window as unknown as { schakelWorkshop: unknown }).schakelWorkshop = {
      remaining: () => ({ ms: this.timer.remaining(), at: Date.now(), text: this.timer.el.querySelector(".timer-text")?.textContent ?? "" }),
      state: () => this.state,
      following: () => this.viewer?.board ?? null,
    };
  }

  private attach(): void {
    const top = document.querySelector(".board-page > .topbar");
    if (top && this.el.parentElement !== top) top.append(this.el);
    else if (!top && !this.el.isConnected) document.body.append(this.el);
  }

  private onState(msg: WorkshopEvent): void {
    const next = parseState(msg.state);
    if (!isNewer(next, this.state)) return;
    this.state = next;
    // A move to another board (next part, another group) is followed by the page itself.
    if (next.you.board && next.you.board !== this.session.board) return;
    this.render();
  }

  private render(): void {
    const s = this.state;
    if (!s) return;
    this.el.hidden = false;
    const round = currentRound(s);
    const part = currentPart(s);
    this.els.round.textContent = round?.title ?? "";
    this.els.part.replaceChildren(...partLine(part));
    this.els.questions.replaceChildren(...(round?.questions ?? []).map((q) => h("li", {}, q)));
    this.els.questions.hidden = !WorkshopBar.expanded || !round?.questions.length;
    this.els.toggle.textContent = WorkshopBar.expanded ? wt("bar.hide") : wt("bar.show");
    this.els.toggle.setAttribute("aria-expanded", String(WorkshopBar.expanded));
    this.els.toggle.hidden = !round?.questions.length;
    const mode = s.mode;
    this.els.board.textContent = wt(mode === "pair" ? "bar.yourBoard.pair" : mode === "individual" ? "bar.yourBoard.individual" : "bar.yourBoard.group");
    const locked = s.session.locked;
    this.els.locked.hidden = !locked;
    // Follow the facilitator: offered while a board other than mine is on the beamer.
    const spot = s.session.spotlight;
    const canFollow = !!spot && spot !== this.session.board && s.you.readable.includes(spot);
    this.els.follow.hidden = !canFollow;
    this.els.follow.setAttribute("aria-pressed", String(this.follow && canFollow));
    // Partners' maps in a pair part.
    const me = s.you.participant;
    const partners = mode === "pair" && me ? partnersOf(s, me) : [];
    this.els.partner.replaceChildren(
      ...partners.map((p) => {
        const board = `${s.id}:p${p.id}`;
        const b = h("button", { class: "small", "data-partner": board }, wt("bar.partner", { name: p.name }));
        b.addEventListener("click", () => this.open(board, wt("bar.partner", { name: p.name }), true));
        return b;
      }),
    );
    // Which map is open over mine.
    const wantFollow = this.follow && canFollow ? spot : null;
    if (wantFollow && this.viewer?.board !== wantFollow) this.open(wantFollow, wt("bar.following", { what: boardName(s, wantFollow) }), false);
    else if (!wantFollow && this.viewer && !this.viewer.el.classList.contains("partner")) this.closeViewer();
    else if (this.viewer && !s.you.readable.includes(this.viewer.board)) this.closeViewer();
  }

  private open(board: string, title: string, partner: boolean): void {
    this.closeViewer();
    const copy = partner && !this.state?.session.locked ? (o: Record<string, unknown>) => this.copy(o) : null;
    this.viewer = new Viewer(this.page, this.session, this.wsUrl, board, title, partner ? wt("bar.closeView") : wt("bar.stopFollow"), () => {
      if (!partner) this.follow = false;
      this.closeViewer();
      this.render();
    }, copy);
    this.viewer.el.classList.toggle("partner", partner);
    document.body.append(this.viewer.el);
  }

  private closeViewer(): void {
    this.viewer?.dispose();
    this.viewer = null;
  }

  private copy(o: Record<string, unknown>): void {
    const fields = copyableActor(o);
    fields.pos = this.page.freeSpot();
    if (typeof fields.label !== "string") fields.label = t("new.actor" as Key);
    this.page.conn.edit("a-" + randomId(10), "actor", fields);
  }

  close(): void {
    this.off();
    this.observer?.disconnect();
    this.timer.dispose();
    this.closeViewer();
    this.el.remove();
  }
}
