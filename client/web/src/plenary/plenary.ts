/**
 * The plenary screen (beamer, read-only): title, current round, questions and timer, and
 * a live grid of the current part's maps (the groups', or everyone's own while people
 * draw alone or in pairs) fitted to their tiles, all over one connection. Spotlight: one
 * map full-screen with its issue, who drew it, the notes per question and the legend.
 * What the beamer shows is the hub's `spotlight`, one source of truth: the console sets
 * it, and so do the screen's own keys (← → and a clicker's PageUp/PageDown step through
 * the maps, Esc goes back to the overview; F toggles full screen). A part with an
 * explanation (`sheet`) shows it instead of the overview. Text is never smaller than
 * BEAMER_TEXT; labels that do not fit are left out (board/render.ts). Renders are
 * coalesced per animation frame (workshop/view.ts).
 */
import "../workshop/workshop.css";
import "../analysis/analysis.css";
import { PlenaryAnalysis } from "../analysis/plenary";
import type { Document } from "../core/document";
import type { PeerMark, TextMinimum } from "../board/render";
import { NEUTRAL_LINE, SIGN_COLOUR, relationDash } from "../board/style";
import { ROLES, RELATION_KINDS } from "../core/schema";
import { lineSample } from "../board/svg";
import { h } from "../ui/dom";
import { t, type Key } from "../ui/i18n";
import { clientId } from "../ui/session";
import { boardName, partLine, questionTag } from "../workshop/bar";
import { wt } from "../workshop/i18n";
import { WorkshopLink, failureText } from "../workshop/link";
import { spacedCode } from "../workshop/qr";
import { roleChip, sheetView } from "../workshop/sheet";
import { boardRounds, currentPart, currentRound, isCurrentRoundBoard, membersOf, parseBoard, parseQuestionRef, plenaryBoards, type WorkshopState } from "../workshop/state";
import { TimerView } from "../workshop/timer";
import { BoardView, frames } from "../workshop/view";
import { gridColumns, step } from "./layout";

const MAX_BOARDS = 64;

/**
 * The smallest text on the beamer, in px at 1920×1080. Assumed: a 3.2 m wide image
 * (1 px ≈ 1.7 mm) read from 10 m. A 24 px font has capitals of about 17 px ≈ 28 mm,
 * 9.7 minutes of arc at 10 m: twice the 5′ of a letter on the 20/20 line of an eye chart,
 * so it reads with 20/40 sight. Names of actors get at least 28 px.
 */
export const BEAMER_TEXT: TextMinimum = { name: 28, role: 24, relation: 24, note: 24 };

export class PlenaryPage {
  readonly link: WorkshopLink;
  private timer: TimerView;
  private views = new Map<string, BoardView>();
  private tiles = new Map<string, HTMLElement>();
  private spotView: BoardView | null = null;
  private spotBoard: string | null = null;
  private boardsKey = "";
  private updates = 0;
  private analysis: PlenaryAnalysis | null = null;
  private sharedBox = h("div", { class: "p-shared-box", id: "p-shared-box", hidden: true });
  private els: Record<"head" | "round" | "part" | "questions" | "grid" | "spot" | "sheet" | "foot" | "status", HTMLElement>;

  constructor(
    root: HTMLElement,
    private readonly token: string,
    wsUrl: string,
  ) {
    this.link = new WorkshopLink({ url: wsUrl, token, clientId: `${clientId()}-plenary`, name: "plenary" });
    this.timer = new TimerView(() => this.link.state, this.link.clock);
    this.els = {
      head: h("h1", { class: "p-title", id: "p-title" }),
      round: h("h2", { class: "p-round", id: "p-round" }),
      part: h("p", { class: "p-part", id: "p-part" }),
      questions: h("ol", { class: "p-questions", id: "p-questions" }),
      grid: h("ol", { class: "p-grid", id: "p-grid", "aria-label": wt("plenary.overview") }),
      spot: h("section", { class: "p-spot", id: "p-spot", hidden: true }),
      sheet: h("div", { class: "p-sheet", id: "p-sheet", hidden: true }),
      foot: h("p", { class: "p-foot", id: "p-foot" }),
      status: h("span", { class: "p-status", id: "p-status", role: "status" }),
    };
    root.replaceChildren(
      h(
        "div",
        { class: "plenary", id: "plenary" },
        h("header", { class: "p-head" }, h("div", { class: "p-titles" }, this.els.head, this.els.round, this.els.part), this.timer.el),
        h("main", { class: "p-main" }, h("section", { class: "p-questions-box", "aria-label": wt("programme.questions") }, this.els.questions), h("div", { class: "p-stage" }, this.els.grid, this.els.spot, this.els.sheet), this.sharedBox),
        h("footer", { class: "p-footer" }, this.els.foot, this.els.status),
      ),
    );
    document.body.classList.add("plenary-body");
    this.link.on((e) => {
      if (e.kind === "state") this.render();
      else if (e.kind === "status") this.renderStatus();
      else if (e.kind === "board" || e.kind === "presence") {
        if (e.kind === "board") this.updates++;
        this.boardChanged(e.board);
      }
    });
    document.addEventListener("keydown", this.keydown);
    window.addEventListener("resize", this.relayout);
    this.link.start();
    this.renderStatus();
    (window as unknown as { schakelWorkshop: unknown; schakelPlenary: unknown }).schakelWorkshop = {
      remaining: () => ({ ms: this.timer.remaining(), at: Date.now(), text: this.timer.el.querySelector(".timer-text")?.textContent ?? "" }),
      state: () => this.link.state,
    };
    (window as unknown as { schakelPlenary: unknown }).schakelPlenary = {
      tiles: () => [...this.tiles.keys()],
      spotlight: () => this.spotBoard,
      labels: (board: string) => {
        const r = this.link.replica(board);
        return r ? Object.values(r.doc.visible()).filter((o) => o.type === "actor").map((o) => String(o.label ?? "")).sort() : null;
      },
      frames: () => ({ frames: frames.frames, renders: frames.renders, updates: this.updates }),
    };
  }

  close(): void {
    this.link.close();
    this.analysis?.close();
    this.timer.dispose();
    document.removeEventListener("keydown", this.keydown);
    window.removeEventListener("resize", this.relayout);
    document.body.classList.remove("plenary-body");
  }

  private get state(): WorkshopState | null {
    return this.link.state;
  }

  private boards(s: WorkshopState): string[] {
    return plenaryBoards(s).filter((b) => s.you.readable.includes(b)).slice(0, MAX_BOARDS);
  }

  private spotlight(s: WorkshopState): string | null {
    const spot = s.session.spotlight;
    return spot && s.you.readable.includes(spot) ? spot : null;
  }

  // ------------------------------------------------------------------ render

  private render(): void {
    const s = this.state;
    if (!s) return;
    document.title = `${s.title} · Schakel`;
    this.els.head.textContent = s.title;
    const round = currentRound(s);
    const part = currentPart(s);
    this.els.round.textContent = round?.title ?? "";
    this.els.part.replaceChildren(...partLine(part, s.session.locked));
    this.els.questions.replaceChildren(...(round?.questions ?? []).map((q) => h("li", {}, q)));
    this.els.questions.hidden = !round?.questions.length;
    this.els.foot.textContent = wt("plenary.join", { url: `${location.host}/join/${s.join_code}`, code: spacedCode(s.join_code) });
    const boards = this.boards(s);
    this.link.follow(boards);
    const key = JSON.stringify([boards, s.participants.map((p) => [p.id, p.name, p.group]), s.session.round]);
    if (key !== this.boardsKey) {
      this.boardsKey = key;
      this.renderGrid(s, boards);
    }
    this.renderSpot(s);
    this.renderAnalysis(s);
  }

  /** The analysis layer, when the facilitator has it on: marks, questions, shared actors. */
  private renderAnalysis(s: WorkshopState): void {
    if (!this.analysis) this.analysis = new PlenaryAnalysis(this.token, s.id, () => this.analysisChanged());
    this.analysis.show(s.session.analysis, this.spotBoard);
    document.body.classList.toggle("p-analysis-on", s.session.analysis);
    this.analysisChanged();
  }

  private analysisChanged(): void {
    const s = this.state;
    const a = this.analysis;
    if (!s || !a) return;
    const side = this.els.spot.querySelector(".p-spot-side");
    side?.querySelector("#p-analysis")?.remove();
    const panel = a.spotPanel();
    if (side && panel) side.insertBefore(panel, side.querySelector("#p-legend"));
    this.spotView?.repaint();
    for (const [board, tile] of this.tiles) {
      const el = tile.querySelector(".p-tile-score") as HTMLElement;
      const score = a.tileScore(board);
      el.textContent = score ?? "";
      el.hidden = score === null;
    }
    const shared = this.spotBoard ? null : a.shared((b) => boardName(s, b));
    this.sharedBox.replaceChildren(...(shared ? [shared] : []));
    this.sharedBox.hidden = !shared;
  }

  private renderGrid(s: WorkshopState, boards: string[]): void {
    for (const [b, v] of this.views) {
      if (!boards.includes(b)) {
        v.dispose();
        this.views.delete(b);
        this.tiles.delete(b);
      }
    }
    const items = boards.map((board) => {
      let view = this.views.get(board);
      if (!view) {
        view = new BoardView(boardName(s, board), { pad: 16, minText: BEAMER_TEXT });
        this.views.set(board, view);
        const r = this.link.replica(board);
        if (r) view.update(r.doc);
      }
      view.setLabel(boardName(s, board, !isCurrentRoundBoard(s, board)));
      const g = parseBoard(board).group;
      const names = g !== undefined ? membersOf(s, g).map((p) => p.name).join(", ") : "";
      const tile = h(
        "li",
        { class: "p-tile", "data-board": board },
        h(
          "button",
          { class: "p-tile-head", type: "button", title: wt("boards.spotlight") },
          h("span", { class: "p-tile-name" }, boardName(s, board, !isCurrentRoundBoard(s, board))),
          h("span", { class: "p-tile-who" }, names),
          h("span", { class: "p-tile-score", hidden: true }),
          h("span", { class: "p-tile-live", "data-live": "0" }),
        ),
        h("div", { class: "p-tile-map" }, view.svg as unknown as Node, h("p", { class: "p-empty" }, wt("plenary.empty"))),
      );
      tile.addEventListener("click", () => this.show(board));
      this.tiles.set(board, tile);
      this.updateTile(board);
      return tile;
    });
    this.els.grid.replaceChildren(...items);
    this.relayout();
  }

  private relayout = (): void => {
    const n = this.tiles.size;
    const r = this.els.grid.getBoundingClientRect();
    const cols = gridColumns(n, r.width || window.innerWidth, r.height || window.innerHeight * 0.7);
    this.els.grid.style.setProperty("--cols", String(cols));
    this.els.grid.style.setProperty("--rows", String(Math.max(1, Math.ceil(n / cols))));
    this.els.grid.dataset.n = String(n);
  };

  private peersOf(board: string): PeerMark[] {
    return [...(this.link.peers.get(board)?.values() ?? [])].map((p) => ({ client: p.client, name: p.name, ...p.data }));
  }

  private updateTile(board: string): void {
    const r = this.link.replica(board);
    const view = this.views.get(board);
    if (r && view) view.update(r.doc);
    const tile = this.tiles.get(board);
    if (tile) {
      const live = this.link.peers.get(board)?.size ?? 0;
      const el = tile.querySelector(".p-tile-live") as HTMLElement;
      el.dataset.live = String(live);
      el.textContent = live === 1 ? wt("plenary.present1") : live ? wt("plenary.present", { n: live }) : "";
      const empty = !r || Object.values(r.doc.visible()).length === 0;
      tile.classList.toggle("empty", empty);
    }
  }

  private boardChanged(board: string): void {
    this.updateTile(board);
    if (board === this.spotBoard) this.updateSpot();
    this.analysis?.boardChanged(board);
  }

  private renderSpot(s: WorkshopState): void {
    const spot = this.spotlight(s);
    const sheet = currentPart(s)?.sheet;
    const showSheet = spot === null && !!sheet;
    document.body.classList.toggle("p-spotlight", spot !== null);
    // During a spotlight the questions are one line: the map and its answers get the room.
    this.els.questions.classList.toggle("collapsed", spot !== null || showSheet);
    this.els.grid.hidden = spot !== null || showSheet;
    this.els.spot.hidden = spot === null;
    this.els.sheet.hidden = !showSheet;
    if (showSheet && this.els.sheet.dataset.sheet !== sheet + document.documentElement.lang) {
      this.els.sheet.dataset.sheet = sheet + document.documentElement.lang;
      this.els.sheet.replaceChildren(sheetView(sheet, "p-sheet-body"));
    }
    for (const [b, tile] of this.tiles) tile.classList.toggle("spotlit", b === spot);
    if (spot === null) {
      this.spotBoard = null;
      this.spotView?.dispose();
      this.spotView = null;
      this.els.spot.replaceChildren();
      return;
    }
    if (spot !== this.spotBoard || !this.spotView) {
      this.spotBoard = spot;
      this.spotView?.dispose();
      this.spotView = new BoardView(boardName(s, spot), { pad: 40, maxScale: 2.5, minText: BEAMER_TEXT, questionLabel: (ref) => questionTag(s, ref) });
      this.spotView.beforePaint = (renderer, doc) => this.analysis?.reserve(renderer, doc);
      this.spotView.onPaint = (renderer, doc) => this.analysis?.overlay(renderer, doc);
      this.els.spot.replaceChildren(
        h("div", { class: "p-spot-map" }, this.spotView.svg as unknown as Node),
        h(
          "aside",
          { class: "p-spot-side", "aria-labelledby": "p-spot-name", tabindex: 0 },
          h("h2", { class: "p-spot-name", id: "p-spot-name" }, boardName(s, spot, !isCurrentRoundBoard(s, spot))),
          h("div", { class: "p-issue", id: "p-issue" }),
          h("ul", { class: "p-people", id: "p-people" }),
          h("div", { class: "p-answers", id: "p-answers" }),
          this.legend(),
          h("p", { class: "p-keys" }, wt("plenary.keys")),
        ),
      );
    }
    this.els.spot.dataset.board = spot;
    this.updateSpot();
  }

  private updateSpot(): void {
    const s = this.state;
    const board = this.spotBoard;
    if (!s || !board || !this.spotView) return;
    const r = this.link.replica(board);
    const peers = this.peersOf(board);
    if (r) this.spotView.update(r.doc, peers);
    // Who belongs to this map, and who is drawing on it now.
    // (Only the map's own people: someone elsewhere following the beamer is not listed.)
    const { group: g, participant: pid } = parseBoard(board);
    const names = g !== undefined ? membersOf(s, g).map((p) => p.name) : s.participants.filter((p) => p.id === pid).map((p) => p.name);
    const here = new Set(peers.map((p) => p.name));
    this.els.spot.querySelector("#p-people")?.replaceChildren(...names.map((n) => h("li", { class: here.has(n) ? "here" : "" }, h("span", { class: "dot", "aria-hidden": "true" }), n)));
    if (r) this.renderIssue(r.doc);
    // The answers per question: notes tied to the questions of this map's round(s).
    const answers = this.els.spot.querySelector("#p-answers") as HTMLElement | null;
    const legend = this.els.spot.querySelector("#p-legend") as HTMLElement | null;
    const lists = r ? answersOf(s, board, r.doc) : [];
    if (answers) answers.replaceChildren(...(lists.length ? [h("h3", {}, wt("plenary.answers")), ...lists] : []));
    if (legend) legend.hidden = lists.length > 0;
  }

  private renderIssue(doc: Document): void {
    const meta = doc.get("meta") ?? {};
    const issue = typeof meta.issue === "string" ? meta.issue.trim() : "";
    const a = typeof meta.pole_a === "string" ? meta.pole_a.trim() : "";
    const b = typeof meta.pole_b === "string" ? meta.pole_b.trim() : "";
    this.els.spot.querySelector("#p-issue")?.replaceChildren(
      ...(issue ? [h("p", {}, h("strong", {}, wt("plenary.issue") + ": "), issue)] : []),
      ...(a || b ? [h("p", {}, h("strong", {}, wt("plenary.poles") + ": "), `${a || t("stance.pole_a")} ↔ ${b || t("stance.pole_b")}`)] : []),
    );
  }

  private legend(): HTMLElement {
    // The same colours and dashes as the maps (board/style.ts).
    const line = (dash: string | null, colour: string) => lineSample(colour, dash);
    return h(
      "div",
      { class: "p-legend", id: "p-legend" },
      h("h3", {}, wt("plenary.roles")),
      h("ul", { class: "p-roles" }, ...ROLES.map((r) => h("li", {}, roleChip(r, "p-chip")))),
      h("h3", {}, wt("plenary.relations")),
      h(
        "ul",
        { class: "p-rels" },
        ...RELATION_KINDS.map((k) => h("li", {}, line(relationDash(k, 4), NEUTRAL_LINE), t(`rkind.${k}` as Key))),
        h("li", {}, line(null, SIGN_COLOUR["+"]!), t("sign.+")),
        h("li", {}, line(null, SIGN_COLOUR["-"]!), t("sign.-")),
      ),
    );
  }

  private renderStatus(): void {
    const st = this.link.status;
    this.els.status.dataset.status = st;
    this.els.status.textContent = st === "connected" ? "" : st === "failed" ? failureText(this.link.failure) : wt(`status.${st}`);
  }

  // ------------------------------------------------------------------ keys

  /** Put a map on the beamer (or the overview): the hub decides, console and screen follow. */
  private show(board: string | null): void {
    this.link.control("spotlight", { board }).catch((e: Error) => {
      this.els.status.textContent = wt("error.control", { reason: e.message });
    });
  }

  private keydown = (e: KeyboardEvent): void => {
    const s = this.state;
    if (!s || e.ctrlKey || e.metaKey || e.altKey) return;
    const boards = this.boards(s);
    const current = this.spotlight(s);
    if (["ArrowRight", "ArrowDown", "PageDown"].includes(e.key) || (e.key === " " && !(e.target instanceof HTMLButtonElement))) {
      e.preventDefault();
      this.show(step(boards, current, 1));
    } else if (["ArrowLeft", "ArrowUp", "PageUp"].includes(e.key)) {
      e.preventDefault();
      this.show(step(boards, current, -1));
    } else if (e.key === "Escape" || e.key === "Home" || e.key === "o") {
      this.show(null);
    } else if (e.key === "f") {
      if (document.fullscreenElement) void document.exitFullscreen();
      else void document.documentElement.requestFullscreen?.().catch(() => undefined);
    }
  };
}

/** The notes of a map per question of its round(s): one list per question, then the rest. */
function answersOf(s: WorkshopState, board: string, doc: Document): HTMLElement[] {
  const rounds = boardRounds(s, board);
  const notes = Object.values(doc.visible()).filter((o) => o.type === "note" && typeof o.text === "string" && o.text.trim());
  const out: HTMLElement[] = [];
  if (!notes.length) return out;
  const used = new Set<unknown>();
  for (const r of rounds) {
    (s.programme[r]?.questions ?? []).forEach((q, qi) => {
      const mine = notes.filter((n) => {
        const ref = parseQuestionRef(n.question);
        return ref !== null && ref.round === r && ref.question === qi;
      });
      mine.forEach((n) => used.add(n));
      out.push(
        h(
          "section",
          { class: "p-answer", "data-question": `${r}.${qi}` },
          h("h4", { title: q }, h("span", { class: "p-qtag" }, questionTag(s, `${r}.${qi}`) ?? ""), " ", q),
          mine.length ? h("ul", {}, ...mine.map((n) => h("li", {}, String(n.text)))) : h("p", { class: "p-none" }, wt("plenary.noAnswers")),
        ),
      );
    });
  }
  const rest = notes.filter((n) => !used.has(n));
  if (out.length && rest.length) out.push(h("section", { class: "p-answer" }, h("h4", {}, wt("plenary.otherNotes")), h("ul", {}, ...rest.map((n) => h("li", {}, String(n.text))))));
  return out;
}

export function plenaryPage(root: HTMLElement, wsUrl: string): PlenaryPage | null {
  const token = decodeURIComponent(location.hash.replace(/^#/, "")).trim();
  if (!token) {
    root.replaceChildren(h("main", { class: "join-page" }, h("div", { class: "join-card" }, h("h1", {}, t("app.name")), h("p", {}, wt("plenary.noToken")))));
    return null;
  }
  return new PlenaryPage(root, token, wsUrl);
}
