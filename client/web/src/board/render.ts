/**
 * Render one board replica into an SVG element. Keyed: one element per object, updated in
 * place, so a remote edit moves one node and never rebuilds the map. Read-only use (the
 * plenary screen) needs nothing else: `new BoardRenderer(svg).render(doc)`.
 * All user text goes into text nodes (textContent): it is never parsed as HTML.
 */
import { getStroke } from "perfect-freehand";
import type { Document } from "../core/document";
import { NEUTRAL_LINE, ROLE_COLOUR, ROLE_TEXT, SIGN_COLOUR, STANCE_COLOUR, actorRadius, kindPath, peerColour, relationDash } from "./style";
import { textWidth } from "./measure";
import { setAttrs, setText, svg } from "./svg";

export interface ViewBox {
  x: number; // screen offset of board origin, px
  y: number;
  s: number; // scale
}

export interface PeerMark {
  client: string;
  name: string;
  colour?: string | null;
  cursor?: [number, number] | null;
  sel?: string[];
  stroke?: number[] | null;
}

export interface RenderState {
  selected?: ReadonlySet<string>;
  connectFrom?: string | null;
  peers?: PeerMark[];
  roleLabel?: (role: string) => string;
  /** The short tag of a note's question (`"2.0"` → "V1"), or null when it has none. */
  questionLabel?: (ref: string) => string | null;
}

/** Smallest sizes, in screen pixels, for text on a read-only view (the beamer). */
export interface TextMinimum {
  name: number;
  role: number;
  relation: number;
  note: number;
}

export interface RendererOptions {
  readOnly?: boolean;
  /** Scale text up so that it is never smaller on screen than these sizes. */
  minText?: TextMinimum;
  /** Move labels that would collide to another side; hide those with no free place. */
  declutter?: boolean;
}

export const MIN_SCALE = 0.15;
export const MAX_SCALE = 4;
const NOTE_W = 200;
const NOTE_H = 130;
/** Font sizes on the map in board units (styles.css sets the same). */
export const TEXT = { name: 20, role: 13, relation: 15, note: 17 } as const;
const LINE = 22; // a label's line height
const ROLE_ROW_WIDTH = 230;

/** Role pills: their text size, pill height and row height (board units). The beamer's
 *  are larger next to the names, so that both reach their minimum at the same scale. */
interface Pills {
  font: number;
  height: number;
  row: number;
}
const PILLS: Pills = { font: TEXT.role, height: 22, row: 26 };
const BEAMER_PILLS: Pills = { font: 17, height: 26, row: 30 };

export type Box = [number, number, number, number];
const overlaps = (a: Box, b: Box): boolean => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/** Where an actor's caption sits, in the actor's coordinates before the caption scale. */
interface Caption {
  x: number;
  y: number;
  r: number;
  influence: number;
  width: number;
  namesWidth: number;
  height: number;
  namesHeight: number;
  hasRoles: boolean;
}

type Obj = Record<string, unknown>;

function str(v: unknown, fallback = ""): string {
  return typeof v === "string" ? v : fallback;
}

function pos(v: unknown): [number, number] {
  return Array.isArray(v) && v.length === 2 ? [Number(v[0]), Number(v[1])] : [0, 0];
}

/** Up to two lines of about `width` characters, ellipsis when longer. */
export function wrapLabel(label: string, width = 18): string[] {
  const words = label.trim().split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (!line) line = w;
    else if ((line + " " + w).length <= width) line += " " + w;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line) lines.push(line);
  const out = lines.slice(0, 2).map((l) => (l.length > width + 4 ? l.slice(0, width + 3) + "…" : l));
  if (lines.length > 2) out[1] = out[1]!.replace(/…?$/, "…");
  return out;
}

export function inkPath(points: number[], width: number): string {
  const input: [number, number, number][] = [];
  for (let i = 0; i + 2 < points.length; i += 3) input.push([points[i]!, points[i + 1]!, points[i + 2]! || 0.5]);
  if (!input.length) return "";
  const outline = getStroke(input, { size: width * 2, thinning: 0.5, smoothing: 0.5, streamline: 0.4, simulatePressure: false, last: true });
  if (outline.length < 2) return "";
  let d = `M${outline[0]![0].toFixed(1)},${outline[0]![1].toFixed(1)}`;
  for (let i = 1; i < outline.length; i++) {
    const [x0, y0] = outline[i - 1]!;
    const [x1, y1] = outline[i]!;
    d += `Q${x0.toFixed(1)},${y0.toFixed(1)} ${((x0 + x1) / 2).toFixed(1)},${((y0 + y1) / 2).toFixed(1)}`;
  }
  return d + "Z";
}

/** Renderers made so far on this page: each prefixes its SVG ids with its own number. */
let renderers = 0;

export class BoardRenderer {
  readonly root: SVGGElement;
  readonly layers: Record<"ink" | "relations" | "actors" | "notes" | "presence" | "overlay", SVGGElement>;
  view: ViewBox = { x: 0, y: 0, s: 1 };
  /** The size of the view in px (read-only views set it): labels stay inside it. */
  frame: [number, number] | null = null;
  /** Room other layers take on the map (the analysis layer's tags), in board units: the
   * read-only layout keeps labels out of it. */
  reserved: { id: string; box: Box }[] = [];
  private nodes = new Map<string, SVGGElement | SVGPathElement>();
  private inkCache = new WeakMap<object, string>();
  private captions = new Map<string, Caption>();
  /** Prefix of this renderer's ids: a page with many boards (the plenary grid) has no duplicates. */
  readonly idPrefix = `board${++renderers}-`;
  private readonly pills: Pills;

  constructor(
    readonly svgEl: SVGSVGElement,
    readonly opts: RendererOptions = {},
  ) {
    svgEl.classList.add("board-svg");
    this.pills = opts.minText ? BEAMER_PILLS : PILLS;
    const defs = svg("defs", {}, svgEl);
    for (const [name, colour] of [["plus", SIGN_COLOUR["+"]!], ["minus", SIGN_COLOUR["-"]!], ["neutral", NEUTRAL_LINE]] as const) {
      const m = svg("marker", { id: this.markerId(name), viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse", markerUnits: "strokeWidth" }, defs);
      svg("path", { d: "M0,0L10,5L0,10Z", fill: colour }, m);
    }
    this.root = svg("g", { class: "viewport" }, svgEl);
    this.layers = {
      ink: svg("g", { class: "layer-ink" }, this.root),
      relations: svg("g", { class: "layer-relations" }, this.root),
      notes: svg("g", { class: "layer-notes" }, this.root),
      actors: svg("g", { class: "layer-actors" }, this.root),
      presence: svg("g", { class: "layer-presence" }, this.root),
      overlay: svg("g", { class: "layer-overlay" }, this.root),
    };
    this.applyView();
  }

  /** The id of this renderer's arrowhead marker "plus", "minus" or "neutral". */
  markerId(name: "plus" | "minus" | "neutral"): string {
    return `${this.idPrefix}arrow-${name}`;
  }

  // ------------------------------------------------------------------ viewport

  applyView(): void {
    const { x, y, s } = this.view;
    this.root.setAttribute("transform", `translate(${x.toFixed(2)},${y.toFixed(2)}) scale(${s.toFixed(4)})`);
    this.svgEl.style.setProperty("--inv-scale", String(1 / s));
  }

  setView(v: ViewBox): void {
    this.view = { ...v, s: Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.s)) };
    this.applyView();
  }

  /** Zoom by `factor` keeping the screen point (px, py) (relative to the SVG) fixed. */
  zoomAt(px: number, py: number, factor: number): void {
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.view.s * factor));
    const k = s / this.view.s;
    this.setView({ x: px - (px - this.view.x) * k, y: py - (py - this.view.y) * k, s });
  }

  screenToBoard(clientX: number, clientY: number): [number, number] {
    const r = this.svgEl.getBoundingClientRect();
    return [(clientX - r.left - this.view.x) / this.view.s, (clientY - r.top - this.view.y) / this.view.s];
  }

  boardToScreen(x: number, y: number): [number, number] {
    const r = this.svgEl.getBoundingClientRect();
    return [r.left + this.view.x + x * this.view.s, r.top + this.view.y + y * this.view.s];
  }

  /** The bounding box of everything visible, or null for an empty board. With `text`,
   *  the captions, relation labels and notes as large as they are drawn at this view's
   *  scale; without, a fixed allowance under each actor. */
  bounds(doc: Document, text = false): Box | null {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const add = (x: number, y: number, r: number) => {
      x0 = Math.min(x0, x - r); y0 = Math.min(y0, y - r);
      x1 = Math.max(x1, x + r); y1 = Math.max(y1, y + r);
    };
    const k = this.scales();
    const visible = doc.visible();
    for (const [, o] of Object.entries(visible)) {
      if (o.type === "actor") {
        const [x, y] = pos(o.pos);
        const r = actorRadius(o.influence);
        add(x, y, r);
        add(x + r + 18, y, 0);
        if (!text) add(x, y + r + 60, 0);
        else {
          const c = captionOf(o, x, y, r, (t) => t, this.pills);
          const b = captionBox(c, k.caption, "below", false);
          add(b[0], b[1], 0);
          add(b[2], b[3], 0);
        }
      } else if (o.type === "note") {
        const [x, y] = pos(o.pos);
        const kn = text ? k.note : 1;
        add(x, y - 14 * kn, 0);
        add(x + NOTE_W * kn, y + NOTE_H * kn, 0);
      } else if (o.type === "ink" && Array.isArray(o.points)) {
        const p = o.points as number[];
        for (let i = 0; i + 1 < p.length; i += 3) add(p[i]!, p[i + 1]!, 4);
      }
    }
    return x0 === Infinity ? null : [x0, y0, x1, y1];
  }

  fit(doc: Document, pad = 40): void {
    const r = this.svgEl.getBoundingClientRect();
    const b = this.bounds(doc);
    if (!b || r.width === 0) {
      this.setView({ x: r.width / 2, y: r.height / 2, s: 1 });
      return;
    }
    const [x0, y0, x1, y1] = b;
    const s = Math.min(1.6, Math.max(MIN_SCALE, Math.min((r.width - 2 * pad) / Math.max(1, x1 - x0), (r.height - 2 * pad) / Math.max(1, y1 - y0))));
    this.setView({ x: r.width / 2 - ((x0 + x1) / 2) * s, y: r.height / 2 - ((y0 + y1) / 2) * s, s });
  }

  /** Zoomed out, text on the map shrinks less than the map (up to 1.7 times its size). */
  captionScale(): number {
    return Math.max(1, Math.min(1.7, 0.6 / this.view.s));
  }

  /** How much captions, relation labels and notes are enlarged at this view's scale. */
  scales(): { caption: number; relation: number; note: number } {
    const m = this.opts.minText;
    if (!m) {
      const k = this.captionScale();
      return { caption: k, relation: k, note: 1 };
    }
    const s = this.view.s;
    return {
      caption: Math.max(1, m.name / (TEXT.name * s), m.role / (this.pills.font * s)),
      relation: Math.max(1, m.relation / (TEXT.relation * s)),
      note: Math.max(1, m.note / (TEXT.note * s)),
    };
  }

  // --------------------------------------------------------------------- render

  render(doc: Document, state: RenderState = {}): void {
    const seen = new Set<string>();
    const visible = doc.visible();
    const selected = state.selected ?? new Set<string>();
    const k = this.scales();
    this.captions.clear();
    for (const [id, o] of Object.entries(visible)) {
      seen.add(id);
      if (o.type === "actor") this.actor(id, o, selected.has(id), state.connectFrom === id, k.caption, state.roleLabel);
      else if (o.type === "note") this.note(id, o, selected.has(id), k.note, state.questionLabel);
      else if (o.type === "ink") this.ink(id, o, selected.has(id));
    }
    for (const [id, o] of Object.entries(visible)) {
      if (o.type === "relation") this.relation(id, o, visible, selected.has(id), k.relation);
    }
    for (const [id, node] of this.nodes) {
      if (!seen.has(id) || !node.isConnected) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    if (this.opts.declutter) this.declutter(visible, k);
    this.presence(visible, state.peers ?? []);
  }

  private node<T extends SVGGElement | SVGPathElement>(id: string, make: () => T): T {
    let n = this.nodes.get(id) as T | undefined;
    if (!n) {
      n = make();
      n.dataset.id = id;
      this.nodes.set(id, n);
    }
    return n;
  }

  private actor(id: string, o: Obj, selected: boolean, connectFrom: boolean, k: number, roleLabel?: (r: string) => string): void {
    const g = this.node(id, () => {
      const g = svg("g", { class: "actor", "data-type": "actor" }, this.layers.actors);
      svg("path", { class: "ring" }, g);
      svg("path", { class: "shape" }, g);
      svg("g", { class: "tower" }, g);
      const caption = svg("g", { class: "caption" }, g);
      svg("text", { class: "label", "text-anchor": "middle" }, caption);
      svg("g", { class: "roles" }, caption);
      svg("title", {}, g);
      return g;
    });
    const [x, y] = pos(o.pos);
    const r = actorRadius(o.influence);
    const colour = str(o.colour) || STANCE_COLOUR[str(o.stance, "unknown")] || STANCE_COLOUR.unknown!;
    setAttrs(g, { transform: `translate(${x},${y})` });
    g.classList.toggle("selected", selected);
    g.classList.toggle("connect-from", connectFrom);
    const [ring, shape, tower, caption, title] = Array.from(g.children) as [SVGPathElement, SVGPathElement, SVGGElement, SVGGElement, SVGTitleElement];
    const [label, roles] = Array.from(caption.children) as [SVGTextElement, SVGGElement];
    setText(title, str(o.label));
    // Zoomed out (or on the beamer), captions keep a readable size on screen.
    setAttrs(caption, { transform: captionTransform(r, k, 0, 0) });
    caption.classList.remove("crowded");
    roles.classList.remove("crowded");
    setAttrs(ring, { d: kindPath(o.kind, r + 8) });
    setAttrs(shape, { d: kindPath(o.kind, r), fill: colour, "data-stance": str(o.stance, "unknown") });
    // Influence tower: five blocks at the right, filled up to the influence.
    const inf = typeof o.influence === "number" ? o.influence : -1;
    if (tower.childElementCount !== 5) {
      tower.replaceChildren();
      for (let i = 0; i < 5; i++) svg("rect", { width: 12, height: 8, rx: 2 }, tower);
    }
    tower.style.display = inf < 0 ? "none" : "";
    Array.from(tower.children).forEach((b, i) => {
      setAttrs(b, { x: r + 6, y: r - 10 - i * 10, class: i < inf ? "on" : "off" });
    });
    // Label: up to two lines under the shape.
    const lines = wrapLabel(str(o.label));
    while (label.childElementCount < lines.length) svg("tspan", {}, label);
    while (label.childElementCount > lines.length) label.lastElementChild!.remove();
    Array.from(label.children).forEach((ts, i) => {
      setAttrs(ts, { x: 0, y: r + 24 + i * LINE });
      setText(ts, lines[i]!);
    });
    // Roles as coloured tags under the label, in the language shown now.
    const texts = (Array.isArray(o.roles) ? (o.roles as string[]) : []).map((t) => (roleLabel ? roleLabel(t) : t));
    const c = captionOf(o, x, y, r, roleLabel ?? ((t) => t), this.pills);
    const P = this.pills;
    this.captions.set(id, c);
    const tags = Array.isArray(o.roles) ? (o.roles as string[]) : [];
    const key = tags.join(",") + "|" + texts.join(",") + "|" + lines.length + "|" + r;
    if (roles.dataset.key !== key) {
      roles.dataset.key = key;
      roles.replaceChildren();
      roleRows(texts, P).forEach((row, ri) => {
        const total = row.reduce((a, i) => a + pillWidth(texts[i]!, P) + 6, -6);
        let cx = -total / 2;
        for (const i of row) {
          const w = pillWidth(texts[i]!, P);
          const tg = svg("g", { class: "role", transform: `translate(${cx.toFixed(1)},${rolesTop(r, lines.length) + ri * P.row})`, "data-role": tags[i]! }, roles);
          svg("rect", { width: w.toFixed(1), height: P.height, rx: P.height / 2, fill: ROLE_COLOUR[tags[i]!] ?? "#555" }, tg);
          const tx = svg("text", { x: (w / 2).toFixed(1), y: (P.height / 2 + P.font * 0.36).toFixed(1), "text-anchor": "middle", fill: ROLE_TEXT[tags[i]!] ?? "#FFFFFF" }, tg);
          if (P !== PILLS) tx.style.setProperty("font-size", `${P.font}px`);
          tx.textContent = texts[i]!;
          cx += w + 6;
        }
      });
    }
  }

  private note(id: string, o: Obj, selected: boolean, k: number, questionLabel?: (ref: string) => string | null): void {
    const g = this.node(id, () => {
      const g = svg("g", { class: "note", "data-type": "note" }, this.layers.notes);
      svg("rect", { class: "paper", width: NOTE_W, height: NOTE_H, rx: 6 }, g);
      const fo = svg("foreignObject", { x: 10, y: 8, width: NOTE_W - 20, height: NOTE_H - 16 }, g);
      const div = document.createElementNS("http://www.w3.org/1999/xhtml", "div");
      div.setAttribute("class", "note-text");
      fo.appendChild(div);
      const tag = svg("g", { class: "note-question" }, g);
      svg("rect", { height: 26, rx: 13, y: -14 }, tag);
      svg("text", { y: 5, "text-anchor": "middle" }, tag);
      return g;
    });
    const [x, y] = pos(o.pos);
    setAttrs(g, { transform: k === 1 ? `translate(${x},${y})` : `translate(${x},${y}) scale(${k.toFixed(3)})` });
    g.classList.toggle("selected", selected);
    setAttrs(g.firstElementChild!, { fill: str(o.colour) || "#fff4a8" });
    setText(g.querySelector(".note-text")!, str(o.text));
    // The question it answers, as a tag on its top edge ("V2").
    const tag = g.querySelector(".note-question") as SVGGElement;
    const q = questionLabel && str(o.question) ? questionLabel(str(o.question)) : null;
    tag.style.display = q ? "" : "none";
    if (q) {
      const w = textWidth(q, TEXT.note, 700) + 20;
      const [rect, text] = Array.from(tag.children) as [SVGRectElement, SVGTextElement];
      setAttrs(rect, { x: NOTE_W - 12 - w, width: w.toFixed(1) });
      setAttrs(text, { x: (NOTE_W - 12 - w / 2).toFixed(1) });
      setText(text, q);
    }
  }

  private ink(id: string, o: Obj, selected: boolean): void {
    const p = this.node(id, () => svg("path", { class: "ink", "data-type": "ink" }, this.layers.ink));
    const points = Array.isArray(o.points) ? (o.points as number[]) : [];
    let d = this.inkCache.get(points);
    if (d === undefined) {
      d = inkPath(points, typeof o.width === "number" ? o.width : 3);
      this.inkCache.set(points, d);
    }
    setAttrs(p, { d, fill: str(o.colour) || "#222222" });
    p.classList.toggle("selected", selected);
  }

  private relation(id: string, o: Obj, visible: Record<string, Obj>, selected: boolean, k: number): void {
    const g = this.node(id, () => {
      const g = svg("g", { class: "relation", "data-type": "relation" }, this.layers.relations);
      svg("line", { class: "hit" }, g);
      svg("line", { class: "line" }, g);
      const lg = svg("g", { class: "rlabel" }, g);
      svg("rect", { rx: 6, height: 26 }, lg);
      svg("text", { "text-anchor": "middle", y: 18 }, lg);
      return g;
    });
    const [a, b] = relationEnds(o, visible);
    const sign = str(o.sign);
    const colour = SIGN_COLOUR[sign] ?? NEUTRAL_LINE;
    const marker = sign === "+" ? "plus" : sign === "-" ? "minus" : "neutral";
    const dir = str(o.direction, "none");
    const strength = typeof o.strength === "number" ? o.strength : 2;
    const width = 1 + strength * 1.6;
    const arrow = `url(#${this.markerId(marker)})`;
    const [hit, line, lg] = Array.from(g.children) as [SVGLineElement, SVGLineElement, SVGGElement];
    const coords = { x1: a[0].toFixed(1), y1: a[1].toFixed(1), x2: b[0].toFixed(1), y2: b[1].toFixed(1) };
    setAttrs(hit, coords);
    setAttrs(line, {
      ...coords,
      stroke: colour,
      "stroke-width": width,
      "stroke-dasharray": relationDash(str(o.kind), width),
      "marker-end": dir === "forward" || dir === "both" ? arrow : null,
      "marker-start": dir === "backward" || dir === "both" ? arrow : null,
      "data-kind": str(o.kind),
    });
    g.classList.toggle("selected", selected);
    const labelText = relationText(o);
    lg.style.display = labelText ? "" : "none";
    lg.classList.remove("crowded");
    const [rect, tx] = Array.from(lg.children) as [SVGRectElement, SVGTextElement];
    setText(tx, labelText);
    const w = relationLabelWidth(labelText);
    setAttrs(rect, { x: -w / 2, width: w.toFixed(1), stroke: colour });
    setAttrs(lg, { transform: relationLabelTransform((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, k) });
  }

  /**
   * Read-only views (the beamer): no label covers another label or an actor. Captions go
   * below their actor, else above, right or left of it, else without their role tags,
   * else they are left out; relation labels slide along their line, else are left out.
   * Actors with more influence are placed first. Geometry is computed (text measured on
   * a canvas), never read back from the DOM.
   */
  private declutter(visible: Record<string, Obj>, k: { caption: number; relation: number; note: number }): void {
    const obstacles: { id: string; box: Box }[] = [];
    for (const [id, c] of this.captions) obstacles.push({ id, box: [c.x - c.r - 2, c.y - c.r - 2, c.x + c.r + 20, c.y + c.r + 2] });
    obstacles.push(...this.reserved);
    const { x: vx, y: vy, s } = this.view;
    const frame: Box | null = this.frame && [(4 - vx) / s, (4 - vy) / s, (this.frame[0] - 4 - vx) / s, (this.frame[1] - 4 - vy) / s];
    const inside = (b: Box) => !frame || (b[0] >= frame[0] && b[1] >= frame[1] && b[2] <= frame[2] && b[3] <= frame[3]);
    // Notes first: enlarged to the minimum text size where that covers nothing, else at
    // the map's size with their text left out (it would be too small to read).
    const notes = Object.entries(visible).filter(([, o]) => o.type === "note").sort(([, a], [, b]) => pos(a.pos)[1] - pos(b.pos)[1] || pos(a.pos)[0] - pos(b.pos)[0]);
    const paper: Box[] = [];
    for (const [id, o] of notes) {
      const [x, y] = pos(o.pos);
      const big: Box = [x, y - 14 * k.note, x + NOTE_W * k.note, y + NOTE_H * k.note];
      const fits = k.note === 1 || (inside(big) && !paper.some((p) => overlaps(p, big)) && !obstacles.some((b) => overlaps(b.box, big)));
      const box: Box = fits ? big : [x, y, x + NOTE_W, y + NOTE_H];
      const g = this.nodes.get(id);
      if (g) {
        g.classList.toggle("shrunk", !fits);
        if (!fits) setAttrs(g, { transform: `translate(${x},${y})` });
      }
      paper.push(box);
    }
    notes.forEach(([id], i) => obstacles.push({ id, box: paper[i]! }));
    const placed: Box[] = [];
    const free = (box: Box, own: string | null) => inside(box) && !placed.some((p) => overlaps(p, box)) && !obstacles.some((o) => o.id !== own && overlaps(o.box, box));
    const order = [...this.captions.entries()].sort(([, a], [, b]) => b.influence - a.influence || a.y - b.y || a.x - b.x);
    for (const [id, c] of order) {
      const caption = this.nodes.get(id)?.querySelector(".caption") as SVGGElement | null;
      if (!caption) continue;
      const roles = caption.lastElementChild as SVGGElement;
      let done = false;
      for (const namesOnly of c.hasRoles ? [false, true] : [true]) {
        for (const side of SIDES) {
          const box = captionBox(c, k.caption, side, namesOnly);
          if (!free(box, id)) continue;
          const [dx, dy] = captionShift(c, k.caption, side, namesOnly);
          setAttrs(caption, { transform: captionTransform(c.r, k.caption, dx, dy) });
          roles.classList.toggle("crowded", namesOnly && c.hasRoles);
          placed.push(box);
          done = true;
          break;
        }
        if (done) break;
      }
      caption.classList.toggle("crowded", !done);
    }
    for (const [id, o] of Object.entries(visible)) {
      if (o.type !== "relation") continue;
      const text = relationText(o);
      const lg = this.nodes.get(id)?.querySelector(".rlabel") as SVGGElement | null;
      if (!text || !lg) continue;
      const [a, b] = relationEnds(o, visible);
      const half = (relationLabelWidth(text) / 2) * k.relation, hh = 13 * k.relation;
      let done = false;
      for (const t of [0.5, 0.38, 0.62, 0.26, 0.74]) {
        const px = a[0] + (b[0] - a[0]) * t, py = a[1] + (b[1] - a[1]) * t;
        const box: Box = [px - half, py - hh, px + half, py + hh];
        if (!free(box, null)) continue;
        setAttrs(lg, { transform: relationLabelTransform(px, py, k.relation) });
        placed.push(box);
        done = true;
        break;
      }
      lg.classList.toggle("crowded", !done);
    }
  }

  private presence(visible: Record<string, Obj>, peers: PeerMark[]): void {
    const layer = this.layers.presence;
    layer.replaceChildren();
    // Cursor labels keep their size on screen (and the beamer's minimum).
    const inv = Math.max(1, (this.opts.minText?.role ?? 14) / 14) / this.view.s;
    for (const p of peers) {
      const colour = p.colour || peerColour(p.client);
      // Other people's selections are for the people drawing, not for the beamer.
      for (const id of this.opts.readOnly ? [] : (p.sel ?? [])) {
        const o = visible[id];
        if (!o || (o.type !== "actor" && o.type !== "note")) continue;
        const [x, y] = pos(o.pos);
        if (o.type === "actor") {
          svg("path", { class: "peer-sel", d: kindPath(o.kind, actorRadius(o.influence) + 14), transform: `translate(${x},${y})`, stroke: colour }, layer);
        } else {
          svg("rect", { class: "peer-sel", x: x - 6, y: y - 6, width: NOTE_W + 12, height: NOTE_H + 12, rx: 10, stroke: colour }, layer);
        }
      }
      if (p.stroke && p.stroke.length >= 6) {
        const pts: string[] = [];
        for (let i = 0; i + 1 < p.stroke.length; i += 3) pts.push(`${p.stroke[i]},${p.stroke[i + 1]}`);
        svg("polyline", { class: "peer-stroke", points: pts.join(" "), stroke: colour }, layer);
      }
      if (p.cursor) {
        const g = svg("g", { class: "peer-cursor", transform: `translate(${p.cursor[0]},${p.cursor[1]}) scale(${inv.toFixed(4)})` }, layer);
        svg("path", { d: "M0,0L0,22L6,16L11,27L15,25L10,15L18,15Z", fill: colour, stroke: "#fff", "stroke-width": 1.5 }, g);
        const w = textWidth(p.name.slice(0, 20), 14, 600) + 14;
        svg("rect", { x: 16, y: 24, width: w.toFixed(1), height: 24, rx: 12, fill: colour }, g);
        const tx = svg("text", { x: 16 + w / 2, y: 41, "text-anchor": "middle", class: "peer-name" }, g);
        tx.textContent = p.name.slice(0, 20);
      }
    }
  }
}

// ------------------------------------------------------------------ geometry

type Side = "below" | "above" | "right" | "left";
const SIDES: Side[] = ["below", "above", "right", "left"];

const pillWidth = (text: string, p: Pills): number => textWidth(text, p.font, 700) + 16;

/** Role pills in rows of at most ROLE_ROW_WIDTH (two rows at most), as indices. */
function roleRows(texts: string[], p: Pills): number[][] {
  const rows: number[][] = [[]];
  let w = 0;
  const max = (ROLE_ROW_WIDTH * p.font) / PILLS.font;
  texts.forEach((text, i) => {
    const pw = pillWidth(text, p);
    if (w + pw > max && rows[rows.length - 1]!.length) {
      rows.push([]);
      w = 0;
    }
    rows[rows.length - 1]!.push(i);
    w += pw + 6;
  });
  return rows.filter((r) => r.length);
}

const rolesTop = (r: number, lines: number): number => r + 24 + lines * LINE - 6;

/** An actor's caption measured: names and role rows, in board units before scaling. */
function captionOf(o: Obj, x: number, y: number, r: number, roleLabel: (role: string) => string, p: Pills): Caption {
  const lines = wrapLabel(str(o.label));
  const namesWidth = Math.max(0, ...lines.map((l) => textWidth(l, TEXT.name, 750) + 8));
  const texts = (Array.isArray(o.roles) ? (o.roles as string[]) : []).map(roleLabel);
  const rows = roleRows(texts, p);
  const rowsWidth = Math.max(0, ...rows.map((row) => row.reduce((a, i) => a + pillWidth(texts[i]!, p) + 6, -6)));
  const namesHeight = lines.length ? lines.length * LINE + 4 : 0;
  const height = texts.length ? rolesTop(r, lines.length) + rows.length * p.row - 4 - (r + 6) : namesHeight;
  const influence = typeof o.influence === "number" ? o.influence : 2;
  return { x, y, r, influence, width: Math.max(namesWidth, rowsWidth), namesWidth, height, namesHeight, hasRoles: texts.length > 0 };
}

/** How far a caption moves from its place under the actor to `side`. */
function captionShift(c: Caption, k: number, side: Side, namesOnly: boolean): [number, number] {
  const w = (namesOnly ? c.namesWidth : c.width) * k, h = (namesOnly ? c.namesHeight : c.height) * k;
  switch (side) {
    case "below":
      return [0, 0];
    case "above":
      return [0, -(2 * c.r + 16 + h)];
    case "right":
      return [c.r + 22 + w / 2, -(c.r + 6) - h / 2];
    case "left":
      return [-(c.r + 8 + w / 2), -(c.r + 6) - h / 2];
  }
}

function captionBox(c: Caption, k: number, side: Side, namesOnly: boolean): Box {
  const w = (namesOnly ? c.namesWidth : c.width) * k, h = (namesOnly ? c.namesHeight : c.height) * k;
  const [dx, dy] = captionShift(c, k, side, namesOnly);
  const top = c.y + c.r + 6 + dy;
  return [c.x + dx - w / 2, top, c.x + dx + w / 2, top + h];
}

function captionTransform(r: number, k: number, dx: number, dy: number): string | null {
  if (k === 1 && dx === 0 && dy === 0) return null;
  const move = dx || dy ? `translate(${dx.toFixed(1)},${dy.toFixed(1)}) ` : "";
  return `${move}translate(0,${r + 6}) scale(${k.toFixed(3)}) translate(0,${-(r + 6)})`;
}

function relationEnds(o: Obj, visible: Record<string, Obj>): [[number, number], [number, number]] {
  const s = visible[str(o.source)]!;
  const t = visible[str(o.target)]!;
  const [x1, y1] = pos(s.pos);
  const [x2, y2] = pos(t.pos);
  const len = Math.hypot(x2 - x1, y2 - y1) || 1;
  const ux = (x2 - x1) / len, uy = (y2 - y1) / len;
  const r1 = actorRadius(s.influence) + 4, r2 = actorRadius(t.influence) + 4;
  return [
    [x1 + ux * r1, y1 + uy * r1],
    [x2 - ux * r2, y2 - uy * r2],
  ];
}

/** A relation's label: its sign and its words ("+ gesprek", "−"), at most 40 characters. */
function relationText(o: Obj): string {
  const sign = str(o.sign);
  const mark = sign === "-" ? "−" : sign === "+" ? "+" : "";
  const text = str(o.label);
  const full = text ? (mark ? `${mark} ${text}` : text) : mark;
  return full.length > 40 ? full.slice(0, 39) + "…" : full;
}

const relationLabelWidth = (text: string): number => textWidth(text, TEXT.relation, 400) + 16;

function relationLabelTransform(x: number, y: number, k: number): string {
  return `translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${k.toFixed(3)}) translate(0,-13)`;
}
