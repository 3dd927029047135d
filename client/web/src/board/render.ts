/**
 * Render one board replica into an SVG element. Keyed: one element per object, updated in
 * place, so a remote edit moves one node and never rebuilds the map. Read-only use (the
 * plenary screen) needs nothing else: `new BoardRenderer(svg).render(doc)`.
 * All user text goes into text nodes (textContent): it is never parsed as HTML.
 */
import { getStroke } from "perfect-freehand";
import type { Document } from "../core/document";
import { NEUTRAL_LINE, ROLE_COLOUR, ROLE_TEXT, SIGN_COLOUR, STANCE_COLOUR, actorRadius, kindPath, peerColour, relationDash } from "./style";
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
}

export const MIN_SCALE = 0.15;
export const MAX_SCALE = 4;
const NOTE_W = 200;
const NOTE_H = 130;

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
  private nodes = new Map<string, SVGGElement | SVGPathElement>();
  private inkCache = new WeakMap<object, string>();
  /** Prefix of this renderer's ids: a page with many boards (the plenary grid) has no duplicates. */
  readonly idPrefix = `board${++renderers}-`;

  constructor(readonly svgEl: SVGSVGElement, readonly opts: { readOnly?: boolean } = {}) {
    svgEl.classList.add("board-svg");
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

  /** The bounding box of everything visible, or null for an empty board. */
  bounds(doc: Document): [number, number, number, number] | null {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const add = (x: number, y: number, r: number) => {
      x0 = Math.min(x0, x - r); y0 = Math.min(y0, y - r);
      x1 = Math.max(x1, x + r); y1 = Math.max(y1, y + r);
    };
    for (const [, o] of Object.entries(doc.visible())) {
      if (o.type === "actor") {
        const [x, y] = pos(o.pos);
        const r = actorRadius(o.influence);
        add(x, y, r);
        add(x, y + r + 60, 0);
      } else if (o.type === "note") {
        const [x, y] = pos(o.pos);
        add(x, y, 0);
        add(x + NOTE_W, y + NOTE_H, 0);
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

  // --------------------------------------------------------------------- render

  render(doc: Document, state: RenderState = {}): void {
    const seen = new Set<string>();
    const visible = doc.visible();
    const selected = state.selected ?? new Set<string>();
    for (const [id, o] of Object.entries(visible)) {
      seen.add(id);
      if (o.type === "actor") this.actor(id, o, selected.has(id), state.connectFrom === id, state.roleLabel);
      else if (o.type === "note") this.note(id, o, selected.has(id));
      else if (o.type === "ink") this.ink(id, o, selected.has(id));
    }
    for (const [id, o] of Object.entries(visible)) {
      if (o.type === "relation") this.relation(id, o, visible, selected.has(id));
    }
    for (const [id, node] of this.nodes) {
      if (!seen.has(id) || !node.isConnected) {
        node.remove();
        this.nodes.delete(id);
      }
    }
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

  private actor(id: string, o: Obj, selected: boolean, connectFrom: boolean, roleLabel?: (r: string) => string): void {
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
    // Zoomed out, captions keep a readable size on screen (arm's length on a tablet).
    const k = this.captionScale();
    setAttrs(caption, { transform: k === 1 ? null : `translate(0,${r + 6}) scale(${k.toFixed(3)}) translate(0,${-(r + 6)})` });
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
      setAttrs(ts, { x: 0, y: r + 24 + i * 22 });
      setText(ts, lines[i]!);
    });
    // Roles as coloured tags under the label.
    const tags = Array.isArray(o.roles) ? (o.roles as string[]) : [];
    const key = tags.join(",") + "|" + lines.length + "|" + r + "|" + (roleLabel ? roleLabel("schakel") : "");
    if (roles.dataset.key !== key) {
      roles.dataset.key = key;
      roles.replaceChildren();
      const texts = tags.map((t) => (roleLabel ? roleLabel(t) : t));
      const widths = texts.map((t) => t.length * 7.6 + 16);
      const gap = 6;
      const rowY = r + 24 + lines.length * 22 - 6;
      // Two rows at most, centred.
      const rows: number[][] = [[]];
      let w = 0;
      texts.forEach((_, i) => {
        if (w + widths[i]! > 230 && rows[rows.length - 1]!.length) {
          rows.push([]);
          w = 0;
        }
        rows[rows.length - 1]!.push(i);
        w += widths[i]! + gap;
      });
      rows.forEach((row, ri) => {
        const total = row.reduce((a, i) => a + widths[i]! + gap, -gap);
        let cx = -total / 2;
        for (const i of row) {
          const tg = svg("g", { class: "role", transform: `translate(${cx.toFixed(1)},${rowY + ri * 26})`, "data-role": tags[i]! }, roles);
          svg("rect", { width: widths[i]!.toFixed(1), height: 22, rx: 11, fill: ROLE_COLOUR[tags[i]!] ?? "#555" }, tg);
          const tx = svg("text", { x: (widths[i]! / 2).toFixed(1), y: 16, "text-anchor": "middle", fill: ROLE_TEXT[tags[i]!] ?? "#FFFFFF" }, tg);
          tx.textContent = texts[i]!;
          cx += widths[i]! + gap;
        }
      });
    }
  }

  private note(id: string, o: Obj, selected: boolean): void {
    const g = this.node(id, () => {
      const g = svg("g", { class: "note", "data-type": "note" }, this.layers.notes);
      svg("rect", { class: "paper", width: NOTE_W, height: NOTE_H, rx: 6 }, g);
      const fo = svg("foreignObject", { x: 10, y: 8, width: NOTE_W - 20, height: NOTE_H - 16 }, g);
      const div = document.createElementNS("http://www.w3.org/1999/xhtml", "div");
      div.setAttribute("class", "note-text");
      fo.appendChild(div);
      return g;
    });
    const [x, y] = pos(o.pos);
    setAttrs(g, { transform: `translate(${x},${y})` });
    g.classList.toggle("selected", selected);
    setAttrs(g.firstElementChild!, { fill: str(o.colour) || "#fff4a8" });
    setText(g.querySelector(".note-text")!, str(o.text));
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

  private relation(id: string, o: Obj, visible: Record<string, Obj>, selected: boolean): void {
    const g = this.node(id, () => {
      const g = svg("g", { class: "relation", "data-type": "relation" }, this.layers.relations);
      svg("line", { class: "hit" }, g);
      svg("line", { class: "line" }, g);
      const lg = svg("g", { class: "rlabel" }, g);
      svg("rect", { rx: 6, height: 26 }, lg);
      svg("text", { "text-anchor": "middle", y: 18 }, lg);
      return g;
    });
    const s = visible[str(o.source)]!;
    const t = visible[str(o.target)]!;
    const [x1, y1] = pos(s.pos);
    const [x2, y2] = pos(t.pos);
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const ux = (x2 - x1) / len, uy = (y2 - y1) / len;
    const r1 = actorRadius(s.influence) + 4, r2 = actorRadius(t.influence) + 4;
    const a = [x1 + ux * r1, y1 + uy * r1], b = [x2 - ux * r2, y2 - uy * r2];
    const sign = str(o.sign);
    const colour = SIGN_COLOUR[sign] ?? NEUTRAL_LINE;
    const marker = sign === "+" ? "plus" : sign === "-" ? "minus" : "neutral";
    const dir = str(o.direction, "none");
    const strength = typeof o.strength === "number" ? o.strength : 2;
    const width = 1 + strength * 1.6;
    const arrow = `url(#${this.markerId(marker)})`;
    const [hit, line, lg] = Array.from(g.children) as [SVGLineElement, SVGLineElement, SVGGElement];
    const coords = { x1: a[0]!.toFixed(1), y1: a[1]!.toFixed(1), x2: b[0]!.toFixed(1), y2: b[1]!.toFixed(1) };
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
    const text = str(o.label) + (sign && !str(o.label) ? "" : "");
    const labelText = text ? (sign ? `${sign === "-" ? "−" : "+"} ${text}` : text) : sign ? (sign === "-" ? "−" : "+") : "";
    lg.style.display = labelText ? "" : "none";
    const [rect, tx] = Array.from(lg.children) as [SVGRectElement, SVGTextElement];
    setText(tx, labelText.length > 40 ? labelText.slice(0, 39) + "…" : labelText);
    const w = Math.min(40, labelText.length) * 8 + 16;
    setAttrs(rect, { x: -w / 2, width: w, stroke: colour });
    const k = this.captionScale();
    setAttrs(lg, { transform: `translate(${((x1 + x2) / 2).toFixed(1)},${((y1 + y2) / 2).toFixed(1)}) scale(${k.toFixed(3)}) translate(0,-13)` });
  }

  private presence(visible: Record<string, Obj>, peers: PeerMark[]): void {
    const layer = this.layers.presence;
    layer.replaceChildren();
    const inv = 1 / this.view.s;
    for (const p of peers) {
      const colour = p.colour || peerColour(p.client);
      for (const id of p.sel ?? []) {
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
        const w = Math.min(p.name.length, 20) * 8.5 + 14;
        svg("rect", { x: 16, y: 24, width: w, height: 24, rx: 12, fill: colour }, g);
        const tx = svg("text", { x: 16 + w / 2, y: 41, "text-anchor": "middle", class: "peer-name" }, g);
        tx.textContent = p.name.slice(0, 20);
      }
    }
  }
}
