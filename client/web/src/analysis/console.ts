/**
 * The analysis and the results in the facilitator console: each group's headline figures
 * with a link to its full analysis and its files, the report and the ZIP of the whole
 * workshop, the switch for the analysis layer on the beamer, and, before deleting the
 * workshop, the offer to download everything first.
 */
import { h } from "../ui/dom";
import { download, followWorkshop, type Follower } from "./api";
import { at } from "./i18n";
import { headlineText } from "./panel";
import type { WorkshopAnalysis } from "./types";

export const BOARD_FILES = ["svg", "png", "pdf", "graphml", "gexf", "json", "actors.csv", "relations.csv"] as const;

export class ConsoleResults {
  private follower: Follower<WorkshopAnalysis>;
  /** Where messages go (the console's toast): failures, and a finished import. */
  private onError: (reason: string) => void = () => undefined;

  constructor(
    private readonly token: string,
    private readonly workshopId: string,
    private readonly lang: () => string,
  ) {
    this.follower = followWorkshop(workshopId, token, () => this.fill(), 2500);
  }

  errors(fn: (reason: string) => void): void {
    this.onError = fn;
  }

  boardChanged(): void {
    this.follower.changed();
  }

  close(): void {
    this.follower.close();
  }

  private async fetchFile(path: string, button: HTMLButtonElement, open = false): Promise<void> {
    if (button.getAttribute("aria-disabled") === "true") return;
    const label = button.textContent;
    button.setAttribute("aria-disabled", "true");
    button.textContent = at("files.busy");
    try {
      await download(path, this.token, open);
    } catch (e) {
      this.onError(at("files.failed", { reason: (e as Error).message }));
    } finally {
      button.removeAttribute("aria-disabled");
      button.textContent = label;
    }
  }

  private fileButton(text: string, path: string, id: string, open = false): HTMLButtonElement {
    const b = h("button", { type: "button", id, class: "small" }, text) as HTMLButtonElement;
    b.addEventListener("click", () => void this.fetchFile(path, b, open));
    return b;
  }

  /** Import a map (a Schakel board file, or GraphML from another tool) into an empty group
   * board: the first empty one, or a new group. The hub checks the file whole first. */
  private importButton(): HTMLElement {
    // Hidden: the button opens it (a hidden file input still opens its picker when clicked).
    const input = h("input", { type: "file", id: "import-file", accept: ".json,.graphml,.xml,application/json,application/xml", hidden: true, "aria-label": at("files.import") }) as HTMLInputElement;
    const b = h("button", { type: "button", id: "import-map", class: "small" }, at("files.import")) as HTMLButtonElement;
    b.addEventListener("click", () => input.click());
    input.addEventListener("change", async () => {
      const file = input.files?.[0];
      input.value = "";
      if (!file) return;
      const xml = /\.(graphml|xml)$/i.test(file.name) || file.type.includes("xml");
      b.setAttribute("aria-disabled", "true");
      try {
        const r = await fetch(`/api/workshops/${encodeURIComponent(this.workshopId)}/import`, {
          method: "POST",
          headers: { authorization: `Bearer ${this.token}`, "content-type": xml ? "application/xml" : "application/json" },
          body: await file.text(),
        });
        const body = (await r.json()) as { board?: string; reason?: string; objects?: { actor: number; relation: number } };
        if (!r.ok) throw new Error(body.reason ?? String(r.status));
        const n = Number((body.board ?? "").split(":g")[1] ?? 0);
        this.onError(at("files.imported", { n, actors: body.objects?.actor ?? 0, relations: body.objects?.relation ?? 0 }));
      } catch (e) {
        this.onError(at("files.importFailed", { reason: (e as Error).message }));
      } finally {
        b.removeAttribute("aria-disabled");
      }
    });
    return h("span", {}, b, input);
  }

  /** Report, report PDF and ZIP of the whole workshop. */
  reportButtons(): HTMLElement {
    const base = `/api/workshops/${encodeURIComponent(this.workshopId)}/export`;
    const q = `?lang=${this.lang()}`;
    return h(
      "div",
      { class: "results-buttons", id: "results", role: "group", "aria-label": at("files.heading") },
      this.fileButton(at("files.report"), `${base}/report.html${q}`, "download-report", true),
      this.fileButton(at("files.reportPdf"), `${base}/report.pdf${q}`, "download-report-pdf"),
      this.fileButton(at("files.zip"), `${base}/zip${q}`, "download-zip"),
      this.importButton(),
    );
  }

  /** A group card's figures (filled in when the analysis arrives) and its files. */
  boardBox(board: string): HTMLElement {
    const base = `/api/boards/${encodeURIComponent(board)}/export`;
    const q = `?lang=${this.lang()}`;
    const key = board.slice(board.indexOf(":") + 1);
    const link = h("a", { class: "button small", href: `/analysis?board=${encodeURIComponent(board)}#${this.token}`, target: "_blank", rel: "noopener", id: `analysis-${key}` }, at("files.analysis"));
    const files = h(
      "details",
      { class: "board-files" },
      h("summary", {}, at("files.board")),
      h("div", { class: "row" }, ...BOARD_FILES.map((f) => this.fileButton(f.toUpperCase().replace(".CSV", " (CSV)"), `${base}/${f}${q}`, `file-${key}-${f.replace(".", "-")}`))),
    );
    const box = h("div", { class: "group-analysis", "data-board": board }, h("p", { class: "headline", "data-board": board }), h("div", { class: "row" }, link), files);
    this.fillOne(box.querySelector(".headline") as HTMLElement);
    return box;
  }

  private fillOne(el: HTMLElement): void {
    const x = this.follower.result?.boards[el.dataset.board ?? ""]?.headline;
    el.textContent = x ? headlineText(x) : "";
    el.hidden = !x;
  }

  /** Put the latest figures into every group card on the page. */
  fill(): void {
    for (const el of document.querySelectorAll<HTMLElement>(".group-analysis .headline")) this.fillOne(el);
  }

  /** Before deleting: say what goes, offer the ZIP; resolves true to delete. */
  confirmDelete(): Promise<boolean> {
    return new Promise((resolve) => {
      const zip = this.fileButton(at("delete.download"), `/api/workshops/${encodeURIComponent(this.workshopId)}/export/zip?lang=${this.lang()}`, "delete-download");
      zip.classList.add("primary");
      const yes = h("button", { type: "button", class: "danger", id: "delete-confirm" }, at("delete.confirm"));
      const no = h("button", { type: "button", id: "delete-cancel" }, at("delete.cancel"));
      const dialog = h("dialog", { class: "delete-dialog", id: "delete-dialog", "aria-labelledby": "delete-title" }, h("h2", { id: "delete-title" }, at("delete.title")), h("p", {}, at("delete.text")), h("div", { class: "row" }, zip, no, yes)) as HTMLDialogElement;
      const done = (answer: boolean) => {
        dialog.close();
        dialog.remove();
        resolve(answer);
      };
      yes.addEventListener("click", () => done(true));
      no.addEventListener("click", () => done(false));
      dialog.addEventListener("cancel", (e) => {
        e.preventDefault();
        done(false);
      });
      document.body.append(dialog);
      dialog.showModal();
      zip.focus();
    });
  }
}
