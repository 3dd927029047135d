/**
 * The plenary screen (beamer, read-only): title, current round, questions and timer, and
 * a live grid of every group's map fitted to its tile, all over one connection. Spotlight:
 * one map full-screen with the legend and who is drawing. The facilitator switches maps
 * from the console (the screen follows); on the screen itself ← → (and clicker keys
 * PageUp/PageDown) step through the maps, Esc goes back to the overview, F toggles full
 * screen. Renders are coalesced per animation frame (workshop/view.ts).
 */
import "../workshop/workshop.css";
import "../analysis/analysis.css";
import { PlenaryAnalysis } from "../analysis/plenary";
import type { PeerMark } from "../board/render";
import { NEUTRAL_LINE, ROLE_COLOUR, ROLE_TEXT, SIGN_COLOUR, relationDash } from "../board/style";
import { ROLES, RELATION_KINDS } from "../core/schema";
import { h } from "../ui/dom";
import { t, type Key } from "../ui/i18n";
import { clientId } from "../ui/session";
import { boardName, partLine } from "../workshop/bar";
import { wt } from "../workshop/i18n";
import { WorkshopLink } from "../workshop/link";
import { spacedCode } from "../workshop/qr";
import { currentPart, currentRound, membersOf, parseBoard, plenaryBoards, type WorkshopState } from "../workshop/state";
import { TimerView } from "../workshop/timer";
import { BoardView, frames } from "../workshop/view";
import { gridColumns, step } from "./layout";

const MAX_BOARDS = 64;

export class PlenaryPage {
  readonly link: WorkshopLink;
  private timer: TimerView;
  private views = new Map<string, BoardView>();
  private tiles = new Map<string, HTMLElement>();
  private spotView: BoardView | null = null;
  private spotBoard: string | null = null;
  /** A map chosen on the screen itself; undefined: follow the facilitator. */
  private local: string | null | undefined = undefined;
  private lastHubSpot: string | null = null;
  private boardsKey = "";
  private updates = 0;
  private analysis: PlenaryAnalysis | null = null;
  private sharedBox = h("div", { class: "p-shared-box", id: "p-shared-box", hidden: true });
  private els: Record<"head" | "round" | "part" | "questions" | "grid" | "spot" | "foot" | "status", HTMLElement>;

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
      foot: h("p", { class: "p-foot", id: "p-foot" }),
      status: h("span", { class: "p-status", id: "p-status" }),
    };
    root.replaceChildren(
      h(
        "div",
        { class: "plenary", id: "plenary" },
        h("header", { class: "p-head" }, h("div", { class: "p-titles" }, this.els.head, this.els.round, this.els.part), this.timer.el),
        this.els.questions,
        h("main", { class: "p-main" }, this.els.grid, this.els.spot, this.sharedBox),
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

  private effectiveSpot(s: WorkshopState): string | null {
    const spot = this.local !== undefined ? this.local : s.session.spotlight;
    return spot && s.you.readable.includes(spot) ? spot : null;
  }

  // ------------------------------------------------------------------ render

  private render(): void {
    const s = this.state;
    if (!s) return;
    if (s.session.spotlight !== this.lastHubSpot) {
      // The facilitator switched: the screen follows again.
      this.lastHubSpot = s.session.spotlight;
      this.local = undefined;
    }
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
    const key = JSON.stringify([boards, s.participants.map((p) => [p.id, p.name, p.group])]);
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
        view = new BoardView(boardName(s, board), 16);
        this.views.set(board, view);
        const r = this.link.replica(board);
        if (r) view.update(r.doc);
      }
      view.setLabel(boardName(s, board));
      const g = parseBoard(board).group;
      const names = g !== undefined ? membersOf(s, g).map((p) => p.name).join(", ") : "";
      const tile = h(
        "li",
        { class: "p-tile", "data-board": board, tabindex: 0 },
        h("div", { class: "p-tile-head" }, h("span", { class: "p-tile-name" }, boardName(s, board)), h("span", { class: "p-tile-who" }, names), h("span", { class: "p-tile-score", hidden: true }), h("span", { class: "p-tile-live", "data-live": "0" })),
        h("div", { class: "p-tile-map" }, view.svg as unknown as Node, h("p", { class: "p-empty" }, wt("plenary.empty"))),
      );
      tile.addEventListener("click", () => this.choose(board));
      tile.addEventListener("keydown", (e) => {
        if (e.key === "Enter") this.choose(board);
      });
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
    const spot = this.effectiveSpot(s);
    document.body.classList.toggle("p-spotlight", spot !== null);
    this.els.grid.hidden = spot !== null;
    this.els.spot.hidden = spot === null;
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
      this.spotView = new BoardView(boardName(s, spot), 48);
      this.spotView.onPaint = (renderer, doc) => this.analysis?.overlay(renderer, doc);
      this.els.spot.replaceChildren(
        h("div", { class: "p-spot-map" }, this.spotView.svg as unknown as Node),
        h("aside", { class: "p-spot-side" }, h("h2", { class: "p-spot-name", id: "p-spot-name" }, boardName(s, spot)), h("ul", { class: "p-people", id: "p-people" }), this.legend(), h("p", { class: "p-keys" }, wt("plenary.keys"))),
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
    const list = this.els.spot.querySelector("#p-people");
    list?.replaceChildren(...names.map((n) => h("li", { class: here.has(n) ? "here" : "" }, h("span", { class: "dot", "aria-hidden": "true" }), n)));
  }

  private legend(): HTMLElement {
    const ns = "http://www.w3.org/2000/svg";
    // The same colours and dashes as the maps (board/style.ts).
    const line = (dash: string | null, colour: string) => {
      const s = document.createElementNS(ns, "svg");
      s.setAttribute("viewBox", "0 0 60 16");
      s.setAttribute("aria-hidden", "true");
      const p = document.createElementNS(ns, "path");
      p.setAttribute("d", "M4,8H56");
      p.setAttribute("stroke", colour);
      p.setAttribute("stroke-width", "4");
      p.setAttribute("stroke-linecap", "round");
      if (dash) p.setAttribute("stroke-dasharray", dash);
      s.appendChild(p);
      return s;
    };
    return h(
      "div",
      { class: "p-legend", id: "p-legend" },
      h("h3", {}, wt("plenary.roles")),
      h("ul", { class: "p-roles" }, ...ROLES.map((r) => h("li", {}, h("span", { class: "p-chip", "data-role": r, style: `background:${ROLE_COLOUR[r]};color:${ROLE_TEXT[r]}` }, t(`role.${r}` as Key))))),
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
    this.els.status.textContent = st === "connected" ? "" : st === "failed" ? wt("console.failed", { reason: this.link.failure?.reason ?? "" }) : wt(`status.${st}`);
  }

  // ------------------------------------------------------------------ keys

  private choose(board: string | null): void {
    const s = this.state;
    if (!s) return;
    this.local = board;
    this.renderSpot(s);
    this.renderAnalysis(s);
  }

  private keydown = (e: KeyboardEvent): void => {
    const s = this.state;
    if (!s || e.ctrlKey || e.metaKey || e.altKey) return;
    const boards = this.boards(s);
    const current = this.effectiveSpot(s);
    if (["ArrowRight", "ArrowDown", "PageDown", " "].includes(e.key)) {
      e.preventDefault();
      this.choose(step(boards, current, 1));
    } else if (["ArrowLeft", "ArrowUp", "PageUp"].includes(e.key)) {
      e.preventDefault();
      this.choose(step(boards, current, -1));
    } else if (e.key === "Escape" || e.key === "Home" || e.key === "o") {
      this.choose(null);
    } else if (e.key === "f") {
      if (document.fullscreenElement) void document.exitFullscreen();
      else void document.documentElement.requestFullscreen?.().catch(() => undefined);
    }
  };
}

export function plenaryPage(root: HTMLElement, wsUrl: string): PlenaryPage | null {
  const token = decodeURIComponent(location.hash.replace(/^#/, "")).trim();
  if (!token) {
    root.replaceChildren(h("main", { class: "join-page" }, h("div", { class: "join-card" }, h("h1", {}, t("app.name")), h("p", {}, wt("plenary.noToken")))));
    return null;
  }
  return new PlenaryPage(root, token, wsUrl);
}
