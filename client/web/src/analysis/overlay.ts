/**
 * The analysis layer on a map: what the hub's analysis suggests, drawn over the board the
 * renderer shows. Each suggested player gets a ring per suggestion, in its colour with its
 * own dash, and a tag naming the first ("schakel? +2") above it, so colour is never the
 * only cue; the two camps of the best
 * split get a faint halo; fragile links are traced under the actors. Everything is drawn
 * in the renderer's own groups, at the actors' current positions (an actor deleted since
 * the analysis is skipped), with text sized for the screen: `fontPx` pixels whatever the
 * zoom, so the tags read on a tablet and from the back of a room alike.
 */
import type { Document } from "../core/document";
import type { Box } from "../board/render";
import { actorRadius, kindPath } from "../board/style";
import { svg } from "../board/svg";
import { at, type AnalysisKey } from "./i18n";
import type { BoardAnalysis } from "./types";

/** Which mark a suggestion's first actor gets. */
export const MARK_OF: Record<string, string> = {
  schakel: "schakel",
  only_way: "schakel",
  pusher: "pusher",
  volger: "volger",
  mover: "mover",
  bridge_builder: "bridge_builder",
  scapegoat: "scapegoat",
  silent: "silent",
};

/** Ring colour (Okabe–Ito, darkened where it must read on white) and dash per mark. */
export const MARK_STYLE: Record<string, { colour: string; dash: string }> = {
  schakel: { colour: "#0072B2", dash: "" },
  pusher: { colour: "#D55E00", dash: "10 6" },
  volger: { colour: "#B36B00", dash: "2 6" },
  mover: { colour: "#7A6A00", dash: "18 6" },
  bridge_builder: { colour: "#009E73", dash: "" },
  scapegoat: { colour: "#A3417F", dash: "10 4 2 4" },
  silent: { colour: "#6B6B6B", dash: "2 4" },
};
const CAMP_FILL = ["#0072B2", "#D55E00"];
export const MARK_ORDER = ["schakel", "pusher", "volger", "mover", "bridge_builder", "scapegoat", "silent"];

export interface OverlayOptions {
  /** Pixels of the tags on screen. */
  fontPx: number;
  /** The renderer's current scale (board units to pixels). */
  scale: number;
  camps?: boolean;
}

function pos(o: Record<string, unknown> | undefined): [number, number] | null {
  const p = o?.pos;
  return Array.isArray(p) && p.length === 2 ? [Number(p[0]), Number(p[1])] : null;
}

/** The marks of each actor, in MARK_ORDER. */
export function marksOf(analysis: BoardAnalysis): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of analysis.suggestions) {
    const mark = MARK_OF[s.kind];
    const actor = s.actors[0];
    if (!mark || !actor) continue;
    const list = out.get(actor) ?? [];
    if (!list.includes(mark)) list.push(mark);
    out.set(actor, list);
  }
  for (const list of out.values()) list.sort((a, b) => MARK_ORDER.indexOf(a) - MARK_ORDER.indexOf(b));
  return out;
}

/** The group under the actors where halos and fragile links go (made once per renderer). */
function underLayer(root: SVGGElement, actors: SVGGElement): SVGGElement {
  let g = root.querySelector(":scope > g.analysis-under") as SVGGElement | null;
  if (!g) {
    g = svg("g", { class: "analysis-under" });
    root.insertBefore(g, actors);
  }
  return g;
}

interface Tag {
  actor: string;
  marks: string[];
  text: string;
  font: number;
  width: number;
  /** The tag's centre, relative to the actor's centre. */
  dx: number;
  dy: number;
  ringStep: number;
  box: Box;
}

const overlap = (a: Box, b: Box): boolean => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * Where each marked actor's tag goes (board units): above its rings, else below, right or
 * left of them, whichever is the first that covers no tag placed before (actors from the
 * top of the map down). The read-only layout keeps the map's labels out of these boxes.
 */
export function layoutTags(doc: Document, analysis: BoardAnalysis | null, opts: OverlayOptions): Tag[] {
  if (!analysis) return [];
  const visible = doc.visible();
  const k = 1 / Math.max(0.05, opts.scale);
  const ringStep = 9 * Math.min(1.5, k);
  const font = opts.fontPx * k;
  const marked = [...marksOf(analysis)]
    .map(([id, marks]) => ({ id, marks, o: visible[id], p: pos(visible[id]) }))
    .filter((m) => m.p && m.o?.type === "actor")
    .sort((a, b) => a.p![1] - b.p![1] || a.p![0] - b.p![0]);
  const placed: Tag[] = [];
  for (const { id, marks, o, p } of marked) {
    const text = at(`mark.${marks[0]}` as AnalysisKey) + (marks.length > 1 ? ` +${marks.length - 1}` : "");
    const width = text.length * font * 0.56 + font;
    const reach = actorRadius(o!.influence) + 14 + marks.length * ringStep;
    const sides: [number, number][] = [
      [0, -(reach + font * 0.7)],
      [0, reach + font * 0.9],
      [reach + width / 2, 0],
      [-(reach + width / 2), 0],
    ];
    let tag: Tag | null = null;
    for (const [dx, dy] of sides) {
      const cx = p![0] + dx, cy = p![1] + dy;
      const box: Box = [cx - width / 2, cy - font * 0.85, cx + width / 2, cy + font * 0.5];
      tag = { actor: id, marks, text, font, width, dx, dy, ringStep, box };
      if (!placed.some((t) => overlap(t.box, box))) break;
    }
    placed.push(tag!);
  }
  return placed;
}

/** The boxes the tags of ``analysis`` take on the map (for the read-only label layout). */
export function tagBoxes(doc: Document, analysis: BoardAnalysis | null, opts: OverlayOptions): { id: string; box: Box }[] {
  return layoutTags(doc, analysis, opts).map((t) => ({ id: `tag:${t.actor}`, box: t.box }));
}

export interface OverlayTarget {
  root: SVGGElement;
  layers: { actors: SVGGElement; overlay: SVGGElement };
}

/** Draw (or clear, with `analysis` null) the analysis layer of a map. */
export function drawOverlay(target: OverlayTarget, doc: Document, analysis: BoardAnalysis | null, opts: OverlayOptions): void {
  const under = underLayer(target.root, target.layers.actors);
  const over = target.layers.overlay;
  under.replaceChildren();
  over.replaceChildren();
  if (!analysis) return;
  const visible = doc.visible();
  const k = 1 / Math.max(0.05, opts.scale);
  // Fragile links: a wide, faint trace under the relation.
  for (const f of analysis.fragile.slice(0, 6)) {
    const a = pos(visible[f.source]);
    const b = pos(visible[f.target]);
    if (!a || !b || visible[f.source]?.type !== "actor" || visible[f.target]?.type !== "actor") continue;
    svg("line", { class: "an-fragile", x1: a[0], y1: a[1], x2: b[0], y2: b[1], "stroke-width": (18 * k).toFixed(1), "stroke-dasharray": `${(16 * k).toFixed(1)} ${(10 * k).toFixed(1)}` }, under);
  }
  if (opts.camps !== false) {
    for (const [id, camp] of Object.entries(analysis.polarisation.camps)) {
      const o = visible[id];
      const p = pos(o);
      if (!p || o?.type !== "actor") continue;
      svg("circle", { class: "an-camp", cx: p[0], cy: p[1], r: actorRadius(o.influence) + 26, fill: CAMP_FILL[camp] ?? CAMP_FILL[0]!, "data-camp": camp }, under);
    }
  }
  for (const tagged of layoutTags(doc, analysis, opts)) {
    const { actor: id, marks, text, font, width } = tagged;
    const o = visible[id]!;
    const p = pos(o)!;
    const r = actorRadius(o.influence);
    const g = svg("g", { class: "an-mark", "data-actor": id, "data-marks": marks.join(" "), transform: `translate(${p[0]},${p[1]})` }, over);
    marks.forEach((mark, i) => {
      const st = MARK_STYLE[mark]!;
      const ring = svg("path", { class: "an-ring", d: kindPath(o.kind, r + 10 + i * tagged.ringStep), stroke: st.colour, "stroke-width": (5 * Math.min(1.5, k)).toFixed(1) }, g);
      if (st.dash) ring.setAttribute("stroke-dasharray", st.dash.split(" ").map((x) => (Number(x) * Math.min(1.5, k)).toFixed(1)).join(" "));
    });
    // The tag names the first mark, at a fixed size on screen (more marks are the further
    // rings; the key beside the map names them).
    const tag = svg("g", { class: "an-tag", transform: `translate(${tagged.dx.toFixed(1)},${tagged.dy.toFixed(1)})` }, g);
    svg("rect", { x: (-width / 2).toFixed(1), y: (-font * 0.85).toFixed(1), width: width.toFixed(1), height: (font * 1.35).toFixed(1), rx: (font * 0.3).toFixed(1), stroke: MARK_STYLE[marks[0]!]!.colour, "stroke-width": (2 * k).toFixed(1) }, tag);
    const t = svg("text", { "text-anchor": "middle", y: (font * 0.2).toFixed(1), "font-size": font.toFixed(1) }, tag);
    t.textContent = text;
  }
}
