/** The programme editor: rounds, their parts (title, minutes, who shares a board), questions. */
import { h } from "../ui/dom";
import { wt } from "../workshop/i18n";
import { edit, normalise, problems, sharesWith, totalMinutes, type Edit } from "../workshop/programme";
import { MODES, SHEETS, type Programme, type Sheet } from "../workshop/state";

export class ProgrammeEditor {
  readonly el: HTMLElement;
  private draft: Programme;
  private body: HTMLElement;
  private status: HTMLElement;
  private save: HTMLButtonElement;

  constructor(
    private original: Programme,
    private readonly onSave: (p: Programme) => Promise<void>,
    onClose: () => void,
  ) {
    this.draft = original;
    this.body = h("div", { class: "editor-body" });
    this.status = h("p", { class: "editor-status", role: "status", id: "editor-status" });
    this.save = h("button", { class: "primary", id: "editor-save" }, wt("edit.save")) as HTMLButtonElement;
    this.save.addEventListener("click", () => void this.doSave());
    const reset = h("button", { id: "editor-reset" }, wt("edit.reset"));
    reset.addEventListener("click", () => {
      this.draft = this.original;
      this.render();
    });
    const close = h("button", { id: "editor-close" }, wt("edit.close"));
    close.addEventListener("click", onClose);
    this.el = h(
      "section",
      { class: "editor card", id: "programme-editor", "aria-labelledby": "editor-h" },
      h("header", { class: "editor-head" }, h("h2", { id: "editor-h" }, wt("edit.heading")), h("div", { class: "row" }, this.save, reset, close)),
      this.status,
      this.body,
    );
    this.render();
  }

  /** The hub's programme changed (another console, or our save): start from it. */
  setOriginal(p: Programme): void {
    if (JSON.stringify(p) === JSON.stringify(this.draft)) {
      this.original = p; // our own save coming back
      return;
    }
    const dirty = JSON.stringify(this.draft) !== JSON.stringify(this.original);
    this.original = p;
    if (!dirty) {
      this.draft = p;
      this.render();
    }
  }

  private apply(e: Edit, rerender = true): void {
    this.draft = edit(this.draft, e);
    if (rerender) this.render();
    else this.check();
  }

  private check(): void {
    const n = problems(this.draft).length;
    this.save.disabled = n > 0;
    this.status.textContent = n ? wt("edit.problems", { n }) : wt("programme.total", { minutes: totalMinutes(this.draft) });
    this.status.classList.toggle("error", n > 0);
  }

  private async doSave(): Promise<void> {
    if (problems(this.draft).length) return;
    this.save.disabled = true;
    try {
      await this.onSave(normalise(this.draft));
      this.original = this.draft = normalise(this.draft);
      this.status.textContent = wt("edit.saved");
      this.status.classList.remove("error");
    } catch (e) {
      this.status.textContent = wt("error.control", { reason: (e as Error).message });
      this.status.classList.add("error");
    } finally {
      this.save.disabled = problems(this.draft).length > 0;
    }
  }

  private btn(label: string, e: Edit, cls = "small", aria?: string): HTMLButtonElement {
    const b = h("button", { class: cls, type: "button", "aria-label": aria, title: aria }, label) as HTMLButtonElement;
    b.addEventListener("click", () => this.apply(e));
    return b;
  }

  private render(): void {
    const rounds = this.draft.map((r, ri) => {
      const title = h("input", { value: r.title, maxlength: 500, "aria-label": `${wt("edit.round")} ${ri + 1}`, "data-round": ri });
      title.addEventListener("input", () => this.apply({ op: "setRound", round: ri, title: title.value }, false));
      const parts = r.parts.map((p, pi) => {
        const pt = h("input", { value: p.title, maxlength: 500, "aria-label": `${wt("edit.part")} ${pi + 1}` });
        pt.addEventListener("input", () => this.apply({ op: "setPart", round: ri, part: pi, fields: { title: pt.value } }, false));
        const min = h("input", { type: "number", min: 1, max: 240, value: p.minutes, class: "minutes", "aria-label": wt("edit.minutes"), inputmode: "numeric" });
        min.addEventListener("input", () => this.apply({ op: "setPart", round: ri, part: pi, fields: { minutes: Number(min.value) } }, false));
        const mode = h("select", { "aria-label": wt("edit.mode") }, ...MODES.map((m) => h("option", { value: m, selected: m === p.mode }, wt(`mode.${m}`))));
        mode.addEventListener("change", () => this.apply({ op: "setPart", round: ri, part: pi, fields: { mode: mode.value as (typeof MODES)[number] } }, false));
        const sheet = h(
          "select",
          { "aria-label": wt("edit.sheet"), title: wt("edit.sheet"), "data-sheet": pi },
          h("option", { value: "", selected: !p.sheet }, `${wt("edit.sheet")}: ${wt("edit.sheet.none")}`),
          ...SHEETS.map((x) => h("option", { value: x, selected: p.sheet === x }, `${wt("edit.sheet")}: ${wt(`edit.sheet.${x}`)}`)),
        );
        sheet.addEventListener("change", () => this.apply({ op: "setPart", round: ri, part: pi, fields: { sheet: (sheet.value || undefined) as Sheet | undefined } }, false));
        return h(
          "li",
          { class: "editor-part" },
          pt,
          min,
          h("span", { class: "unit" }, "min"),
          mode,
          sheet,
          this.btn("↑", { op: "movePart", round: ri, part: pi, to: pi - 1 }, "small", wt("edit.up")),
          this.btn("✕", { op: "removePart", round: ri, part: pi }, "small", wt("edit.remove")),
        );
      });
      const questions = r.questions.map((q, qi) => {
        const qa = h("textarea", { rows: 3, maxlength: 500, "aria-label": wt("edit.question", { n: qi + 1 }) }, q);
        qa.addEventListener("input", () => this.apply({ op: "setQuestion", round: ri, question: qi, text: qa.value }, false));
        return h("li", { class: "editor-question" }, qa, this.btn("✕", { op: "removeQuestion", round: ri, question: qi }, "small", wt("edit.remove")));
      });
      // Which rounds draw on the same boards: fresh ones, or an earlier round's.
      const shared = sharesWith(this.draft, ri);
      const boards = h(
        "select",
        { "aria-label": `${wt("edit.board")}: ${wt("edit.round")} ${ri + 1}`, class: "board-share", "data-round": ri },
        h("option", { value: "", selected: shared === null }, r.board === undefined ? wt("edit.board.original") : wt("edit.board.own")),
        ...this.draft.slice(0, ri).map((_, j) => h("option", { value: String(j), selected: shared === j }, wt("edit.board.same", { n: j + 1 }))),
      );
      boards.addEventListener("change", () => this.apply({ op: "shareBoards", round: ri, with: boards.value === "" ? null : Number(boards.value) }));
      return h(
        "li",
        { class: "editor-round", "data-board": r.board ?? "" },
        h("div", { class: "row" }, h("span", { class: "round-no" }, String(ri + 1)), title, this.btn(wt("edit.up"), { op: "moveRound", round: ri, to: ri - 1 }), this.btn(wt("edit.remove"), { op: "removeRound", round: ri })),
        h("div", { class: "row editor-boards" }, h("span", { class: "field-label" }, wt("edit.board")), boards),
        h("ol", { class: "editor-parts" }, ...parts),
        this.btn(wt("edit.addPart"), { op: "addPart", round: ri, part: { title: wt("edit.newPart"), minutes: 10, mode: "group" } }),
        h("h4", { class: "editor-sub" }, wt("programme.questions")),
        h("ol", { class: "editor-questions" }, ...questions),
        this.btn(wt("edit.addQuestion"), { op: "addQuestion", round: ri, text: "" }),
      );
    });
    this.body.replaceChildren(
      h("ol", { class: "editor-rounds" }, ...rounds),
      this.btn(wt("edit.addRound"), { op: "addRound", title: wt("edit.newRound"), part: { title: wt("edit.newPart"), minutes: 10, mode: "group" } }, "primary"),
    );
    this.check();
  }
}
