/**
 * A client's replica of one board: optimistic local edits on top of what the hub stored.
 * Pure (no I/O), like client/python/schakel_client/replica.py. The connection moves ops
 * between `unsent`, `inflight` (sent, not acknowledged) and acknowledged.
 *
 * Undo and redo act on own edits only, and never overwrite someone else's later edit:
 * a step is skipped for a field whose register another client has written since (the
 * register that the step would write must be absent or hold one of our own writes).
 */
import { Document } from "../core/document";
import type { Op } from "../core/ops";
import { LIMITS } from "../core/schema";

export interface UndoStep {
  /** The op that restores the previous value (its clock is replaced when applied). */
  op: Op;
  /** The register that must still hold our own write (or none) for the step to apply. */
  guard: { id: string; field: string; client: string };
}

export class Replica {
  doc = new Document();
  seq = 0;
  unsent: Op[] = [];
  inflight = new Map<number, Op[]>();
  synced = false;
  undoStack: UndoStep[][] = [];
  redoStack: UndoStep[][] = [];
  private lastGesture: string | undefined;

  constructor(readonly board: string) {}

  // --------------------------------------------------------------- local edits

  private applyGroup(ops: Op[]): UndoStep[] {
    const steps: UndoStep[] = [];
    for (const op of ops) {
      let inv = this.doc.inverse(op, op[4], op[5]);
      // An object that was never deleted had "deleted: false" in effect: undoing a delete
      // (or the undo of a creation) restores it.
      if (inv === null && op[2] === "deleted") inv = [op[0], op[1], "deleted", false, op[4], op[5]];
      if (inv !== null) steps.push({ op: inv, guard: { id: inv[0], field: inv[2], client: op[5] } });
      this.doc.apply(op);
    }
    this.unsent.push(...ops);
    return steps.reverse();
  }

  /**
   * Apply own ops at once, queue them for sending, and make them one undoable step.
   * Ops with the same `gesture` key as the previous call join its step (a drag sends
   * many positions, and one undo puts the actor back where the drag began).
   */
  local(ops: Op[], gesture?: string): Op[] {
    // A field written again before the older write was sent: the older one need not go
    // out at all (nobody saw it; its clock is never reused).
    if (this.unsent.length) {
      const fresh = new Set(ops.map((o) => o[0] + "\u0000" + o[2]));
      this.unsent = this.unsent.filter((o) => !fresh.has(o[0] + "\u0000" + o[2]));
    }
    const steps = this.applyGroup(ops);
    if (!steps.length && gesture === undefined) return ops;
    const last = this.undoStack[this.undoStack.length - 1];
    if (gesture !== undefined && gesture === this.lastGesture && last) {
      // Same gesture: keep the value from before it began; add fields it touches anew.
      for (const st of steps) {
        if (!last.some((o) => o.guard.id === st.guard.id && o.guard.field === st.guard.field)) last.unshift(st);
      }
    } else if (steps.length) {
      this.undoStack.push(steps);
    }
    this.lastGesture = gesture;
    this.redoStack = [];
    return ops;
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  undo(nextCounter: () => number, client: string): Op[] {
    return this.swap(this.undoStack, this.redoStack, nextCounter, client);
  }

  redo(nextCounter: () => number, client: string): Op[] {
    return this.swap(this.redoStack, this.undoStack, nextCounter, client);
  }

  private swap(source: UndoStep[][], target: UndoStep[][], nextCounter: () => number, client: string): Op[] {
    // Skip steps whose every field was overwritten by others: nothing of ours to undo.
    while (source.length) {
      const steps = source.pop()!;
      const group: Op[] = [];
      for (const s of steps) {
        const reg = this.doc.fields.get(s.guard.id)?.get(s.guard.field);
        if (reg && reg.client !== s.guard.client) continue; // someone else's now
        const [id, type, field, value] = s.op;
        group.push([id, type, field, value, nextCounter(), client]);
      }
      if (!group.length) continue;
      this.lastGesture = undefined;
      const inverse = this.applyGroup(group);
      if (inverse.length) target.push(inverse);
      return group;
    }
    return [];
  }

  // ------------------------------------------------------------------- sending

  takeBatch(ref: number): Op[] | null {
    if (!this.unsent.length) return null;
    const batch = this.unsent.slice(0, LIMITS.maxOpsPerBatch);
    this.unsent = this.unsent.slice(LIMITS.maxOpsPerBatch);
    this.inflight.set(ref, batch);
    return batch;
  }

  /** An ack of `ref` covers every batch sent before it on this board (cumulative). */
  acked(ref: number): void {
    if (!this.inflight.has(ref)) return; // requeued meanwhile: it will be sent again
    for (const key of [...this.inflight.keys()]) {
      this.inflight.delete(key);
      if (key === ref) break;
    }
  }

  refused(ref: number): Op[] {
    const ops = this.inflight.get(ref) ?? [];
    this.inflight.delete(ref);
    return ops;
  }

  /** One batch the hub refused for now (`rate_limited`, `store_unavailable`): it alone is
   * sent again, ahead of what was not sent yet; the other batches stay in flight. */
  requeue(ref: number): void {
    const batch = this.inflight.get(ref);
    if (!batch) return;
    this.inflight.delete(ref);
    this.unsent = [...batch, ...this.unsent];
  }

  /** After a reconnect everything unacknowledged is sent again (ops are idempotent). */
  requeueInflight(): void {
    const again = [...this.inflight.keys()].sort((a, b) => a - b).flatMap((r) => this.inflight.get(r)!);
    this.inflight.clear();
    this.unsent = [...again, ...this.unsent];
  }

  /** Own ops not yet acknowledged, in order. */
  pendingOps(): Op[] {
    return [...[...this.inflight.keys()].sort((a, b) => a - b).flatMap((r) => this.inflight.get(r)!), ...this.unsent];
  }

  get pending(): number {
    let n = this.unsent.length;
    for (const b of this.inflight.values()) n += b.length;
    return n;
  }

  // ------------------------------------------------------------------ from hub

  onSync(seq: number, full: boolean, ops: Op[]): void {
    if (full) {
      const mine = this.pendingOps();
      this.doc = new Document(ops);
      for (const op of mine) this.safeApply(op); // own edits not yet stored stay visible
    } else {
      for (const op of ops) this.safeApply(op);
    }
    this.seq = seq;
    this.synced = true;
  }

  /**
   * An `update` (protocol v2): the board's ops `from..seq` except our own, which the
   * replica holds already (no echo). Returns the ops applied, or null when `from` leaves
   * a gap after the last seq (something was missed: the caller subscribes again).
   * An update that overlaps what we have is applied whole (ops are idempotent).
   */
  onUpdate(from: number, seq: number, ops: Op[]): Op[] | null {
    if (seq <= this.seq) return [];
    if (from > this.seq + 1) return null;
    for (const op of ops) this.safeApply(op);
    this.seq = seq;
    return ops;
  }

  /**
   * An `ack` (protocol v2): batch `ref` and the earlier ones are settled, and every op of
   * the board through `seq` has reached us (others' in updates before the ack, ours we
   * hold), so the last seq moves up to it. The ops the ack names `lost` leave the pending
   * set with their batch and need nothing more: the register holds a higher clock, whose
   * op reached us before this ack, or this very op (a batch sent again). The hub cannot
   * tell those two apart, so neither can a client: a lost op still showing is no error.
   */
  onAck(ref: number, seq: number): void {
    this.acked(ref);
    if (seq > this.seq) this.seq = seq;
  }

  /** The hub's stored ops are authoritative: never let one bad op stop the replica. */
  private safeApply(op: Op): void {
    try {
      this.doc.apply(op);
    } catch {
      /* a conflict the hub accepted cannot happen; ignore defensively */
    }
  }
}
