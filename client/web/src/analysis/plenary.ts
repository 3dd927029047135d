/**
 * The analysis layer of the plenary screen, switched on by the facilitator (the workshop's
 * `session.analysis`): on the spotlit map the marks and, beside it, the score and the most
 * telling questions in large type; on the overview each map's score and the actors
 * several groups named. It follows the boards it shows and asks the hub again when they
 * change (the hub answers unchanged boards from its cache).
 */
import type { Document } from "../core/document";
import type { BoardRenderer } from "../board/render";
import { h } from "../ui/dom";
import { followBoard, followWorkshop, type Follower } from "./api";
import { at } from "./i18n";
import { drawOverlay, tagBoxes } from "./overlay";
import { gameChangers, markKey, scoreLine, sharedList, topQuestions } from "./panel";
import type { BoardAnalysis, WorkshopAnalysis } from "./types";

/** Tags and questions sized to read from the back of a room on a 1920×1080 beamer. */
export const BEAMER_TAG_PX = 26;
const TOP_QUESTIONS = 3;

export class PlenaryAnalysis {
  on = false;
  private board: Follower<BoardAnalysis> | null = null;
  private boardId: string | null = null;
  private workshop: Follower<WorkshopAnalysis> | null = null;

  constructor(
    private readonly token: string,
    private readonly workshopId: string,
    private readonly changed: () => void,
  ) {}

  /** Follow what the screen shows: the spotlit board, or the overview. */
  show(on: boolean, spot: string | null): void {
    this.on = on;
    const board = on ? spot : null;
    if (board !== this.boardId) {
      this.board?.close();
      this.board = board ? followBoard(board, this.token, this.changed) : null;
      this.boardId = board;
    }
    if (on && !spot && !this.workshop) this.workshop = followWorkshop(this.workshopId, this.token, this.changed, 2000);
    if ((!on || spot) && this.workshop) {
      this.workshop.close();
      this.workshop = null;
    }
  }

  boardChanged(board: string): void {
    if (board === this.boardId) this.board?.changed();
    this.workshop?.changed();
  }

  /** Keep the beamer's labels out of the tags' way (before each paint of the map). */
  reserve(renderer: BoardRenderer, doc: Document): void {
    renderer.reserved = tagBoxes(doc, this.on ? (this.board?.result ?? null) : null, { fontPx: BEAMER_TAG_PX, scale: renderer.view.s });
  }

  /** Draw the marks on the spotlit map (after each paint of it). */
  overlay(renderer: BoardRenderer, doc: Document): void {
    drawOverlay(renderer, doc, this.on ? (this.board?.result ?? null) : null, { fontPx: BEAMER_TAG_PX, scale: renderer.view.s });
  }

  /** The analysis beside the spotlit map, or null when the layer is off. */
  spotPanel(): HTMLElement | null {
    if (!this.on || !this.board) return null;
    const a = this.board.result;
    if (!a) return h("section", { class: "p-analysis", id: "p-analysis" }, h("p", { class: "an-loading" }, this.board.error ? at("layer.failed", { reason: this.board.error.message }) : at("layer.loading")));
    return h("section", { class: "p-analysis", id: "p-analysis", "aria-label": at("layer.heading") }, scoreLine(a), markKey(a), topQuestions(a, TOP_QUESTIONS), gameChangers(a), h("p", { class: "an-note" }, at("layer.note")));
  }

  /** A map's score on its tile in the overview. */
  tileScore(board: string): string | null {
    const x = this.on ? this.workshop?.result?.boards[board]?.headline : undefined;
    return x && x.score !== null ? at("layer.score", { score: x.score }) : null;
  }

  /** The actors several groups named (overview), or null when the layer is off. */
  shared(labelOf: (board: string) => string): HTMLElement | null {
    const w = this.on ? this.workshop?.result : null;
    if (!w) return null;
    return h("section", { class: "p-shared", id: "p-shared", "aria-label": at("shared.heading") }, h("h2", {}, at("shared.heading")), sharedList(w.shared, labelOf, 8, true));
  }

  close(): void {
    this.board?.close();
    this.workshop?.close();
  }
}
