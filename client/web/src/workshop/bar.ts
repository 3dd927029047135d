/**
 * The workshop bar on a participant's tablet (and a remote participant's browser), in the
 * board page's top bar: which group I am in, the current round and part, the remaining
 * time on the hub's clock, and the round's questions on one line that expands on tap; a
 * banner while the boards are locked; "follow the facilitator" (the spotlit map,
 * read-only); in a pair part the partner's map with "copy to my map" (to a free spot,
 * with the relations between copied actors on offer); a part's explanation (`sheet`) over
 * the map. When the hub moves the participant to another board (a new round, individual
 * or pair work, another group), BoardPage follows (`onMoved`) and the bar is mounted
 * again. It reads the page's own connection, and a map being looked at is one more board
 * on that connection (no second socket).
 */
import "./workshop.css";
import { rolesAsFields, type Document } from "../core/document";
import type { WorkshopEvent } from "../core/messages";
import { seatColour } from "../board/style";
import type { BoardChannel } from "../sync/channel";
import type { BoardPage } from "../ui/board";
import { h } from "../ui/dom";
import { onLang, t } from "../ui/i18n";
import { randomId, type Session } from "../ui/session";
import { HubClock } from "./clock";
import { wt } from "./i18n";
import { sheetView } from "./sheet";
import { boardRounds, currentPart, currentRound, isNewer, membersOf, parseBoard, parseQuestionRef, parseState, participant, partnersOf, type Part, type WorkshopState } from "./state";
import { TimerView } from "./timer";
import { BoardView } from "./view";

const COPY_FIELDS = ["label", "kind", "stance", "influence", "colour", "note"] as const;
const RELATION_FIELDS = ["kind", "sign", "direction", "strength", "label"] as const;

/** A part's title, and who shares a board when the title does not say it (alone, pairs). */
export function partLine(part: Part | null, locked = false): Node[] {
  if (!part) return [];
  const out: Node[] = [document.createTextNode(part.title)];
  if (part.mode === "individual" || part.mode === "pair") out.push(h("span", { class: "mode-pill", "data-mode": part.mode }, wt(`mode.${part.mode}`)));
  if (locked) out.push(h("span", { class: "lock-pill" }, wt("plenary.locked")));
  return out;
}

/** "Groep 2" or "Ann (eigen kaart)"; with `withRound`, the round(s) it belongs to as well. */
export function boardName(s: WorkshopState, board: string, withRound = false): string {
  const b = parseBoard(board);
  const p = b.participant ? participant(s, b.participant) : undefined;
  const who = b.group !== undefined ? wt("groups.group", { n: b.group }) : wt("boards.personalLabel", { name: p?.name ?? "?" });
  if (!withRound) return who;
  const rounds = boardRounds(s, board).map((r) => s.programme[r]!.title);
  return rounds.length ? wt("boards.inRound", { who, round: rounds.join(" + ") }) : who;
}

/** The short tag of a note's question ("V2" for the second question of its round). */
export function questionTag(s: WorkshopState, ref: string): string | null {
  const q = parseQuestionRef(ref);
  return q && s.programme[q.round]?.questions[q.question] !== undefined ? t("question.short", { n: q.question + 1 }) : null;
}

/** The fields of an actor worth copying to another map (the hub validates them again). */
export function copyableActor(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of COPY_FIELDS) if (o[f] !== undefined && o[f] !== null) out[f] = o[f];
  if (Array.isArray(o.roles)) Object.assign(out, rolesAsFields(o.roles)); // one register per role
  return out;
}

/** Relations on `doc` between actors that were copied (by `copied`: their id → my id),
 *  not copied yet, as my relations' fields. */
export function relationsBetween(doc: Document, copied: Map<string, string>, done: Set<string>): { id: string; fields: Record<string, unknown> }[] {
  const out: { id: string; fields: Record<string, unknown> }[] = [];
  for (const [id, o] of Object.entries(doc.visible())) {
    if (o.type !== "relation" || done.has(id)) continue;
    const source = copied.get(String(o.source)), target = copied.get(String(o.target));
    if (!source || !target) continue;
    const fields: Record<string, unknown> = { source, target };
    for (const f of RELATION_FIELDS) if (o[f] !== undefined && o[f] !== null) fields[f] = o[f];
    out.push({ id, fields });
  }
  return out;
}

/** What was copied from one partner's map: their actor → my actor, their relations done. */
interface Copies {
  actors: Map<string, string>;
  relations: Set<string>;
}

class Viewer {
  readonly el: HTMLElement;
  private ch: BoardChannel;
  private offBoard: () => void;
  private view: BoardView;
  private list: HTMLElement;
  private relButton: HTMLButtonElement;

  constructor(
    private readonly page: BoardPage,
    readonly board: string,
    title: string,
    closeLabel: string,
    onClose: () => void,
    private readonly copies: Copies | null,
    questionLabel: (ref: string) => string | null,
  ) {
    this.view = new BoardView(title, { pad: 40, questionLabel });
    // The map being looked at: one more board on the page's connection.
    this.ch = page.conn.link.open(board, { announce: true });
    this.list = h("ul", { class: "ws-copy-list" });
    this.relButton = h("button", { class: "small", id: "ws-copy-relations", type: "button", hidden: true }) as HTMLButtonElement;
    this.relButton.addEventListener("click", () => this.copyRelations());
    const close = h("button", { class: "primary", id: "ws-view-close", type: "button" }, closeLabel);
    close.addEventListener("click", onClose);
    this.el = h(
      "section",
      { class: "ws-viewer", id: "ws-viewer", "data-board": board, "aria-label": title },
      h("header", {}, h("h2", {}, title), close),
      h(
        "div",
        { class: "ws-viewer-body" },
        h("div", { class: "ws-viewer-map" }, this.view.svg as unknown as Node),
        copies ? h("aside", { "aria-labelledby": "ws-copy-h" }, h("h3", { id: "ws-copy-h" }, wt("bar.partnerActors")), h("p", { class: "hint" }, wt("bar.copyHint")), this.list, this.relButton) : null,
      ),
    );
    const show = (kind: string): void => {
      if (kind !== "doc" && kind !== "presence") return;
      const doc: Document = this.ch.replica.doc;
      this.view.update(doc);
      if (kind === "doc") this.renderList(doc);
    };
    this.offBoard = this.ch.on(show);
    if (this.ch.replica.synced) show("doc"); // the page's own board, open already
  }

  private renderList(doc: Document): void {
    const copies = this.copies;
    if (!copies) return;
    const actors = Object.entries(doc.visible()).filter(([, o]) => o.type === "actor");
    if (!actors.length) this.list.replaceChildren(h("li", { class: "hint" }, wt("bar.nothing")));
    else
      this.list.replaceChildren(
        ...actors.map(([id, o]) => {
          const mine = copies.actors.get(id);
          const copied = mine !== undefined && this.page.doc.isVisible(mine);
          const b = h("button", { class: "small", "data-copy": id, type: "button", disabled: copied }, copied ? wt("bar.copied") : wt("bar.copy")) as HTMLButtonElement;
          b.addEventListener("click", () => {
            const fields = copyableActor(o);
            fields.pos = this.page.freeSpot();
            if (typeof fields.label !== "string") fields.label = t("new.actor");
            const myId = "a-" + randomId(10);
            this.page.conn.edit(myId, "actor", fields);
            copies.actors.set(id, myId);
            this.renderList(doc);
          });
          return h("li", {}, h("span", {}, typeof o.label === "string" && o.label ? o.label : t("list.unnamed")), b);
        }),
      );
    const rels = relationsBetween(doc, copies.actors, copies.relations);
    this.relButton.hidden = rels.length === 0;
    this.relButton.textContent = wt("bar.copyRelations", { n: rels.length });
  }

  /** The relations between actors copied from this map, onto mine (one undoable step). */
  private copyRelations(): void {
    const copies = this.copies;
    if (!copies) return;
    const rels = relationsBetween(this.ch.replica.doc, copies.actors, copies.relations);
    if (!rels.length) return;
    this.page.conn.editMany(rels.map((r) => ({ id: "r-" + randomId(10), type: "relation", fields: r.fields })));
    for (const r of rels) copies.relations.add(r.id);
    this.renderList(this.ch.replica.doc);
    this.relButton.hidden = false;
    this.relButton.disabled = true;
    this.relButton.textContent = wt("bar.relationsCopied");
    this.relButton.focus();
  }

  dispose(): void {
    this.offBoard();
    this.page.conn.link.release(this.board);
    this.view.dispose();
    this.el.remove();
  }
}

export class WorkshopBar {
  state: WorkshopState | null = null;
  readonly clock = new HubClock();
  private readonly timer: TimerView;
  private readonly off: () => void;
  private readonly offChrome: () => void;
  private readonly offLang: () => void;
  private static expanded = false;
  /** The explanation a participant closed (per part), so a re-render does not reopen it. */
  private static sheetClosed = "";
  private follow = false;
  private viewer: Viewer | null = null;
  private sheet: HTMLElement | null = null;
  private copies = new Map<string, Copies>();
  private els: {
    head: HTMLElement;
    sub: HTMLElement;
    group: HTMLElement;
    round: HTMLElement;
    part: HTMLElement;
    questions: HTMLElement;
    toggle: HTMLButtonElement;
    follow: HTMLButtonElement;
    sheet: HTMLButtonElement;
    partner: HTMLElement;
    locked: HTMLElement;
  };

  constructor(
    private readonly page: BoardPage,
    private readonly session: Session,
  ) {
    this.timer = new TimerView(() => this.state, this.clock);
    const toggle = h("button", { class: "small ws-toggle", id: "ws-toggle", type: "button", "aria-expanded": "false", "aria-controls": "ws-questions" }) as HTMLButtonElement;
    toggle.addEventListener("click", () => this.toggleQuestions());
    const follow = h("button", { class: "small ws-follow", id: "ws-follow", type: "button", "aria-pressed": "false" }) as HTMLButtonElement;
    follow.addEventListener("click", () => {
      this.follow = !this.follow;
      this.render();
    });
    const sheet = h("button", { class: "small ws-sheet-open", id: "ws-sheet-open", type: "button" }) as HTMLButtonElement;
    sheet.addEventListener("click", () => {
      WorkshopBar.sheetClosed = "";
      this.render();
    });
    const questions = h("ol", { class: "ws-questions collapsed", id: "ws-questions" });
    // Tapping the one-line questions opens them all (and closes them again).
    questions.addEventListener("click", () => this.toggleQuestions());
    this.els = {
      group: h("span", { class: "ws-group", id: "ws-group" }),
      round: h("span", { class: "ws-round", id: "ws-round" }),
      part: h("span", { class: "ws-part", id: "ws-part" }),
      questions,
      toggle,
      follow,
      sheet,
      partner: h("span", { class: "ws-partner" }),
      locked: h("p", { class: "ws-locked", id: "ws-locked", role: "status", hidden: true }),
      head: h("div", { class: "ws-head", id: "ws-bar" }),
      sub: h("div", { class: "ws-sub", id: "ws-sub" }),
    };
    this.els.head.append(this.els.group, h("div", { class: "ws-titles" }, this.els.round, this.els.part), this.timer.el);
    this.els.sub.append(this.els.locked, h("div", { class: "ws-qline" }, this.els.questions, this.els.toggle), h("div", { class: "ws-actions" }, this.els.sheet, this.els.follow, this.els.partner));
    this.els.head.hidden = this.els.sub.hidden = true;
    // Mounted in the page's top bar; the page rebuilds its chrome when the language
    // changes, and then the bar is put back and says everything in the new language.
    this.attach();
    this.offChrome = page.onChrome(() => {
      this.attach();
      this.render();
    });
    this.offLang = onLang(() => this.render());
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
    const slots = this.page.slots();
    if (this.els.head.parentElement !== slots.head) slots.head.replaceChildren(this.els.head);
    if (this.els.sub.parentElement !== slots.sub) slots.sub.replaceChildren(this.els.sub);
    if (this.sheet && this.sheet.parentElement !== slots.canvas) slots.canvas.append(this.sheet);
  }

  private toggleQuestions(): void {
    WorkshopBar.expanded = !WorkshopBar.expanded;
    this.render();
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
    this.els.head.hidden = this.els.sub.hidden = false;
    const round = currentRound(s);
    const part = currentPart(s);
    const me = s.you.participant ? participant(s, s.you.participant) : undefined;
    this.els.group.textContent = me ? wt("groups.group", { n: me.group }) : "";
    this.els.group.hidden = !me;
    this.els.round.textContent = round?.title ?? "";
    this.els.round.title = round?.title ?? "";
    this.els.part.replaceChildren(...partLine(part));
    // My colour: my seat in my group, so that the people of a group never share one.
    if (me) this.page.setColour(seatColour(membersOf(s, me.group).findIndex((p) => p.id === me.id)));
    // The questions a note on this board can answer: those of the board's round(s).
    this.page.setQuestions(boardRounds(s, this.session.board).flatMap((r) => s.programme[r]!.questions.map((q, qi) => ({ ref: `${r}.${qi}`, text: q, tag: t("question.short", { n: qi + 1 }) }))));
    const questions = round?.questions ?? [];
    this.els.questions.replaceChildren(...questions.map((q) => h("li", {}, q)));
    this.els.questions.classList.toggle("collapsed", !WorkshopBar.expanded);
    this.els.questions.hidden = !questions.length;
    this.els.toggle.textContent = WorkshopBar.expanded ? wt("bar.hide") : wt("bar.show");
    this.els.toggle.setAttribute("aria-expanded", String(WorkshopBar.expanded));
    this.els.toggle.hidden = questions.length === 0;
    this.els.locked.textContent = wt("bar.locked");
    this.els.locked.hidden = !s.session.locked;
    this.timer.relabel();
    // Follow the facilitator: offered while a board other than mine is on the beamer.
    const spot = s.session.spotlight;
    const canFollow = !!spot && spot !== this.session.board && s.you.readable.includes(spot);
    this.els.follow.textContent = wt("bar.follow");
    this.els.follow.hidden = !canFollow;
    this.els.follow.setAttribute("aria-pressed", String(this.follow && canFollow));
    // Partners' maps in a pair part.
    const partners = s.mode === "pair" && me ? partnersOf(s, me.id) : [];
    this.els.partner.replaceChildren(
      ...partners.map((p) => {
        const board = boardOf(s, p.id);
        const b = h("button", { class: "small", "data-partner": board, type: "button" }, wt("bar.partner", { name: p.name }));
        b.addEventListener("click", () => this.open(board, wt("bar.partner", { name: p.name }), true));
        return b;
      }),
    );
    this.renderSheet(s, part);
    // Which map is open over mine.
    const wantFollow = this.follow && canFollow ? spot : null;
    if (wantFollow && this.viewer?.board !== wantFollow) this.open(wantFollow, wt("bar.following", { what: boardName(s, wantFollow, true) }), false);
    else if (!wantFollow && this.viewer && !this.viewer.el.classList.contains("partner")) this.closeViewer();
    else if (this.viewer && !s.you.readable.includes(this.viewer.board)) this.closeViewer();
  }

  /** A part's explanation over the map: open when the part begins, closed on request. */
  private renderSheet(s: WorkshopState, part: Part | null): void {
    const key = `${s.session.round}.${s.session.part}`;
    const sheet = part?.sheet;
    this.els.sheet.textContent = wt("bar.sheet");
    this.els.sheet.hidden = !sheet || WorkshopBar.sheetClosed !== key;
    const want = sheet && WorkshopBar.sheetClosed !== key ? sheet + document.documentElement.lang : "";
    if ((this.sheet?.dataset.sheet ?? "") === want) return;
    this.sheet?.remove();
    this.sheet = null;
    if (!sheet || !want) return;
    const close = h("button", { class: "primary", id: "ws-sheet-close", type: "button" }, wt("bar.sheetClose"));
    close.addEventListener("click", () => {
      WorkshopBar.sheetClosed = key;
      this.render();
      this.els.sheet.focus();
    });
    this.sheet = h("div", { class: "ws-sheet", id: "ws-sheet", "data-sheet": want }, sheetView(sheet, "ws-sheet-body"), h("p", { class: "ws-sheet-actions" }, close));
    this.page.slots().canvas.append(this.sheet);
  }

  private open(board: string, title: string, partner: boolean): void {
    this.closeViewer();
    let copies: Copies | null = null;
    if (partner && !this.state?.session.locked) {
      copies = this.copies.get(board) ?? { actors: new Map(), relations: new Set() };
      this.copies.set(board, copies);
    }
    const s = this.state;
    this.viewer = new Viewer(
      this.page,
      board,
      title,
      partner ? wt("bar.closeView") : wt("bar.stopFollow"),
      () => {
        if (!partner) this.follow = false;
        this.closeViewer();
        this.render();
      },
      copies,
      (ref) => (s ? questionTag(s, ref) : null),
    );
    this.viewer.el.classList.toggle("partner", partner);
    this.page.slots().canvas.append(this.viewer.el);
  }

  private closeViewer(): void {
    this.viewer?.dispose();
    this.viewer = null;
  }

  close(): void {
    this.off();
    this.offChrome();
    this.offLang();
    this.timer.dispose();
    this.closeViewer();
    this.sheet?.remove();
    this.els.head.remove();
    this.els.sub.remove();
  }
}

/** A participant's own board of the current round. */
function boardOf(s: WorkshopState, pid: string): string {
  const key = s.programme[s.session.round]?.board;
  return key ? `${s.id}:${key}:p${pid}` : `${s.id}:p${pid}`;
}

