/**
 * Explanations a programme part can show (its `sheet`), on the beamer and the tablets, in
 * the UI's language. `polarisation`: Bart Brandsma's three basic laws of polarisation,
 * the two poles (with the deck's example statements), and his five roles, as in the
 * workshop deck's round-3 slides.
 */
import { ROLE_COLOUR, ROLE_TEXT, STANCE_COLOUR } from "../board/style";
import { h } from "../ui/dom";
import { t, type Key } from "../ui/i18n";
import { wt } from "./i18n";
import type { Sheet } from "./state";

/** Brandsma's five roles (the map's other roles, schakel and mover, come from the deck's questions). */
export const BRANDSMA_ROLES = ["pusher", "joiner", "silent", "bridge_builder", "scapegoat"] as const;

export function roleChip(role: string, cls = "role-chip"): HTMLElement {
  const chip = h("span", { class: cls, "data-role": role }, t(`role.${role}` as Key));
  chip.style.setProperty("background", ROLE_COLOUR[role] ?? "#555");
  chip.style.setProperty("color", ROLE_TEXT[role] ?? "#fff");
  return chip;
}

export function sheetView(sheet: Sheet, id: string): HTMLElement {
  switch (sheet) {
    case "polarisation":
      return polarisation(id);
    default:
      throw new Error(`unknown sheet ${String(sheet)}`);
  }
}

function polarisation(id: string): HTMLElement {
  const pole = (which: "a" | "b") => {
    const el = h("div", { class: `sheet-pole pole-${which}` }, wt(`sheet.pole.${which}`));
    el.style.setProperty("--pole", STANCE_COLOUR[which === "a" ? "pole_a" : "pole_b"]!);
    return el;
  };
  return h(
    "section",
    { class: "sheet", id, "aria-labelledby": `${id}-h` },
    h(
      "div",
      { class: "sheet-laws-col" },
      h("h2", { id: `${id}-h` }, wt("sheet.title")),
      h("p", { class: "sheet-lead" }, wt("sheet.lead")),
      h(
        "ol",
        { class: "sheet-laws" },
        h("li", {}, h("strong", {}, wt("sheet.law1")), " ", wt("sheet.law1.text")),
        h("li", {}, h("strong", {}, wt("sheet.law2")), " ", wt("sheet.law2.text")),
        h("li", {}, h("strong", {}, wt("sheet.law3")), " ", wt("sheet.law3.text"), h("ul", { class: "sheet-quotes" }, ...(["sheet.quote1", "sheet.quote2", "sheet.quote3"] as const).map((k) => h("li", {}, wt(k))))),
      ),
    ),
    h(
      "div",
      { class: "sheet-side" },
      h(
        "div",
        { class: "sheet-poles" },
        h("h3", {}, wt("sheet.poles")),
        h("div", { class: "sheet-pole-row" }, pole("a"), h("span", { class: "sheet-middle" }, wt("sheet.middle")), pole("b")),
        h("p", {}, wt("sheet.poles.text")),
      ),
      h(
        "div",
        { class: "sheet-roles" },
        h("h3", {}, wt("sheet.roles")),
        h("ul", {}, ...BRANDSMA_ROLES.map((r) => h("li", {}, roleChip(r), " ", t(`roledoc.${r}` as Key)))),
      ),
      h("p", { class: "sheet-task" }, wt("sheet.task")),
    ),
  );
}
