/**
 * The analysis in words, beside a map: the polarisation score with its three parts, the
 * suggestions as questions (grouped by the deck's kinds of players, or the most telling
 * few for a beamer), the game changers that fit, and a key to the marks on the map.
 * Workshop-wide: the actors several groups named. All text goes in as text nodes.
 */
import { lineSample } from "../board/svg";
import { h } from "../ui/dom";
import { lang } from "../ui/i18n";
import { at, type AnalysisKey } from "./i18n";
import { MARK_ORDER, MARK_STYLE, marksOf } from "./overlay";
import type { BoardAnalysis, Headline, SharedActor, Suggestion, Text } from "./types";

/** Headings, in the order a group reads its map. */
const GROUP_OF: Record<string, string> = {
  schakel: "schakel",
  only_way: "schakel",
  pusher: "pusher",
  volger: "pusher",
  mover: "mover",
  bridge_builder: "roles",
  scapegoat: "roles",
  silent: "roles",
  role_question: "role_question",
  whatif: "whatif",
  fragile_link: "fragile_link",
  camps: "camps",
  hint: "hint",
};
const GROUP_ORDER = ["schakel", "pusher", "mover", "roles", "role_question", "whatif", "fragile_link", "camps", "hint"];

export const say = (text: Text): string => (lang() === "nl" ? text.nl : text.en);

const pct = (x: number | null): string => (x === null ? "–" : `${Math.round(x * 100)}%`);

export function scoreLine(a: BoardAnalysis): HTMLElement {
  const p = a.polarisation;
  if (p.score === null) return h("p", { class: "an-score none" }, at("layer.noScore"));
  return h(
    "div",
    { class: "an-score" },
    h("p", { class: "an-score-value" }, at("layer.score", { score: p.score })),
    h("p", { class: "an-score-parts" }, at("layer.parts", { closure: pct(p.closure), hostility: pct(p.hostility), distance: pct(p.distance) })),
  );
}

export function headlineText(x: Headline): string {
  return at("headline", { score: x.score === null ? at("headline.noScore") : `${x.score}/100`, actors: x.actors, relations: x.relations, schakels: x.schakels });
}

/** The most telling suggestions first: the deck's three kinds, then roles, then the rest. */
export function ranked(a: BoardAnalysis): Suggestion[] {
  return [...a.suggestions].sort((x, y) => GROUP_ORDER.indexOf(GROUP_OF[x.kind] ?? "hint") - GROUP_ORDER.indexOf(GROUP_OF[y.kind] ?? "hint"));
}

/** The key to the marks that this analysis puts on the map. */
export function markKey(a: BoardAnalysis): HTMLElement | null {
  const used = new Set([...marksOf(a).values()].flat());
  const marks = MARK_ORDER.filter((m) => used.has(m));
  if (!marks.length && !a.fragile.length) return null;
  const swatch = (colour: string, dash: string): SVGSVGElement => lineSample(colour, dash || null, 5, 40);
  return h(
    "ul",
    { class: "an-key" },
    ...marks.map((m) => h("li", {}, swatch(MARK_STYLE[m]!.colour, MARK_STYLE[m]!.dash), at(`mark.${m}` as AnalysisKey))),
    a.fragile.length ? h("li", {}, swatch("#1d2430", "8 5"), at("mark.fragile")) : null,
  );
}

/** The questions, grouped under the deck's headings (tablet, analysis page). */
export function suggestionGroups(a: BoardAnalysis): HTMLElement {
  const groups = new Map<string, Suggestion[]>();
  for (const s of ranked(a)) {
    const g = GROUP_OF[s.kind] ?? "hint";
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  if (!groups.size) return h("p", { class: "an-none" }, at("layer.none"));
  return h(
    "div",
    { class: "an-groups" },
    ...[...groups].map(([g, list]) => h("section", { class: "an-group", "data-kind": g }, h("h3", {}, at(`kind.${g}` as AnalysisKey)), h("ul", { class: "an-questions" }, ...list.map((s) => h("li", { "data-kind": s.kind, "data-actor": s.actors[0] ?? "" }, say(s.text)))))),
  );
}

/** The few most telling questions, large (the beamer). */
export function topQuestions(a: BoardAnalysis, n: number): HTMLElement {
  const list = ranked(a).filter((s) => s.kind !== "hint").slice(0, n);
  if (!list.length) return h("p", { class: "an-none" }, at("layer.none"));
  return h("ol", { class: "an-questions top" }, ...list.map((s) => h("li", { "data-kind": s.kind }, say(s.text))));
}

export function gameChangers(a: BoardAnalysis): HTMLElement | null {
  const fitting = a.game_changers.filter((g) => g.fits.length);
  if (!fitting.length) return null;
  return h("div", { class: "an-changers" }, h("h3", {}, at("layer.changers")), h("ul", {}, ...fitting.map((g) => h("li", { "data-changer": g.id }, say(g.text)))));
}

/** The whole analysis of one board in words. */
export function analysisPanel(a: BoardAnalysis | null, status: "loading" | "failed" | "ok", reason = ""): HTMLElement {
  if (status === "failed") return h("div", { class: "an-panel" }, h("p", { class: "an-failed", role: "status" }, at("layer.failed", { reason })));
  if (!a) return h("div", { class: "an-panel" }, h("p", { class: "an-loading", role: "status" }, at("layer.loading")));
  return h("div", { class: "an-panel" }, h("h2", {}, at("layer.heading")), scoreLine(a), markKey(a), suggestionGroups(a), gameChangers(a), h("p", { class: "an-note" }, at("layer.note")));
}

/** The actors several groups named, and whether they place them alike: the hub's question
 * in full, or (``compact``, the beamer) only what differs. */
export function sharedList(shared: SharedActor[], boardLabel: (b: string) => string, max = 12, compact = false): HTMLElement {
  if (!shared.length) return h("p", { class: "an-none" }, at("shared.none"));
  return h(
    "ul",
    { class: "an-shared" },
    ...shared.slice(0, max).map((s) =>
      h(
        "li",
        { "data-disagree": s.disagree.join(" ") },
        h("span", { class: "an-shared-name" }, s.name),
        h("span", { class: "an-shared-boards" }, `${at("shared.boards", { n: s.boards.length })}: ${s.boards.map(boardLabel).join(", ")}`),
        s.text && !compact ? h("span", { class: "an-shared-differ" }, say(s.text)) : null,
        s.disagree.length && compact ? h("span", { class: "an-shared-differ" }, at("shared.differIn", { what: s.disagree.map((d) => at(`differ.${d}` as AnalysisKey)).join(" · ") })) : null,
      ),
    ),
  );
}
