/**
 * Pointer input on the board: pan and pinch-zoom, wheel zoom, dragging objects, placing
 * actors and notes, connecting actors (drag, or tap-then-tap: WCAG 2.5.7) and free-hand
 * ink. Pen and finger are told apart: while a pen is down, and shortly after, touches are
 * ignored (palm rejection). A double tap (or double click) opens an actor's or note's
 * details; on an empty spot it places an actor there.
 */
import type { BoardRenderer } from "./render";
import { svg } from "./svg";

export type Tool = "select" | "actor" | "relation" | "note" | "ink";

export interface InputHost {
  tool: Tool;
  renderer: BoardRenderer;
  objectPos(id: string): [number, number] | null;
  typeOf(id: string): string | null;
  select(id: string | null): void;
  createActor(x: number, y: number): void;
  openDetails(id: string): void;
  createNote(x: number, y: number): void;
  move(id: string, pos: [number, number], gesture: string): void;
  connectFrom: string | null;
  setConnectFrom(id: string | null): void;
  connect(source: string, target: string): void;
  commitInk(points: number[]): void;
  inkColour(): string;
  presence(data: { cursor?: [number, number] | null; stroke?: number[] | null }): void;
  viewChanged(): void;
}

interface Ptr {
  id: number;
  type: string;
  x: number;
  y: number;
  x0: number;
  y0: number;
}

type Action =
  | { kind: "none" }
  | { kind: "pan"; x0: number; y0: number; vx: number; vy: number; moved: boolean; tapCreate: boolean }
  | { kind: "drag"; id: string; start: [number, number]; moved: boolean; gesture: string }
  | { kind: "tap"; id: string }
  | { kind: "connect"; source: string; moved: boolean; line: SVGLineElement | null }
  | { kind: "ink"; points: number[]; path: SVGPolylineElement }
  | { kind: "pinch"; d0: number; mx0: number; my0: number; view: { x: number; y: number; s: number } };

/** Board units an arrow key (or a move button) shifts the selected actor or note. */
export const NUDGE = 20;
const MOVE_THRESHOLD = 8; // px before a press becomes a drag
const PALM_MS = 1200;
const DOUBLE_TAP_MS = 450; // a second tap this soon after the first, and
const DOUBLE_TAP_PX = 24; // this close to it, makes a double tap
const MAX_INK_NUMBERS = 6000;

let gestureSerial = 0;

export class BoardInput {
  private ptrs = new Map<number, Ptr>();
  private action: Action = { kind: "none" };
  private penDown = 0;
  private lastPen = -Infinity;
  private lastTap: { at: number; x: number; y: number; id: string | null } | null = null;

  constructor(private readonly host: InputHost) {
    const el = host.renderer.svgEl;
    el.addEventListener("pointerdown", this.down);
    el.addEventListener("pointermove", this.move);
    el.addEventListener("pointerup", this.up);
    el.addEventListener("pointercancel", this.cancel);
    el.addEventListener("pointerleave", this.leave);
    el.addEventListener("wheel", this.wheel, { passive: false });
    el.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  private local(e: PointerEvent | WheelEvent): [number, number] {
    const r = this.host.renderer.svgEl.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private targetId(e: Event): string | null {
    const t = e.target as Element | null;
    const hit = t?.closest?.("[data-id]") as HTMLElement | SVGElement | null;
    return hit?.dataset.id ?? null;
  }

  private actorAt(clientX: number, clientY: number): string | null {
    const els = document.elementsFromPoint(clientX, clientY);
    for (const e of els) {
      const a = e.closest?.(".actor") as SVGGElement | null;
      if (a?.dataset.id) return a.dataset.id;
    }
    return null;
  }

  private palm(e: PointerEvent): boolean {
    return e.pointerType === "touch" && (this.penDown > 0 || performance.now() - this.lastPen < PALM_MS);
  }

  private down = (e: PointerEvent): void => {
    if (this.palm(e)) return;
    if (e.pointerType === "pen") {
      this.penDown++;
      // A pen takes over from touches already down (a resting palm).
      for (const p of [...this.ptrs.values()]) if (p.type === "touch") this.ptrs.delete(p.id);
      if (this.action.kind === "pinch") this.action = { kind: "none" };
    }
    if (e.pointerType === "mouse" && e.button !== 0 && e.button !== 1) return;
    e.preventDefault();
    const [x, y] = this.local(e);
    this.ptrs.set(e.pointerId, { id: e.pointerId, type: e.pointerType, x, y, x0: x, y0: y });
    try {
      this.host.renderer.svgEl.setPointerCapture(e.pointerId);
    } catch {
      /* synthetic events */
    }
    if (this.ptrs.size === 2) {
      this.abort();
      const [a, b] = [...this.ptrs.values()] as [Ptr, Ptr];
      this.action = { kind: "pinch", d0: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)), mx0: (a.x + b.x) / 2, my0: (a.y + b.y) / 2, view: { ...this.host.renderer.view } };
      return;
    }
    if (this.ptrs.size > 2) return;
    const id = this.targetId(e);
    const type = id ? this.host.typeOf(id) : null;
    const tool = this.host.tool;
    const view = this.host.renderer.view;
    const pan = (tapCreate: boolean): Action => ({ kind: "pan", x0: x, y0: y, vx: view.x, vy: view.y, moved: false, tapCreate });
    if (e.button === 1) {
      this.action = pan(false);
    } else if (tool === "ink") {
      const [bx, by] = this.host.renderer.screenToBoard(e.clientX, e.clientY);
      const path = svg("polyline", { class: "ink-live", stroke: this.host.inkColour() }, this.host.renderer.layers.overlay);
      this.action = { kind: "ink", points: [], path };
      this.addInk(bx, by, e.pressure);
    } else if (tool === "relation" && type === "actor") {
      this.action = { kind: "connect", source: id!, moved: false, line: null };
    } else if (tool === "select" && (type === "actor" || type === "note")) {
      this.action = { kind: "drag", id: id!, start: this.host.objectPos(id!) ?? [0, 0], moved: false, gesture: `drag${++gestureSerial}` };
    } else if (id && type) {
      this.action = { kind: "tap", id };
    } else {
      this.action = pan(true);
    }
  };

  private move = (e: PointerEvent): void => {
    const p = this.ptrs.get(e.pointerId);
    const [x, y] = this.local(e);
    if (e.pointerType !== "touch" && (!p || this.action.kind !== "pinch")) {
      const [bx, by] = this.host.renderer.screenToBoard(e.clientX, e.clientY);
      this.host.presence({ cursor: [round(bx), round(by)] });
    }
    if (!p) return;
    p.x = x;
    p.y = y;
    const a = this.action;
    const far = Math.hypot(x - p.x0, y - p.y0) > MOVE_THRESHOLD;
    const r = this.host.renderer;
    switch (a.kind) {
      case "pinch": {
        const pts = [...this.ptrs.values()];
        if (pts.length < 2) return;
        const [m, n] = pts as [Ptr, Ptr];
        const d = Math.max(1, Math.hypot(m.x - n.x, m.y - n.y));
        const mx = (m.x + n.x) / 2, my = (m.y + n.y) / 2;
        const s = Math.min(4, Math.max(0.15, (a.view.s * d) / a.d0));
        const bx = (a.mx0 - a.view.x) / a.view.s, by = (a.my0 - a.view.y) / a.view.s;
        r.setView({ x: mx - bx * s, y: my - by * s, s });
        this.host.viewChanged();
        return;
      }
      case "pan":
        if (!a.moved && !far) return;
        a.moved = true;
        r.setView({ x: a.vx + (x - p.x0), y: a.vy + (y - p.y0), s: r.view.s });
        this.host.viewChanged();
        return;
      case "drag": {
        if (!a.moved && !far) return;
        if (!a.moved) this.host.select(a.id);
        a.moved = true;
        const nx = a.start[0] + (x - p.x0) / r.view.s, ny = a.start[1] + (y - p.y0) / r.view.s;
        this.host.move(a.id, [round(nx), round(ny)], a.gesture);
        return;
      }
      case "connect": {
        if (!a.moved && !far) return;
        a.moved = true;
        const from = this.host.objectPos(a.source);
        if (!from) return;
        const [bx, by] = r.screenToBoard(e.clientX, e.clientY);
        if (!a.line) a.line = svg("line", { class: "connect-preview" }, r.layers.overlay);
        a.line.setAttribute("x1", String(from[0]));
        a.line.setAttribute("y1", String(from[1]));
        a.line.setAttribute("x2", String(bx));
        a.line.setAttribute("y2", String(by));
        return;
      }
      case "ink": {
        const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
        for (const ev of events.length ? events : [e]) {
          const [bx, by] = r.screenToBoard(ev.clientX, ev.clientY);
          this.addInk(bx, by, ev.pressure);
        }
        return;
      }
      default:
        return;
    }
  };

  private addInk(bx: number, by: number, pressure: number): void {
    const a = this.action;
    if (a.kind !== "ink") return;
    const n = a.points.length;
    if (n >= 3 && Math.hypot(bx - a.points[n - 3]!, by - a.points[n - 2]!) < 1.5) return;
    a.points.push(round(bx), round(by), Math.round((pressure > 0 ? pressure : 0.5) * 100) / 100);
    a.path.setAttribute("points", pointsAttr(a.points));
    this.host.presence({ stroke: a.points.slice(-600) });
    if (a.points.length >= MAX_INK_NUMBERS) {
      // A very long stroke is stored as several.
      this.host.commitInk(a.points);
      a.points = a.points.slice(-3);
    }
  }

  private up = (e: PointerEvent): void => {
    if (e.pointerType === "pen") {
      this.penDown = Math.max(0, this.penDown - 1);
      this.lastPen = performance.now();
    }
    const p = this.ptrs.get(e.pointerId);
    if (!p) return;
    this.ptrs.delete(e.pointerId);
    const a = this.action;
    if (a.kind === "pinch") {
      if (this.ptrs.size === 0) this.action = { kind: "none" };
      return;
    }
    this.action = { kind: "none" };
    const host = this.host;
    const tapped = (a.kind === "pan" && !a.moved) || (a.kind === "drag" && !a.moved) || a.kind === "tap";
    if (tapped && this.doubleTap(e, a.kind === "pan" ? null : a.id)) return;
    switch (a.kind) {
      case "pan":
        if (!a.moved) {
          const [bx, by] = host.renderer.screenToBoard(e.clientX, e.clientY);
          if (host.tool === "actor") host.createActor(round(bx), round(by));
          else if (host.tool === "note") host.createNote(round(bx), round(by));
          else {
            host.setConnectFrom(null);
            host.select(null);
          }
        }
        return;
      case "drag":
        if (!a.moved) host.select(a.id);
        return;
      case "tap":
        host.select(a.id);
        return;
      case "connect": {
        a.line?.remove();
        if (a.moved) {
          const target = this.actorAt(e.clientX, e.clientY);
          if (target && target !== a.source) host.connect(a.source, target);
          return;
        }
        // Tap-then-tap: the first tap picks the source, the second the target.
        const from = host.connectFrom;
        if (from === null || !host.typeOf(from)) host.setConnectFrom(a.source);
        else if (from === a.source) host.setConnectFrom(null);
        else {
          host.connect(from, a.source);
          host.setConnectFrom(null);
        }
        return;
      }
      case "ink":
        a.path.remove();
        if (a.points.length >= 6) host.commitInk(a.points);
        else if (a.points.length === 3) host.commitInk([...a.points, a.points[0]! + 0.5, a.points[1]! + 0.5, a.points[2]!]);
        host.presence({ stroke: null });
        return;
      default:
        return;
    }
  };

  /** A second tap on the same object (or spot) right after the first: open it. */
  private doubleTap(e: PointerEvent, id: string | null): boolean {
    const [x, y] = this.local(e);
    const now = performance.now();
    const last = this.lastTap;
    const double = last !== null && now - last.at < DOUBLE_TAP_MS && Math.hypot(x - last.x, y - last.y) < DOUBLE_TAP_PX && last.id === id;
    this.lastTap = double ? null : { at: now, x, y, id };
    if (!double) return false;
    const type = id ? this.host.typeOf(id) : null;
    if (id && (type === "actor" || type === "note")) this.host.openDetails(id);
    else if (!id && this.host.tool === "select") {
      const [bx, by] = this.host.renderer.screenToBoard(e.clientX, e.clientY);
      this.host.createActor(round(bx), round(by));
    } else return false;
    return true;
  }

  private cancel = (e: PointerEvent): void => {
    if (e.pointerType === "pen") {
      this.penDown = Math.max(0, this.penDown - 1);
      this.lastPen = performance.now();
    }
    this.ptrs.delete(e.pointerId);
    if (this.ptrs.size === 0) this.abort();
  };

  private leave = (e: PointerEvent): void => {
    if (e.pointerType === "mouse" && !this.ptrs.size) this.host.presence({ cursor: null });
  };

  /** Give up the current single-pointer action (a second finger came down). */
  private abort(): void {
    const a = this.action;
    if (a.kind === "ink") {
      a.path.remove();
      this.host.presence({ stroke: null });
    } else if (a.kind === "connect") a.line?.remove();
    this.action = { kind: "none" };
  }

  private wheel = (e: WheelEvent): void => {
    e.preventDefault();
    const [x, y] = this.local(e);
    const r = this.host.renderer;
    if (e.ctrlKey || e.metaKey || !e.shiftKey) {
      const k = e.deltaMode === 1 ? 0.05 : e.ctrlKey ? 0.01 : 0.0015;
      r.zoomAt(x, y, Math.exp(-e.deltaY * k));
    } else {
      r.setView({ x: r.view.x - e.deltaY, y: r.view.y - e.deltaX, s: r.view.s });
    }
    this.host.viewChanged();
  };
}

function round(v: number): number {
  return Math.round(Math.max(-999999, Math.min(999999, v)) * 10) / 10;
}

function pointsAttr(p: number[]): string {
  const out: string[] = [];
  for (let i = 0; i + 1 < p.length; i += 3) out.push(`${p[i]},${p[i + 1]}`);
  return out.join(" ");
}
