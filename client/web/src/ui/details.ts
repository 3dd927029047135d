/** The details panel: edit the selected actor, relation, note or drawing. */
import { rolesOf } from "../core/document";
import { ACTOR_KINDS, DIRECTIONS, RELATION_KINDS, ROLES, SIGNS, STANCES, roleField } from "../core/schema";
import { INK_PALETTE, NOTE_PALETTE, PALETTE, ROLE_COLOUR, STANCE_COLOUR } from "../board/style";
import type { BoardPage } from "./board";
import { h } from "./dom";
import { t, type Key } from "./i18n";

type Updater = () => void;
let serial = 0;

function field(label: string, control: HTMLElement, id?: string): HTMLElement {
  return h("div", { class: "field" }, id ? h("label", { for: id }, label) : h("span", { class: "field-label", id: `lbl-${++serial}` }, label), control);
}

/** A group of toggle buttons (one value, or a set when `multi`). */
function buttons<V extends string | number>(
  label: string,
  options: { value: V; text: string; colour?: string }[],
  get: () => V | V[] | undefined,
  set: (v: V) => void,
  name: string,
  multi = false,
): { node: HTMLElement; update: Updater } {
  const labelId = `grp-${name}-${++serial}`;
  const group = h("div", { class: "seg" + (multi ? " tags" : ""), role: "group", "aria-labelledby": labelId, "data-field": name });
  const btns = options.map((o) => {
    const b = h("button", { type: "button", "data-value": String(o.value), "aria-pressed": "false" }, o.colour ? h("span", { class: "swatch", style: `background:${o.colour}`, "aria-hidden": "true" }) : null, o.text);
    b.addEventListener("click", () => set(o.value));
    group.append(b);
    return b;
  });
  const update = () => {
    const v = get();
    btns.forEach((b, i) => {
      const on = Array.isArray(v) ? v.includes(options[i]!.value) : v === options[i]!.value;
      b.setAttribute("aria-pressed", String(on));
    });
  };
  return { node: h("div", { class: "field" }, h("span", { class: "field-label", id: labelId }, label), group), update };
}

function swatches(label: string, colours: string[], get: () => string | undefined, set: (c: string | null) => void, withAuto: boolean): { node: HTMLElement; update: Updater } {
  const labelId = `grp-colour-${++serial}`;
  const group = h("div", { class: "seg swatches", role: "group", "aria-labelledby": labelId, "data-field": "colour" });
  const all: (string | null)[] = [...(withAuto ? [null] : []), ...colours];
  const btns = all.map((c) => {
    const b = h("button", { type: "button", class: "swatch-btn", "aria-pressed": "false", "aria-label": c ?? t("colour.auto"), title: c ?? t("colour.auto") }, h("span", { class: "swatch big" + (c ? "" : " auto"), style: c ? `background:${c}` : "", "aria-hidden": "true" }));
    b.addEventListener("click", () => set(c));
    group.append(b);
    return b;
  });
  const update = () => {
    const v = get() ?? null;
    btns.forEach((b, i) => b.setAttribute("aria-pressed", String(all[i] === v)));
  };
  return { node: h("div", { class: "field" }, h("span", { class: "field-label", id: labelId }, label), group), update };
}

function textInput(page: BoardPage, id: string, key: string, label: string, max: number, multiline: boolean, get: () => string): { node: HTMLElement; update: Updater } {
  const elId = `field-${key}`;
  const input = multiline ? h("textarea", { id: elId, maxlength: max, rows: 4 }) : h("input", { id: elId, maxlength: max, autocomplete: "off" });
  let gesture = "";
  input.addEventListener("focus", () => (gesture = `${key}:${id}:${++serial}`));
  input.addEventListener("input", () => page.setField(id, { [key]: input.value.slice(0, max) }, gesture || undefined));
  input.addEventListener("keydown", (e) => {
    if (!multiline && (e as KeyboardEvent).key === "Enter") input.blur();
  });
  const update = () => {
    if (document.activeElement !== input && input.value !== get()) input.value = get();
  };
  return { node: field(label, input, elId), update };
}

function selectInput(page: BoardPage, id: string, key: string, label: string, options: { value: string; text: string }[], get: () => string): { node: HTMLElement; update: Updater } {
  const elId = `field-${key}`;
  const sel = h("select", { id: elId }, ...options.map((o) => h("option", { value: o.value }, o.text)));
  sel.addEventListener("change", () => page.setField(id, { [key]: sel.value }));
  const update = () => {
    if (sel.value !== get()) sel.value = get();
  };
  return { node: field(label, sel, elId), update };
}

export function detailsPanel(page: BoardPage, id: string | null): { node: HTMLElement; update: Updater } {
  const doc = page.doc;
  const type = id ? page.typeOf(id) : null;
  const get = (k: string): unknown => (id ? doc.get(id)?.[k] : undefined);
  const s = (k: string): string => (typeof get(k) === "string" ? (get(k) as string) : "");
  if (!id || !type || type === "meta") {
    const add = h("button", { type: "button", class: "primary", id: "add-actor" }, t("action.addActor"));
    add.addEventListener("click", () => {
      const [x, y] = page.freeSpot();
      page.createActor(x, y);
      requestAnimationFrame(() => (document.getElementById("field-label") as HTMLInputElement | null)?.select());
    });
    const ink = swatches(t("tool.ink"), INK_PALETTE, () => page.inkColour(), (c) => {
      page.inkColourValue = c ?? INK_PALETTE[0]!;
      ink.update();
    }, false);
    ink.update();
    return { node: h("div", { class: "details empty" }, h("p", {}, t("details.none")), add, ink.node), update: () => {} };
  }
  const parts: { node: HTMLElement; update: Updater }[] = [];
  let heading: Key = "details.actor";
  if (type === "actor") {
    parts.push(textInput(page, id, "label", t("field.label"), 120, false, () => s("label")));
    parts.push(selectInput(page, id, "kind", t("field.kind"), ACTOR_KINDS.map((k) => ({ value: k, text: t(`kind.${k}` as Key) })), () => s("kind")));
    const meta = doc.get("meta") ?? {};
    const poleName = (st: string): string => {
      const custom = st === "pole_a" ? meta.pole_a : st === "pole_b" ? meta.pole_b : "";
      return t(`stance.${st}` as Key) + (typeof custom === "string" && custom ? ` (${custom})` : "");
    };
    parts.push(buttons(t("field.stance"), ["pole_a", "middle", "pole_b", "unknown"].filter((x) => STANCES.includes(x)).map((st) => ({ value: st, text: poleName(st), colour: STANCE_COLOUR[st] })), () => s("stance"), (v) => page.setField(id, { stance: v }), "stance"));
    parts.push(
      buttons(
        t("field.roles"),
        ROLES.map((r) => ({ value: r, text: t(`role.${r}` as Key), colour: ROLE_COLOUR[r] })),
        () => rolesOf(doc.get(id)),
        // Each role is its own register: a toggle writes just that one, so two people
        // toggling different roles at once both keep theirs.
        (r) => page.setField(id, { [roleField(r)]: !rolesOf(doc.get(id)).includes(r) }),
        "roles",
        true,
      ),
    );
    parts.push(buttons(t("field.influence"), [0, 1, 2, 3, 4, 5].map((n) => ({ value: n, text: String(n) })), () => get("influence") as number | undefined, (v) => page.setField(id, { influence: v }), "influence"));
    parts.push(swatches(t("field.colour"), PALETTE, () => (s("colour") || undefined), (c) => page.setField(id, c ? { colour: c } : { colour: STANCE_COLOUR[s("stance") || "unknown"] }), true));
    parts.push(textInput(page, id, "note", t("field.note"), 2000, true, () => s("note")));
  } else if (type === "relation") {
    heading = "details.relation";
    const actors = Object.entries(doc.visible())
      .filter(([, o]) => o.type === "actor")
      .map(([aid, o]) => ({ value: aid, text: (typeof o.label === "string" && o.label) || t("list.unnamed") }));
    parts.push(selectInput(page, id, "source", t("field.source"), actors, () => s("source")));
    parts.push(selectInput(page, id, "target", t("field.target"), actors, () => s("target")));
    parts.push(selectInput(page, id, "kind", t("field.kind"), RELATION_KINDS.map((k) => ({ value: k, text: t(`rkind.${k}` as Key) })), () => s("kind")));
    parts.push(buttons(t("field.sign"), SIGNS.map((v) => ({ value: v, text: t(`sign.${v}` as Key) })), () => s("sign"), (v) => page.setField(id, { sign: v }), "sign"));
    parts.push(buttons(t("field.direction"), DIRECTIONS.map((v) => ({ value: v, text: t(`dir.${v}` as Key) })), () => s("direction"), (v) => page.setField(id, { direction: v }), "direction"));
    parts.push(buttons(t("field.strength"), [1, 2, 3].map((n) => ({ value: n, text: String(n) })), () => get("strength") as number | undefined, (v) => page.setField(id, { strength: v }), "strength"));
    parts.push(textInput(page, id, "label", t("field.label"), 120, false, () => s("label")));
  } else if (type === "note") {
    heading = "details.note";
    parts.push(textInput(page, id, "text", t("field.text"), 1000, true, () => s("text")));
    parts.push(swatches(t("field.colour"), NOTE_PALETTE, () => s("colour") || undefined, (c) => c && page.setField(id, { colour: c }), false));
  } else if (type === "ink") {
    heading = "details.ink";
    parts.push(swatches(t("field.colour"), INK_PALETTE, () => s("colour") || undefined, (c) => c && page.setField(id, { colour: c }), false));
  }
  const del = h("button", { type: "button", class: "danger", id: "delete" }, t("action.delete"));
  del.addEventListener("click", () => page.remove(id));
  const node = h("div", { class: "details", "data-id": id }, h("h2", {}, t(heading)), ...parts.map((p) => p.node), del);
  const update = () => {
    for (const p of parts) p.update();
  };
  return { node, update };
}
