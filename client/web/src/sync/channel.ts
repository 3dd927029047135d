/**
 * One board on the page's one connection (sync/link.ts): its replica, the people on it,
 * its subscription (resumed from the last seq), the batches of own ops with their acks,
 * retries and refusals, presence, and the offline queue (a board with a store keeps its
 * state and its unacknowledged edits across a dropped socket and a reload). The link
 * routes the hub's messages for this board here; this file never touches the socket.
 */
import { opsMsg, presenceMsg, subscribe, type Ack, type ClientMessage, type PresenceData, type PresenceOut } from "../core/messages";
import type { Op } from "../core/ops";
import type { ObjType } from "../core/schema";
import type { OfflineStore } from "./offline";
import { Replica } from "./replica";

export type Status = "connecting" | "connected" | "reconnecting" | "offline" | "failed";
export type ChangeKind = "doc" | "status" | "presence" | "pending" | "access" | "moved";

const SEND_INTERVAL_MS = 40;
const RETRY_MS = 500;
/** Refusals that mean "not now": the same request is sent again a little later. */
export const RETRY_CODES = new Set(["store_unavailable", "rate_limited"]);

export interface Peer {
  conn: string;
  client: string;
  name: string;
  data: PresenceData;
  seen: number;
}

/** What a board needs of the link: the socket's state and a way to send on it. */
export interface Wire {
  readonly clientId: string;
  /** Open and welcomed: messages sent now reach the hub. */
  readonly ready: boolean;
  send(msg: ClientMessage): void;
  nextRef(): number;
  /** The shortest wait between two presences of one board worth sending (ms). */
  readonly presenceEveryMs: number;
}

export interface ChannelOptions {
  /** Keep state and unacknowledged edits on this device (the board one draws on). */
  store?: OfflineStore;
  /** The board the page is about: not being allowed to read it fails it (else it waits). */
  strict?: boolean;
  /** Tell the others who is here (presence) after every sync. */
  announce?: boolean;
}

export class BoardChannel {
  replica: Replica;
  readonly peers = new Map<string, Peer>();
  status: Status = "connecting";
  failure: { code: string; reason: string } | null = null;
  counter = 0;
  /** A subscribe was sent on the current socket (and not refused). */
  subscribed = false;
  /** The hub refused this board (`forbidden`); asked again when it becomes readable. */
  refusedBoard = false;
  /** A subscribe is out and its (last) sync has not come yet: updates and acks of the old
   * subscription say nothing about what the replica holds. */
  private awaitingSync = false;
  /** Pages holding this board open (the link unsubscribes when none is left). */
  users = 0;
  private syncParts: Op[] = [];
  private subscribeRef = 0;
  private sendScheduled = false;
  private lastSend = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private presenceQueued = false;
  private presenceState: PresenceData = { sel: [] };
  private presenceTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPresenceSent = 0;
  /** The workshop is gone: nothing of it is kept on this device any more. */
  private gone = false;
  private listeners = new Set<(kind: ChangeKind) => void>();

  constructor(
    readonly board: string,
    private readonly wire: Wire,
    readonly opts: ChannelOptions,
  ) {
    this.replica = new Replica(board);
    const saved = opts.store?.load(board, wire.clientId);
    if (saved) {
      // Last known state first, then own edits not yet stored: all visible at once.
      this.replica.onSync(saved.seq, true, saved.doc);
      this.replica.synced = false;
      for (const op of saved.pending) {
        try {
          this.replica.doc.apply(op);
          this.replica.unsent.push(op);
        } catch {
          /* an op that no longer fits is dropped */
        }
      }
      this.counter = Math.max(saved.counter, this.replica.doc.maxCounter);
    }
  }

  on(fn: (kind: ChangeKind) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(kind: ChangeKind): void {
    for (const fn of this.listeners) fn(kind);
  }

  setStatus(s: Status): void {
    if (this.status !== s) {
      this.status = s;
      this.emit("status");
    }
  }

  private later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /** The board is closed on this page: timers stop, what is pending is saved. */
  dispose(): void {
    this.saveNow();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.saveTimer = this.presenceTimer = null;
    this.sendScheduled = false;
    this.listeners.clear();
  }

  // ------------------------------------------------------------ from the link

  /** Ask the hub for the board from the last seq seen (a resume after a reconnect). */
  subscribe(): void {
    this.subscribed = true;
    this.awaitingSync = true;
    this.refusedBoard = false;
    this.subscribeRef = this.wire.nextRef();
    this.wire.send(subscribe(this.board, this.replica.seq, this.subscribeRef));
  }

  /** The socket went: unacknowledged batches are sent again after the next sync. */
  lost(offline: boolean): void {
    this.subscribed = false;
    this.syncParts = [];
    this.replica.requeueInflight();
    this.replica.synced = false;
    if (this.peers.size) {
      this.peers.clear();
      this.emit("presence");
    }
    if (this.status !== "failed") this.setStatus(offline ? "offline" : "reconnecting");
  }

  fail(code: string, reason: string): void {
    this.failure = { code, reason };
    if (this.peers.size) {
      this.peers.clear(); // nobody is shown as here on a board this page no longer follows
      this.emit("presence");
    }
    this.setStatus("failed");
  }

  /**
   * The workshop was deleted or has ended: its maps and pending edits are erased from
   * this device (every board of it), and nothing more is queued or saved.
   */
  wipe(reason: string): void {
    this.gone = true;
    this.opts.store?.clearWorkshop(this.board.split(":", 1)[0]!);
    this.replica.unsent = [];
    this.replica.inflight.clear();
    this.fail("not_found", reason);
    this.emit("pending");
    this.emit("doc");
  }

  private see(ops: Op[]): void {
    for (const op of ops) if (op[4] > this.counter) this.counter = op[4];
  }

  onSync(seq: number, full: boolean, ops: Op[], more: boolean): void {
    if (!this.subscribed) return;
    this.see(ops);
    if (more) {
      this.syncParts.push(...ops); // a large board: more frames of this sync follow
      return;
    }
    this.replica.onSync(seq, full, this.syncParts.length ? [...this.syncParts, ...ops] : ops);
    this.syncParts = [];
    this.awaitingSync = false;
    if (this.status !== "failed") this.setStatus("connected");
    this.emit("doc");
    this.scheduleSave();
    this.scheduleSend();
    if (this.opts.announce) {
      // Announce ourselves (again, after a reconnect): the hub replays presence to others.
      this.presenceQueued = true;
      this.flushPresence();
    }
  }

  onUpdate(from: number, seq: number, ops: Op[]): void {
    if (!this.subscribed || this.awaitingSync) return;
    this.see(ops);
    const fresh = this.replica.onUpdate(from, seq, ops);
    if (fresh === null) {
      // A gap: ops between the last seq and `from` never came. Ask from the last seq.
      this.subscribe();
      return;
    }
    if (fresh.length) this.emit("doc");
    this.scheduleSave();
  }

  onAck(msg: Ack): void {
    // Settled (`lost` ones too: see Replica.onAck). While a subscribe is out, the coming
    // sync brings the board's seq.
    if (this.awaitingSync) this.replica.acked(msg.ref);
    else this.replica.onAck(msg.ref, msg.seq);
    this.emit("pending");
    this.scheduleSave();
  }

  onPresence(msg: PresenceOut): void {
    this.peers.set(msg.conn, { conn: msg.conn, client: msg.client, name: msg.name, data: msg.data, seen: Date.now() });
    this.emit("presence");
  }

  onLeave(conn: string): void {
    if (this.peers.delete(conn)) this.emit("presence");
  }

  /** True when `ref` names a request of this board (its subscribe or a batch in flight). */
  owns(ref: number): boolean {
    return ref === this.subscribeRef || this.replica.inflight.has(ref);
  }

  /** The hub refused a request of this board. */
  onError(code: string, reason: string, ref: number | null): void {
    const r = this.replica;
    if (ref !== null && ref === this.subscribeRef && RETRY_CODES.has(code)) {
      // The store is away for a moment: ask for the board again, a little later.
      this.subscribed = false;
      this.later(() => {
        if (this.wire.ready && !this.subscribed && !r.synced && this.status !== "failed") this.subscribe();
      }, RETRY_MS);
      return;
    }
    if (ref !== null && r.inflight.has(ref)) {
      if (RETRY_CODES.has(code)) {
        // Only this batch was refused (the others are in flight, or already stored):
        // it alone goes out again, a little later.
        r.requeue(ref);
        this.later(() => this.scheduleSend(), RETRY_MS);
      } else {
        // Refused for good: drop the batch and rebuild from the hub's state, so the
        // screen never shows an edit nobody else will see.
        r.refused(ref);
        r.seq = 0;
        this.subscribe();
        this.emit("pending");
      }
      return;
    }
    if (code === "forbidden" || code === "not_found") {
      if (this.opts.strict) {
        if (ref === null) return; // (a presence refused: the board itself stays)
        this.fail(code, reason);
        return;
      }
      // A board taken away (e.g. a reveal withdrawn): forget it until it is readable again.
      this.subscribed = false;
      this.refusedBoard = true;
      this.replica = new Replica(this.board);
      this.peers.clear();
      this.emit("doc");
    }
  }

  // ------------------------------------------------------------------- edits

  nextCounter = (): number => ++this.counter;

  edit(id: string, type: ObjType, fields: Record<string, unknown>, gesture?: string): Op[] {
    const ops: Op[] = Object.entries(fields).map(([field, value]) => [id, type, field, value, this.nextCounter(), this.wire.clientId]);
    return this.commit(ops, gesture);
  }

  editMany(items: { id: string; type: ObjType; fields: Record<string, unknown> }[]): Op[] {
    const ops: Op[] = items.flatMap(({ id, type, fields }) => Object.entries(fields).map(([field, value]): Op => [id, type, field, value, this.nextCounter(), this.wire.clientId]));
    return this.commit(ops);
  }

  private commit(ops: Op[], gesture?: string): Op[] {
    if (!ops.length || this.gone) return [];
    this.replica.local(ops, gesture);
    this.afterLocal();
    return ops;
  }

  undo(): Op[] {
    const ops = this.replica.undo(this.nextCounter, this.wire.clientId);
    if (ops.length) this.afterLocal();
    return ops;
  }

  redo(): Op[] {
    const ops = this.replica.redo(this.nextCounter, this.wire.clientId);
    if (ops.length) this.afterLocal();
    return ops;
  }

  private afterLocal(): void {
    this.emit("doc");
    this.emit("pending");
    this.saveNow(); // pending edits are written at once: a reload must not lose them
    this.scheduleSend();
  }

  scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    // One batch per task turn, and at most one every 40 ms: a drag sends ~25 positions a
    // second (unsent moves of one actor collapse into the newest, see Replica.local).
    const wait = Math.max(0, SEND_INTERVAL_MS - (Date.now() - this.lastSend));
    this.later(() => {
      this.sendScheduled = false;
      this.sendBatches();
    }, wait);
  }

  private sendBatches(): void {
    const r = this.replica;
    if (!this.wire.ready || !this.subscribed || !r.synced || this.status !== "connected") return;
    if (r.unsent.length) this.lastSend = Date.now();
    for (;;) {
      const ref = this.wire.nextRef();
      const batch = r.takeBatch(ref);
      if (!batch) break;
      this.wire.send(opsMsg(this.board, ref, batch));
    }
  }

  get pending(): number {
    return this.replica.pending;
  }

  /** How many objects have edits not yet acknowledged (what the status shows). */
  get pendingObjects(): number {
    return new Set(this.replica.pendingOps().map((o) => o[0])).size;
  }

  // ----------------------------------------------------------------- presence

  /** Share cursor, selection or a stroke in progress; throttled to ~20 per second (or the
   * hub's presence tick, when it is longer: the hub sends no more often than that). */
  setPresence(data: PresenceData): void {
    // The hub keeps only the latest presence of a connection: always send all of it.
    this.presenceState = { ...this.presenceState, ...data };
    this.presenceQueued = true;
    if (this.presenceTimer) return;
    const wait = Math.max(0, this.wire.presenceEveryMs - (Date.now() - this.lastPresenceSent));
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.flushPresence();
    }, wait);
  }

  private flushPresence(): void {
    if (!this.presenceQueued || this.status !== "connected" || !this.wire.ready) return;
    this.wire.send(presenceMsg(this.board, { ...this.presenceState }));
    this.presenceQueued = false;
    this.lastPresenceSent = Date.now();
  }

  // ------------------------------------------------------------------ storage

  private scheduleSave(): void {
    if (this.saveTimer || !this.opts.store) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveNow();
    }, 1000);
  }

  saveNow = (): void => {
    const store = this.opts.store;
    if (!store || this.gone) return;
    const r = this.replica;
    store.save(this.board, this.wire.clientId, { seq: r.seq, counter: this.counter, doc: [...r.doc.ops()], pending: r.pendingOps() });
  };
}
