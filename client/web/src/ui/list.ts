/**
 * The list view: every actor, relation and note as text, for keyboard and screen-reader
 * users (the canvas alone is invisible to them). Add, select, delete and restore here.
 */
import type { View } from "../core/document";
import type { BoardPage } from "./board";
import { h } from "./dom";
import { t, type Key } from "./i18n";

function name(o: View | undefined): string {
  return (o && typeof o.label === "string" && o.label.trim()) || t("list.unnamed");
}

export function actorSummary(o: View): string {
  const parts: string[] = [];
  if (typeof o.kind === "string") parts.push(t(`kind.${o.kind}` as Key));
  if (typeof o.stance === "string") parts.push(t(`stance.${o.stance}` as Key));
  if (typeof o.influence === "number") parts.push(`${t("field.influence")} ${o.influence}`);
  if (Array.isArray(o.roles) && o.roles.length) parts.push((o.roles as string[]).map((r) => t(`role.${r}` as Key)).join(", "));
  return parts.join(" · ");
}

export function listPanel(page: BoardPage): HTMLElement {
  const doc = page.doc;
  const visible = doc.visible();
  const entries = Object.entries(visible);
  const byLabel = (a: [string, View], b: [string, View]) => name(a[1]).localeCompare(name(b[1]));
  const actors = entries.filter(([, o]) => o.type === "actor").sort(byLabel);
  const relations = entries.filter(([, o]) => o.type === "relation");
  const notes = entries.filter(([, o]) => o.type === "note");
  const deleted: [string, string][] = [];
  for (const [id, type] of doc.types) {
    if (doc.isDeleted(id) && (type === "actor" || type === "relation" || type === "note")) {
      const o = doc.get(id) ?? {};
      const label = type === "note" ? String(o.text ?? "") : String(o.label ?? "");
      deleted.push([id, `${t(`details.${type}` as Key)}: ${label.trim() || t("list.unnamed")}`]);
    }
  }
  const open = (id: string) => {
    page.select(id);
    page.showTab("details");
    requestAnimationFrame(() => (document.querySelector("#tabpanel input, #tabpanel select, #tabpanel textarea, #tabpanel button") as HTMLElement | null)?.focus());
  };
  const item = (id: string, text: string, sub: string) =>
    h(
      "li",
      { "data-id": id },
      h("button", { type: "button", class: "list-item" + (page.selected === id ? " selected" : ""), "data-key": `open-${id}`, "aria-current": page.selected === id ? "true" : null, onclick: (() => open(id)) as EventListener }, h("span", { class: "item-title" }, text), sub ? h("span", { class: "item-sub" }, sub) : null),
      h("button", { type: "button", class: "small danger", "data-key": `del-${id}`, "aria-label": `${t("action.delete")}: ${text}`, onclick: (() => page.remove(id)) as EventListener }, t("action.delete")),
    );
  const section = (title: string, items: HTMLElement[]) => h("section", {}, h("h2", {}, title), items.length ? h("ul", { class: "obj-list" }, ...items) : h("p", { class: "hint" }, t("list.empty")));
  const addActor = h("button", { type: "button", class: "primary", "data-key": "add-actor", id: "list-add-actor" }, t("action.addActor"));
  addActor.addEventListener("click", () => {
    const [x, y] = page.freeSpot();
    page.createActor(x, y);
  });
  // Add a relation with two selects: the keyboard way to connect actors.
  const opts = () => actors.map(([id, o]) => h("option", { value: id }, name(o)));
  const src = h("select", { id: "rel-source", "data-key": "rel-source" }, ...opts());
  const dst = h("select", { id: "rel-target", "data-key": "rel-target" }, ...opts());
  // The list is rebuilt when the map changes: keep what the user chose in the selects.
  const prevSrc = (document.getElementById("rel-source") as HTMLSelectElement | null)?.value;
  const prevDst = (document.getElementById("rel-target") as HTMLSelectElement | null)?.value;
  if (actors.length > 1) dst.selectedIndex = 1;
  if (prevSrc && actors.some(([id]) => id === prevSrc)) src.value = prevSrc;
  if (prevDst && actors.some(([id]) => id === prevDst)) dst.value = prevDst;
  const addRel = h("button", { type: "button", "data-key": "add-relation", id: "list-add-relation", "aria-describedby": "rel-why" }, t("action.addRelation"));
  // An actor cannot be related to itself: say so, rather than do nothing.
  const why = h("p", { class: "hint", id: "rel-why", role: "status" });
  const check = () => {
    const same = actors.length > 0 && src.value === dst.value;
    addRel.disabled = actors.length < 2 || same;
    why.textContent = same ? t("list.selfRelation") : "";
  };
  src.addEventListener("change", check);
  dst.addEventListener("change", check);
  check();
  addRel.addEventListener("click", () => {
    if (src.value && dst.value && src.value !== dst.value) page.connect(src.value, dst.value);
  });
  const relForm = h("div", { class: "rel-form" }, h("label", { for: "rel-source" }, t("field.source")), src, h("label", { for: "rel-target" }, t("field.target")), dst, why, addRel);
  return h(
    "div",
    { class: "list-view" },
    addActor,
    section(t("list.actors", { n: actors.length }), actors.map(([id, o]) => item(id, name(o), actorSummary(o)))),
    section(
      t("list.relations", { n: relations.length }),
      relations.map(([id, o]) => {
        const text = t("list.relationText", { source: name(visible[String(o.source)]), target: name(visible[String(o.target)]) });
        const sub = [typeof o.kind === "string" ? t(`rkind.${o.kind}` as Key) : "", typeof o.sign === "string" ? t(`sign.${o.sign}` as Key) : "", typeof o.label === "string" ? o.label : ""].filter(Boolean).join(" · ");
        return item(id, text, sub);
      }),
    ),
    relForm,
    section(t("list.notes", { n: notes.length }), notes.map(([id, o]) => item(id, String(o.text ?? "").slice(0, 80) || t("list.unnamed"), ""))),
    section(
      t("list.deleted", { n: deleted.length }),
      deleted.map(([id, text]) => h("li", {}, h("span", {}, text), h("button", { type: "button", class: "small", "data-key": `restore-${id}`, "aria-label": `${t("action.restore")}: ${text}`, onclick: (() => page.restore(id)) as EventListener }, t("action.restore")))),
    ),
  );
}
