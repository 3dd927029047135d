/**
 * A read-only board view fitted to its box: the plenary grid's tiles, the spotlight, the
 * console's thumbnails and a partner's map on a tablet. It reuses board/render.ts and
 * adds only "fit to tile" and a shared animation-frame scheduler, so that 50 boards
 * updating at once cost one render of each changed board per frame and no layout reads.
 */
import type { Document } from "../core/document";
import { BoardRenderer, MIN_SCALE, type PeerMark, type TextMinimum, type ViewBox } from "../board/render";
import { t, type Key } from "../ui/i18n";

/** Runs each scheduled job once on the next animation frame (later calls coalesce). */
export class FrameScheduler {
  private jobs = new Set<() => void>();
  private frame = 0;
  frames = 0;
  renders = 0;

  constructor(private readonly raf: (cb: () => void) => number = (cb) => requestAnimationFrame(cb)) {}

  schedule(job: () => void): void {
    this.jobs.add(job);
    if (!this.frame) {
      this.frame = this.raf(() => {
        this.frame = 0;
        this.frames++;
        const jobs = [...this.jobs];
        this.jobs.clear();
        for (const j of jobs) {
          this.renders++;
          j();
        }
      });
    }
  }
}

export const frames = new FrameScheduler();

/** About half the width of a two-line label or a row of role tags, in board units. */
const LABEL_HALF_WIDTH = 90;

/** The view that shows `bounds` centred in a w×h box with `pad` around it. */
export function fitView(bounds: [number, number, number, number] | null, w: number, h: number, pad: number, maxScale = 1.6, minScale = MIN_SCALE / 10): ViewBox {
  if (!bounds || w <= 0 || h <= 0) return { x: w / 2, y: h / 2, s: 1 };
  const [x0, y0, x1, y1] = bounds;
  const s = Math.min(maxScale, Math.max(minScale, Math.min((w - 2 * Math.min(pad, w / 4)) / Math.max(1, x1 - x0), (h - 2 * Math.min(pad, h / 4)) / Math.max(1, y1 - y0))));
  return { x: w / 2 - ((x0 + x1) / 2) * s, y: h / 2 - ((y0 + y1) / 2) * s, s };
}

export interface BoardViewOptions {
  /** Space around the map, px. */
  pad?: number;
  /** The largest zoom (a small map is not blown up beyond it). */
  maxScale?: number;
  /** Smallest text on screen, px (the beamer); labels that do not fit are left out. */
  minText?: TextMinimum;
  /** The short tag of a note's question, e.g. "V1". */
  questionLabel?: (ref: string) => string | null;
}

export class BoardView {
  readonly svg: SVGSVGElement;
  readonly renderer: BoardRenderer;
  private w = 0;
  private h = 0;
  private doc: Document | null = null;
  private peers: PeerMark[] = [];
  private observer: ResizeObserver | null = null;
  private job = () => this.paint();
  private readonly pad: number;
  empty = true;
  /** Drawn after every paint, over the map (the analysis layer). */
  onPaint: ((renderer: BoardRenderer, doc: Document) => void) | null = null;
  /** Called once the view is fitted, before the map is drawn (to reserve room on it). */
  beforePaint: ((renderer: BoardRenderer, doc: Document) => void) | null = null;

  constructor(
    label: string,
    private readonly options: BoardViewOptions = {},
    private readonly scheduler: FrameScheduler = frames,
  ) {
    this.pad = options.pad ?? 24;
    this.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.svg.setAttribute("role", "img");
    this.svg.setAttribute("aria-label", label);
    this.svg.classList.add("board-view");
    this.renderer = new BoardRenderer(this.svg, { readOnly: true, declutter: true, minText: options.minText });
    if (typeof ResizeObserver !== "undefined") {
      this.observer = new ResizeObserver((entries) => {
        const r = entries[entries.length - 1]!.contentRect;
        if (r.width !== this.w || r.height !== this.h) {
          this.w = r.width;
          this.h = r.height;
          this.scheduler.schedule(this.job);
        }
      });
      this.observer.observe(this.svg);
    }
  }

  setLabel(label: string): void {
    this.svg.setAttribute("aria-label", label);
  }

  /** Show this document (a live replica's): drawn on the next frame. */
  update(doc: Document, peers: PeerMark[] = []): void {
    this.doc = doc;
    this.peers = peers;
    this.scheduler.schedule(this.job);
  }

  dispose(): void {
    this.observer?.disconnect();
    this.svg.remove();
  }

  /** Redraw now (the language changed). */
  refresh(): void {
    this.scheduler.schedule(this.job);
  }

  private paint(): void {
    if (!this.doc) return;
    const r = this.renderer;
    const b = r.bounds(this.doc);
    // Labels and role tags are wider than the shapes the renderer measures.
    const bounds: [number, number, number, number] | null = b && [b[0] - LABEL_HALF_WIDTH, b[1], b[2] + LABEL_HALF_WIDTH, b[3] + 30];
    this.empty = bounds === null;
    this.svg.classList.toggle("is-empty", this.empty);
    // Not setView: a small tile may need a scale below the editor's zoom limit.
    const max = this.options.maxScale ?? 1.6;
    const shapes = fitView(bounds, this.w, this.h, this.pad, max);
    r.view = shapes;
    // Text drawn larger than the map (a minimum size on screen) takes room: fit again to
    // the map with its text at that scale (twice: the scale moves the text's size), but
    // keep the map at least 3/4 of its own size: labels with no room are left out.
    for (let i = 0; i < 2 && bounds; i++) r.view = fitView(r.bounds(this.doc, true), this.w, this.h, this.pad, max);
    if (r.view.s < shapes.s * 0.75) r.view = fitView(bounds, this.w, this.h, this.pad, shapes.s * 0.75, shapes.s * 0.75);
    r.frame = [this.w, this.h];
    r.applyView();
    this.beforePaint?.(r, this.doc);
    r.render(this.doc, { peers: this.peers, roleLabel: (role) => t(`role.${role}` as Key), questionLabel: this.options.questionLabel });
    this.onPaint?.(r, this.doc);
  }

  /** Paint again on the next frame (the analysis layer changed, the doc did not). */
  repaint(): void {
    this.scheduler.schedule(this.job);
  }
}
