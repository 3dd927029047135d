/**
 * The analysis layer on a group's own map, on the tablet: off by default (drawing comes
 * first); a toggle in the header switches it on, and then the map shows the marks and the
 * panel's "Analyse" tab the questions. While on, it asks the hub again after the map has
 * changed and settled.
 */
import type { Document } from "../core/document";
import type { BoardRenderer } from "../board/render";
import { h } from "../ui/dom";
import { followBoard, type Follower } from "./api";
import { at } from "./i18n";
import { drawOverlay } from "./overlay";
import { analysisPanel } from "./panel";
import type { BoardAnalysis } from "./types";

export const TABLET_TAG_PX = 15;

export class TabletAnalysis {
  on = false;
  private follower: Follower<BoardAnalysis> | null = null;

  constructor(
    private readonly board: string,
    private readonly token: string,
    private readonly changed: (on: boolean) => void,
  ) {}

  /** The header's toggle (made again whenever the page rebuilds its chrome). */
  button(): HTMLButtonElement {
    const b = h("button", { class: "textbtn analysis-toggle", id: "analysis-toggle", type: "button", "aria-pressed": String(this.on), title: at("layer.title") }, at("layer.on")) as HTMLButtonElement;
    b.addEventListener("click", () => this.toggle());
    return b;
  }

  toggle(on = !this.on): void {
    this.on = on;
    this.follower?.close();
    this.follower = on ? followBoard(this.board, this.token, () => this.changed(this.on)) : null;
    for (const b of document.querySelectorAll("#analysis-toggle")) b.setAttribute("aria-pressed", String(on));
    this.changed(on);
  }

  docChanged(): void {
    this.follower?.changed();
  }

  get result(): BoardAnalysis | null {
    return this.follower?.result ?? null;
  }

  draw(renderer: BoardRenderer, doc: Document): void {
    drawOverlay(renderer, doc, this.on ? this.result : null, { fontPx: TABLET_TAG_PX, scale: renderer.view.s });
  }

  panel(): HTMLElement {
    const f = this.follower;
    if (f?.error && !f.result) return analysisPanel(null, "failed", f.error.message);
    return analysisPanel(this.result, this.result ? "ok" : "loading");
  }

  close(): void {
    this.follower?.close();
  }
}
