/**
 * The analysis page (`/analysis?board=<id>#<token>`), opened from the console: one map,
 * live, with the analysis layer, and beside it everything the analysis says about it (the
 * score and its parts, every question under the deck's headings, the game changers that
 * fit, what changes if someone drops out); under it the actors several groups named and
 * the figures at the end of each part. Read-only, over one connection.
 */
import "../workshop/workshop.css";
import "./analysis.css";
import { h } from "../ui/dom";
import { t } from "../ui/i18n";
import { clientId } from "../ui/session";
import { boardName } from "../workshop/bar";
import { WorkshopLink } from "../workshop/link";
import { BoardView } from "../workshop/view";
import { followBoard, followWorkshop, type Follower } from "./api";
import { at } from "./i18n";
import { drawOverlay } from "./overlay";
import { analysisPanel, headlineText, sharedList } from "./panel";
import type { BoardAnalysis, WorkshopAnalysis } from "./types";

export class AnalysisPage {
  readonly link: WorkshopLink;
  private view: BoardView;
  private board: Follower<BoardAnalysis>;
  private workshop: Follower<WorkshopAnalysis> | null = null;
  private els: Record<"title" | "side" | "shared" | "time", HTMLElement>;

  constructor(
    root: HTMLElement,
    private readonly token: string,
    private readonly boardId: string,
    wsUrl: string,
  ) {
    this.link = new WorkshopLink({ url: wsUrl, token, clientId: `${clientId()}-analysis`, name: "analysis" });
    this.view = new BoardView(boardId, { pad: 40 });
    this.view.onPaint = (renderer, doc) => drawOverlay(renderer, doc, this.board.result, { fontPx: 15, scale: renderer.view.s });
    this.board = followBoard(boardId, token, () => this.renderBoard());
    this.els = {
      title: h("h1", { id: "an-title" }, at("page.title")),
      side: h("aside", { class: "an-side", id: "an-side", tabindex: 0, "aria-label": at("layer.heading") }),
      shared: h("section", { class: "card", id: "an-shared" }),
      time: h("section", { class: "card", id: "an-time" }),
    };
    root.replaceChildren(
      h(
        "div",
        { class: "an-page" },
        h("header", { class: "console-top" }, this.els.title),
        h("main", { class: "an-main" }, h("div", { class: "an-top" }, h("div", { class: "an-map card" }, this.view.svg as unknown as Node), this.els.side), h("div", { class: "an-below" }, this.els.shared, this.els.time)),
      ),
    );
    document.body.classList.add("console-body");
    this.link.on((e) => {
      if (e.kind === "state") this.renderState();
      else if (e.kind === "board" && e.board === boardId) {
        this.view.update(this.link.replica(boardId)!.doc);
        this.board.changed();
        this.workshop?.changed();
      }
    });
    this.link.start();
    this.renderBoard();
  }

  close(): void {
    this.link.close();
    this.board.close();
    this.workshop?.close();
    this.view.dispose();
    document.body.classList.remove("console-body");
  }

  private renderState(): void {
    const s = this.link.state;
    if (!s) return;
    this.link.follow([this.boardId]);
    const name = boardName(s, this.boardId);
    this.els.title.textContent = `${at("page.title")} · ${name} · ${s.title}`;
    document.title = `${at("page.title")} · ${name}`;
    this.view.setLabel(name);
    if (!this.workshop && s.you.role !== "participant") this.workshop = followWorkshop(s.id, this.token, () => this.renderWorkshop(), 2000);
  }

  private renderBoard(): void {
    const f = this.board;
    const panel = f.error && !f.result ? analysisPanel(null, "failed", f.error.message) : analysisPanel(f.result, f.result ? "ok" : "loading");
    this.els.side.replaceChildren(panel);
    this.view.repaint();
  }

  private renderWorkshop(): void {
    const w = this.workshop?.result;
    const s = this.link.state;
    if (!w || !s) return;
    const label = (b: string) => boardName(s, b);
    this.els.shared.replaceChildren(h("h2", {}, at("shared.heading")), sharedList(w.shared, label, 40));
    const boards = Object.keys(w.boards);
    const rows = [...w.history.map((e) => ({ name: `${e.round_title} · ${e.part_title}`, boards: e.boards })), { name: at("page.now"), boards: Object.fromEntries(Object.entries(w.boards).map(([b, x]) => [b, x.headline])) }];
    this.els.time.replaceChildren(
      h("h2", {}, at("page.over")),
      h(
        "table",
        { class: "an-table" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), ...boards.map((b) => h("th", { scope: "col" }, label(b))))),
        h("tbody", {}, ...rows.map((r) => h("tr", {}, h("th", { scope: "row" }, r.name), ...boards.map((b) => h("td", {}, r.boards[b] ? headlineText(r.boards[b]!) : "–"))))),
      ),
    );
  }
}

export function analysisPage(root: HTMLElement, wsUrl: string): AnalysisPage | null {
  const token = decodeURIComponent(location.hash.replace(/^#/, "")).trim();
  const board = new URLSearchParams(location.search).get("board") ?? "";
  if (!token || !board) {
    root.replaceChildren(h("main", { class: "join-page" }, h("div", { class: "join-card" }, h("h1", {}, t("app.name")), h("p", {}, at("page.noToken")))));
    return null;
  }
  return new AnalysisPage(root, token, board, wsUrl);
}
