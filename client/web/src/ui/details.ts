/**
 * The details panel: edit the selected actor, relation, note or drawing; with nothing
 * selected, the map itself (its issue and the names of its two poles). Fields follow the
 * merged state of the board, except one the person is typing in (until a pause).
 */
import { rolesOf } from "../core/document";
import { ACTOR_KINDS, DIRECTIONS, RELATION_KINDS, ROLES, SIGNS, STANCES, roleField } from "../core/schema";
import { COLOUR_NAMES, INK_PALETTE, NOTE_PALETTE, PALETTE, ROLE_COLOUR, STANCE_COLOUR } from "../board/style";
import { NUDGE } from "../board/input";
import type { BoardPage } from "./board";
import { h } from "./dom";
import { t, type Key } from "./i18n";

type Updater = () => void;
let serial = 0;
/** A field someone typed in less than this long ago is theirs; after it, the board's. */
const TYPING_MS = 1500;

function field(label: string, control: HTMLElement, id?: string): HTMLElement {
  return h("div", { class: "field" }, id ? h("label", { for: id }, label) : h("span", { class: "field-label", id: `lbl-${++serial}` }, label), control);
}

function swatch(colour: string, big = false): HTMLElement {
  const el = h("span", { class: big ? "swatch big" : "swatch", "aria-hidden": "true" });
  el.style.setProperty("background", colour);
  return el;
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
    const b = h("button", { type: "button", "data-value": String(o.value), "aria-pressed": "false" }, o.colour ? swatch(o.colour) : null, o.text);
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

/** Colour buttons, each announced by its colour's name. */
function swatches(label: string, colours: string[], get: () => string | undefined, set: (c: string | null) => void, withAuto: boolean): { node: HTMLElement; update: Updater } {
  const labelId = `grp-colour-${++serial}`;
  const group = h("div", { class: "seg swatches", role: "group", "aria-labelledby": labelId, "data-field": "colour" });
  const all: (string | null)[] = [...(withAuto ? [null] : []), ...colours];
  const btns = all.map((c) => {
    const name = c ? t(`colour.${COLOUR_NAMES[c] ?? "grey"}` as Key) : t("colour.auto");
    const mark = c ? swatch(c, true) : h("span", { class: "swatch big auto", "aria-hidden": "true" });
    const b = h("button", { type: "button", class: "swatch-btn", "aria-pressed": "false", "aria-label": name, title: name, "data-colour": c ?? "auto" }, mark);
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

/**
 * A text field that writes as it is typed (one undo step per visit). It shows the board's
 * value — after a concurrent edit, the one that won — unless the person typed in it in
 * the last TYPING_MS; then it catches up when they pause or leave it.
 */
function textInput(key: string, label: string, max: number, multiline: boolean, get: () => string, set: (value: string, gesture: string | undefined) => void): { node: HTMLElement; update: Updater } {
  const elId = `field-${key}`;
  const input = multiline ? h("textarea", { id: elId, maxlength: max, rows: 3 }) : h("input", { id: elId, maxlength: max, autocomplete: "off" });
  let gesture = "";
  let typedAt = -Infinity;
  let later: ReturnType<typeof setTimeout> | null = null;
  const update = () => {
    const typing = document.activeElement === input && performance.now() - typedAt < TYPING_MS;
    if (!typing && input.value !== get()) input.value = get();
  };
  input.addEventListener("focus", () => (gesture = `${key}:${++serial}`));
  input.addEventListener("input", () => {
    typedAt = performance.now();
    set(input.value.slice(0, max), gesture || undefined);
    if (later) clearTimeout(later);
    later = setTimeout(update, TYPING_MS + 50);
  });
  input.addEventListener("blur", () => {
    typedAt = -Infinity;
    update();
  });
  input.addEventListener("keydown", (e) => {
    if (!multiline && (e as KeyboardEvent).key === "Enter") input.blur();
  });
  return { node: field(label, input, elId), update };
}

function selectInput(key: string, label: string, options: { value: string; text: string }[], get: () => string, set: (value: string) => void): { node: HTMLElement; update: Updater } {
  const elId = `field-${key}`;
  const sel = h("select", { id: elId }, ...options.map((o) => h("option", { value: o.value }, o.text)));
  sel.addEventListener("change", () => set(sel.value));
  const update = () => {
    if (sel.value !== get()) sel.value = get();
  };
  return { node: field(label, sel, elId), update };
}

/** Four buttons that move an object: the alternative to dragging it. */
function nudges(page: BoardPage, id: string): { node: HTMLElement; update: Updater } {
  const labelId = `grp-move-${++serial}`;
  const btn = (key: Key, arrow: string, dx: number, dy: number) => {
    const b = h("button", { type: "button", class: "nudge", "data-nudge": key.slice(5), "aria-label": t(key), title: t(key) }, arrow);
    b.addEventListener("click", () => page.nudge(id, dx * NUDGE * 2, dy * NUDGE * 2));
    return b;
  };
  const group = h("div", { class: "nudges", role: "group", "aria-labelledby": labelId }, btn("move.up", "↑", 0, -1), btn("move.left", "←", -1, 0), btn("move.right", "→", 1, 0), btn("move.down", "↓", 0, 1));
  return { node: h("div", { class: "field" }, h("span", { class: "field-label", id: labelId }, t("move.heading")), group, h("p", { class: "hint" }, t("move.hint"))), update: () => {} };
}

/** The map itself: its issue and the names of its poles (the `meta` object). */
function mapFields(page: BoardPage): { node: HTMLElement; update: Updater } {
  const meta = () => page.doc.get("meta") ?? {};
  const text = (k: string) => () => (typeof meta()[k] === "string" ? (meta()[k] as string) : "");
  const parts = [
    textInput("issue", t("field.issue"), 500, true, text("issue"), (v, g) => page.setMeta({ issue: v }, g)),
    textInput("pole_a", t("field.poleA"), 100, false, text("pole_a"), (v, g) => page.setMeta({ pole_a: v }, g)),
    textInput("pole_b", t("field.poleB"), 100, false, text("pole_b"), (v, g) => page.setMeta({ pole_b: v }, g)),
  ];
  const node = h("section", { class: "map-fields", "aria-labelledby": "map-h" }, h("h2", { id: "map-h" }, t("map.heading")), h("p", { class: "hint" }, t("map.hint")), ...parts.map((p) => p.node));
  return { node, update: () => parts.forEach((p) => p.update()) };
}

/** "Pool A" or, once the pole has a name, "Pool A: welkom". */
export function stanceName(page: BoardPage, stance: string): string {
  const meta = page.doc.get("meta") ?? {};
  const custom = stance === "pole_a" ? meta.pole_a : stance === "pole_b" ? meta.pole_b : "";
  const base = t(`stance.${stance}` as Key);
  return typeof custom === "string" && custom.trim() ? t("stance.named", { pole: base, name: custom.trim() }) : base;
}

export function detailsPanel(page: BoardPage, id: string | null): { node: HTMLElement; update: Updater } {
  const doc = page.doc;
  const type = id ? page.typeOf(id) : null;
  const get = (k: string): unknown => (id ? doc.get(id)?.[k] : undefined);
  const s = (k: string): string => (typeof get(k) === "string" ? (get(k) as string) : "");
  const wrap = (children: HTMLElement[], attrs: Record<string, string>) => {
    // Read-only boards: the controls are disabled (not dimmed), so every label keeps its contrast.
    const fields = h("fieldset", { class: "details-fields", disabled: !page.canEdit }, ...children);
    return h("div", { class: "details", ...attrs }, fields);
  };
  if (!id || !type || type === "meta") {
    const add = h("button", { type: "button", class: "primary", id: "add-actor" }, t("action.addActor"));
    add.addEventListener("click", () => {
      const [x, y] = page.freeSpot();
      page.createActor(x, y);
    });
    const ink = swatches(t("tool.ink"), INK_PALETTE, () => page.inkColour(), (c) => {
      page.inkColourValue = c ?? INK_PALETTE[0]!;
      ink.update();
    }, false);
    ink.update();
    const map = mapFields(page);
    map.update();
    return { node: wrap([h("p", {}, t("details.none")), add, ink.node, map.node], { class: "details empty" }), update: map.update };
  }
  const set = (fields: Record<string, unknown>, gesture?: string) => page.setField(id, fields, gesture);
  const parts: { node: HTMLElement; update: Updater }[] = [];
  let heading: Key = "details.actor";
  if (type === "actor") {
    parts.push(textInput("label", t("field.label"), 120, false, () => s("label"), (v, g) => set({ label: v }, g)));
    parts.push(selectInput("kind", t("field.kind"), ACTOR_KINDS.map((k) => ({ value: k, text: t(`kind.${k}` as Key) })), () => s("kind"), (v) => set({ kind: v })));
    parts.push(buttons(t("field.stance"), ["pole_a", "middle", "pole_b", "unknown"].filter((x) => STANCES.includes(x)).map((st) => ({ value: st, text: stanceName(page, st), colour: STANCE_COLOUR[st] })), () => s("stance"), (v) => set({ stance: v }), "stance"));
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
    parts.push(buttons(t("field.influence"), [0, 1, 2, 3, 4, 5].map((n) => ({ value: n, text: String(n) })), () => get("influence") as number | undefined, (v) => set({ influence: v }), "influence"));
    parts.push(swatches(t("field.colour"), PALETTE, () => s("colour") || undefined, (c) => set(c ? { colour: c } : { colour: STANCE_COLOUR[s("stance") || "unknown"] }), true));
    parts.push(nudges(page, id));
    parts.push(textInput("note", t("field.note"), 2000, true, () => s("note"), (v, g) => set({ note: v }, g)));
  } else if (type === "relation") {
    heading = "details.relation";
    const actors = Object.entries(doc.visible())
      .filter(([, o]) => o.type === "actor")
      .map(([aid, o]) => ({ value: aid, text: (typeof o.label === "string" && o.label) || t("list.unnamed") }));
    parts.push(selectInput("source", t("field.source"), actors, () => s("source"), (v) => set({ source: v })));
    parts.push(selectInput("target", t("field.target"), actors, () => s("target"), (v) => set({ target: v })));
    parts.push(selectInput("kind", t("field.kind"), RELATION_KINDS.map((k) => ({ value: k, text: t(`rkind.${k}` as Key) })), () => s("kind"), (v) => set({ kind: v })));
    parts.push(buttons(t("field.sign"), SIGNS.map((v) => ({ value: v, text: t(`sign.${v}` as Key) })), () => s("sign"), (v) => set({ sign: v }), "sign"));
    parts.push(buttons(t("field.direction"), DIRECTIONS.map((v) => ({ value: v, text: t(`dir.${v}` as Key) })), () => s("direction"), (v) => set({ direction: v }), "direction"));
    parts.push(buttons(t("field.strength"), [1, 2, 3].map((n) => ({ value: n, text: String(n) })), () => get("strength") as number | undefined, (v) => set({ strength: v }), "strength"));
    parts.push(textInput("label", t("field.label"), 120, false, () => s("label"), (v, g) => set({ label: v }, g)));
  } else if (type === "note") {
    heading = "details.note";
    parts.push(textInput("text", t("field.text"), 1000, true, () => s("text"), (v, g) => set({ text: v }, g)));
    // Which of the round's questions the note answers (the plenary groups notes by it).
    const questions = page.questions;
    const current = s("question");
    const options = [{ value: "", text: t("question.none") }, ...questions.map((q, i) => ({ value: q.ref, text: `${t("question.n", { n: i + 1 })}: ${q.text}` }))];
    if (current && !questions.some((q) => q.ref === current)) options.push({ value: current, text: current });
    if (questions.length || current) parts.push(selectInput("question", t("field.question"), options, () => s("question"), (v) => set({ question: v })));
    parts.push(swatches(t("field.colour"), NOTE_PALETTE, () => s("colour") || undefined, (c) => c && set({ colour: c }), false));
    parts.push(nudges(page, id));
  } else if (type === "ink") {
    heading = "details.ink";
    parts.push(swatches(t("field.colour"), INK_PALETTE, () => s("colour") || undefined, (c) => c && set({ colour: c }), false));
  }
  const del = h("button", { type: "button", class: "danger", id: "delete" }, t("action.delete"));
  del.addEventListener("click", () => page.remove(id));
  const node = wrap([h("h2", {}, t(heading)), ...parts.map((p) => p.node), del], { "data-id": id });
  const update = () => {
    for (const p of parts) p.update();
  };
  return { node, update };
}
