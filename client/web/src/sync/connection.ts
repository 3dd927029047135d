/**
 * The connection to the hub for one board: hello, subscribe, batches of own ops, acks,
 * presence, and reconnecting with backoff (resume from the last seq, resend what was not
 * acknowledged). Same behaviour as client/python/schakel_client/client.py.
 */
import { decodeServer, encodeMessage, hello, opsMsg, ping, presenceMsg, subscribe, type ClientMessage, type PresenceData, type PresenceOut, type ServerMessage, type Welcome } from "../core/messages";
import type { Op } from "../core/ops";
import type { ObjType } from "../core/schema";
import { OfflineStore } from "./offline";
import { Replica } from "./replica";

export type Status = "connecting" | "connected" | "reconnecting" | "offline" | "failed";

const SEND_INTERVAL_MS = 40;
const RETRY_CODES = new Set(["store_unavailable", "rate_limited"]);
const FATAL_CODES = new Set(["auth_failed"]);

export interface Peer {
  conn: string;
  client: string;
  name: string;
  data: PresenceData;
  seen: number;
}

export interface ConnectionOptions {
  url: string;
  token: string;
  board: string;
  clientId: string;
  name: string;
  store?: OfflineStore;
  /** For tests: a WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket;
  backoffMs?: [number, number];
  heartbeatMs?: number;
}

export type ChangeKind = "doc" | "status" | "presence" | "pending" | "access" | "moved";

export class BoardConnection {
  readonly replica: Replica;
  readonly peers = new Map<string, Peer>();
  status: Status = "connecting";
  failure: { code: string; reason: string } | null = null;
  welcome: Welcome | null = null;
  /** The board the workshop moved us to (`workshop.state.you.board`), if another. */
  movedTo: string | null = null;
  counter = 0;
  private ws: WebSocket | null = null;
  private ref = 0;
  private sendScheduled = false;
  private lastSend = 0;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private delay: number;
  private closed = false;
  private listeners = new Set<(kind: ChangeKind) => void>();
  private messageListeners = new Set<(msg: ServerMessage) => void>();
  private presenceQueued = false;
  private presenceState: PresenceData = { sel: [] };
  private presenceTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPresenceSent = 0;
  /** Ops of a sync that comes in several frames (`more`), so far. */
  private syncParts: Op[] = [];
  /** The ref of the last subscribe sent (a refusal to retry names it). */
  private subscribeRef = 0;
  /** The workshop is gone: nothing of it is kept on this device any more. */
  private gone = false;

  constructor(readonly opts: ConnectionOptions) {
    this.replica = new Replica(opts.board);
    this.delay = (opts.backoffMs ?? [250, 5000])[0];
    const saved = opts.store?.load(opts.board, opts.clientId);
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

  // ------------------------------------------------------------------- events

  on(fn: (kind: ChangeKind) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Every hub message after it was handled (the workshop bar reads `workshop` and `pong`). */
  onMessage(fn: (msg: ServerMessage) => void): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }

  private emit(kind: ChangeKind): void {
    for (const fn of this.listeners) fn(kind);
  }

  private setStatus(s: Status): void {
    if (this.status !== s) {
      this.status = s;
      this.emit("status");
    }
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    this.closed = false;
    this.connect();
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      window.addEventListener("offline", this.onOffline);
      window.addEventListener("pagehide", this.saveNow);
    }
  }

  close(): void {
    this.closed = true;
    this.saveNow();
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      window.removeEventListener("offline", this.onOffline);
      window.removeEventListener("pagehide", this.saveNow);
    }
    this.stopHeartbeat();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000);
    this.ws = null;
  }

  private onOnline = (): void => {
    if (this.ws === null && !this.closed && this.status !== "failed") {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.delay = (this.opts.backoffMs ?? [250, 5000])[0];
      this.connect();
    }
  };

  private onOffline = (): void => {
    // The browser knows the network is gone: do not wait for the heartbeat.
    this.drop();
    this.setStatus("offline");
  };

  private drop(): void {
    const ws = this.ws;
    if (ws) {
      this.ws = null;
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      ws.close();
      this.lost();
    }
  }

  private connect(): void {
    if (this.closed) return;
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(this.opts.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      this.sendNow(hello(this.opts.token, this.opts.clientId, this.opts.name.slice(0, 40)));
    };
    ws.onmessage = (ev: MessageEvent) => {
      this.lastHeard = Date.now();
      if (!(ev.data instanceof ArrayBuffer)) return;
      let msg: ServerMessage;
      try {
        msg = decodeServer(new Uint8Array(ev.data));
      } catch {
        return;
      }
      this.handle(msg);
      for (const fn of this.messageListeners) fn(msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4404) {
        this.workshopGone(ev.reason || "the workshop is gone");
        return;
      }
      if (ev.code === 4401) {
        this.fail("auth_failed", ev.reason || "refused");
        return;
      }
      this.lost();
      this.scheduleRetry();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  /**
   * The workshop was deleted or has ended: its maps and pending edits are erased from
   * this device (every board of it), and nothing more is queued or saved.
   */
  private workshopGone(reason: string): void {
    this.gone = true;
    this.opts.store?.clearWorkshop(this.replica.board.split(":", 1)[0]!);
    this.replica.unsent = [];
    this.replica.inflight.clear();
    this.fail("not_found", reason);
    this.emit("pending");
    this.emit("doc");
  }

  private lost(): void {
    this.syncParts = [];
    this.stopHeartbeat();
    this.welcome = null;
    this.replica.requeueInflight();
    this.replica.synced = false;
    this.peers.clear();
    this.emit("presence");
    if (this.status !== "failed") this.setStatus(typeof navigator !== "undefined" && navigator.onLine === false ? "offline" : "reconnecting");
  }

  private scheduleRetry(): void {
    if (this.closed || this.status === "failed") return;
    if (this.status === "connecting") this.setStatus("reconnecting");
    const [, max] = this.opts.backoffMs ?? [250, 5000];
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, max);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.ws === null) this.connect();
    }, wait);
  }

  private fail(code: string, reason: string): void {
    this.failure = { code, reason };
    this.setStatus("failed");
    this.closed = true;
    this.stopHeartbeat();
    this.ws?.close(1000);
    this.ws = null;
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const every = this.opts.heartbeatMs ?? 5000;
    let n = 0;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > every * 2.5) {
        // Silent socket (Wi-Fi gone without a close): give up on it and reconnect.
        this.drop();
        this.scheduleRetry();
        return;
      }
      this.sendNow(ping(++n));
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // ---------------------------------------------------------------- receiving

  private see(ops: Op[]): void {
    for (const op of ops) if (op[4] > this.counter) this.counter = op[4];
  }

  private handle(msg: ServerMessage): void {
    const r = this.replica;
    switch (msg.t) {
      case "welcome":
        this.welcome = msg;
        this.delay = (this.opts.backoffMs ?? [250, 5000])[0];
        this.startHeartbeat();
        if (!msg.boards.includes(r.board)) {
          this.fail("forbidden", `board ${r.board} is not open to you`);
          return;
        }
        this.subscribeRef = this.nextRef();
        this.sendNow(subscribe(r.board, r.seq, this.subscribeRef));
        return;
      case "sync":
        if (msg.board !== r.board) return;
        this.see(msg.ops);
        if (msg.more) {
          this.syncParts.push(...msg.ops); // a large board: more frames of this sync follow
          return;
        }
        r.onSync(msg.seq, msg.full, this.syncParts.length ? [...this.syncParts, ...msg.ops] : msg.ops);
        this.syncParts = [];
        this.setStatus("connected");
        this.emit("doc");
        this.scheduleSave();
        this.scheduleSend();
        // Announce ourselves (again, after a reconnect): the hub replays presence to others.
        this.presenceQueued = true;
        this.flushPresence();
        return;
      case "update": {
        if (msg.board !== r.board) return;
        this.see(msg.ops);
        const fresh = r.onUpdate(msg.seq, msg.ops);
        if (fresh.length) this.emit("doc");
        this.scheduleSave();
        return;
      }
      case "ack":
        if (msg.board !== r.board) return;
        r.acked(msg.ref);
        this.emit("pending");
        this.scheduleSave();
        return;
      case "presence":
        if (msg.board !== r.board) return;
        this.onPresence(msg);
        return;
      case "leave":
        if (this.peers.delete(msg.conn)) this.emit("presence");
        return;
      case "error":
        this.onError(msg.code, msg.reason, msg.ref);
        return;
      case "workshop": {
        // The hub re-decides access at every change (lock, next part): keep `writable` true.
        const you = msg.state.you as { writable?: unknown } | undefined;
        if (this.welcome && Array.isArray(you?.writable)) this.welcome.writable = you.writable as string[];
        this.emit("access");
        // A new part may move us to another board (individual, pair): follow it.
        const next = (msg.state.you as { board?: unknown } | undefined)?.board;
        if (typeof next === "string" && next !== r.board) this.movedTo = next;
        if (this.movedTo) this.emit("moved");
        return;
      }
      case "pong":
      case "done":
        return;
    }
  }

  private onPresence(msg: PresenceOut): void {
    this.peers.set(msg.conn, { conn: msg.conn, client: msg.client, name: msg.name, data: msg.data, seen: Date.now() });
    this.emit("presence");
  }

  private onError(code: string, reason: string, ref: number | null): void {
    if (FATAL_CODES.has(code)) {
      this.fail(code, reason);
      return;
    }
    if (code === "not_found" && ref === null) {
      this.workshopGone(reason); // (the close 4404 follows)
      return;
    }
    if (ref === null) return;
    const r = this.replica;
    if (ref === this.subscribeRef && RETRY_CODES.has(code)) {
      // The store is away for a moment: ask for the board again, a little later.
      setTimeout(() => {
        if (this.ws && !r.synced && this.status !== "failed") {
          this.subscribeRef = this.nextRef();
          this.sendNow(subscribe(r.board, r.seq, this.subscribeRef));
        }
      }, 500);
      return;
    }
    if (r.inflight.has(ref)) {
      if (RETRY_CODES.has(code)) {
        r.requeueInflight();
        setTimeout(() => this.scheduleSend(), 500);
      } else {
        // Refused for good: drop the batch and rebuild from the hub's state, so the
        // screen never shows an edit nobody else will see.
        r.refused(ref);
        r.seq = 0;
        this.sendNow(subscribe(r.board, 0, this.nextRef()));
        this.emit("pending");
      }
    } else if (code === "forbidden" || code === "not_found") {
      this.fail(code, reason);
    }
  }

  // ------------------------------------------------------------------ sending

  private nextRef(): number {
    return ++this.ref;
  }

  nextCounter = (): number => ++this.counter;

  get clientId(): string {
    return this.opts.clientId;
  }

  get writable(): boolean {
    if (this.status === "failed") return false;
    return this.welcome === null || this.welcome.writable.includes(this.replica.board);
  }

  /** Set fields of one object (creating it if new): applied at once, sent soon. */
  edit(id: string, type: ObjType, fields: Record<string, unknown>, gesture?: string): Op[] {
    const ops: Op[] = Object.entries(fields).map(([field, value]) => [id, type, field, value, this.nextCounter(), this.opts.clientId]);
    return this.commit(ops, gesture);
  }

  /** Several objects in one undoable step. */
  editMany(items: { id: string; type: ObjType; fields: Record<string, unknown> }[]): Op[] {
    const ops: Op[] = items.flatMap(({ id, type, fields }) => Object.entries(fields).map(([field, value]): Op => [id, type, field, value, this.nextCounter(), this.opts.clientId]));
    return this.commit(ops);
  }

  private commit(ops: Op[], gesture?: string): Op[] {
    if (!ops.length || this.gone) return [];
    this.replica.local(ops, gesture);
    this.afterLocal();
    return ops;
  }

  undo(): Op[] {
    const ops = this.replica.undo(this.nextCounter, this.opts.clientId);
    if (ops.length) this.afterLocal();
    return ops;
  }

  redo(): Op[] {
    const ops = this.replica.redo(this.nextCounter, this.opts.clientId);
    if (ops.length) this.afterLocal();
    return ops;
  }

  private afterLocal(): void {
    this.emit("doc");
    this.emit("pending");
    this.saveNow(); // pending edits are written at once: a reload must not lose them
    this.scheduleSend();
  }

  private scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    // One batch per task turn, and at most one every 40 ms: a drag sends ~25 positions a
    // second (unsent moves of one actor collapse into the newest, see Replica.local).
    const wait = Math.max(0, SEND_INTERVAL_MS - (Date.now() - this.lastSend));
    setTimeout(() => {
      this.sendScheduled = false;
      this.sendBatches();
    }, wait);
  }

  private sendBatches(): void {
    const r = this.replica;
    if (!this.ws || this.ws.readyState !== 1 || !r.synced || this.status !== "connected") return;
    if (r.unsent.length) this.lastSend = Date.now();
    for (;;) {
      const ref = this.nextRef();
      const batch = r.takeBatch(ref);
      if (!batch) break;
      this.sendNow(opsMsg(r.board, ref, batch));
    }
  }

  private sendNow(msg: ClientMessage): void {
    if (this.ws && this.ws.readyState === 1) {
      try {
        this.ws.send(encodeMessage(msg));
      } catch {
        /* the close handler will requeue */
      }
    }
  }

  // ----------------------------------------------------------------- presence

  /** Share cursor, selection or a stroke in progress; throttled to ~20 per second. */
  setPresence(data: PresenceData): void {
    // The hub keeps only the latest presence of a connection: always send all of it.
    this.presenceState = { ...this.presenceState, ...data };
    this.presenceQueued = true;
    if (this.presenceTimer) return;
    const wait = Math.max(0, 50 - (Date.now() - this.lastPresenceSent));
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.flushPresence();
    }, wait);
  }

  private flushPresence(): void {
    if (!this.presenceQueued || this.status !== "connected") return;
    this.sendNow(presenceMsg(this.replica.board, { ...this.presenceState }));
    this.presenceQueued = false;
    this.lastPresenceSent = Date.now();
  }

  // ------------------------------------------------------------------ storage

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveNow();
    }, 1000);
  }

  saveNow = (): void => {
    const store = this.opts.store;
    if (!store || this.gone) return;
    const r = this.replica;
    store.save(r.board, this.opts.clientId, { seq: r.seq, counter: this.counter, doc: [...r.doc.ops()], pending: r.pendingOps() });
  };

  get pending(): number {
    return this.replica.pending;
  }

  /** How many objects have edits not yet acknowledged (what the status shows). */
  get pendingObjects(): number {
    return new Set(this.replica.pendingOps().map((o) => o[0])).size;
  }
}
