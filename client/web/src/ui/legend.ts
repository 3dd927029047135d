/** The legend: roles, kinds of actor, stances and relation styles. */
import { ACTOR_KINDS, RELATION_KINDS, ROLES, STANCES } from "../core/schema";
import { NEUTRAL_LINE, SIGN_COLOUR, STANCE_COLOUR, kindPath, relationDash } from "../board/style";
import { roleChip } from "../workshop/sheet";
import { h } from "./dom";
import { t, type Key } from "./i18n";

function mini(build: (s: SVGSVGElement) => void, w = 40, hgt = 28): SVGSVGElement {
  const s = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  s.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  s.setAttribute("width", String(w));
  s.setAttribute("height", String(hgt));
  s.setAttribute("aria-hidden", "true");
  build(s);
  return s;
}

function path(s: SVGSVGElement, attrs: Record<string, string>): void {
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  for (const [k, v] of Object.entries(attrs)) p.setAttribute(k, v);
  s.appendChild(p);
}

export function legendPanel(): HTMLElement {
  const roles = h("ul", { class: "legend-list roles" }, ...ROLES.map((r) => h("li", {}, roleChip(r), " ", t(`roledoc.${r}` as Key))));
  const kinds = h("ul", { class: "legend-list" }, ...ACTOR_KINDS.map((k) => h("li", {}, mini((s) => path(s, { d: kindPath(k, 12), transform: "translate(20,14)", fill: STANCE_COLOUR.unknown! })), t(`kind.${k}` as Key))));
  const stances = h("ul", { class: "legend-list" }, ...["pole_a", "middle", "pole_b", "unknown"].filter((x) => STANCES.includes(x)).map((st) => h("li", {}, mini((s) => path(s, { d: kindPath("person", 12), transform: "translate(20,14)", fill: STANCE_COLOUR[st]! })), t(`stance.${st}` as Key))));
  const rels = h(
    "ul",
    { class: "legend-list" },
    // The same dash patterns as on the map (round caps, scaled to the line's width).
    ...RELATION_KINDS.map((k) => h("li", {}, mini((s) => path(s, { d: "M3,14H53", stroke: NEUTRAL_LINE, "stroke-width": "3", "stroke-linecap": "round", ...(relationDash(k, 3) ? { "stroke-dasharray": relationDash(k, 3)! } : {}) }), 56), t(`rkind.${k}` as Key))),
    h("li", {}, mini((s) => path(s, { d: "M3,14H53", stroke: SIGN_COLOUR["+"]!, "stroke-width": "3", "stroke-linecap": "round" }), 56), t("sign.+")),
    h("li", {}, mini((s) => path(s, { d: "M3,14H53", stroke: SIGN_COLOUR["-"]!, "stroke-width": "3", "stroke-linecap": "round" }), 56), t("sign.-")),
  );
  return h(
    "div",
    { class: "legend" },
    h("h2", {}, t("legend.roles")),
    roles,
    h("h2", {}, t("legend.kinds")),
    kinds,
    h("p", { class: "hint" }, t("legend.size")),
    h("h2", {}, t("legend.stances")),
    stances,
    h("h2", {}, t("legend.relations")),
    rels,
  );
}
