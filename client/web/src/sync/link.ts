/**
 * The page's one connection to the hub, for any number of boards (the protocol allows 64
 * per connection): connect and `hello`, close codes, reconnecting with backoff, the
 * heartbeat (which also reads the hub's clock), facilitator controls, and the boards
 * (sync/channel.ts), each subscribed when it may be read and resumed from its last seq
 * after a reconnect. The tablet, the facilitator console, the plenary screen and the
 * analysis page all talk to the hub through one of these; a second board on a page (a
 * partner's map, the spotlit map) is one more subscription, never a second socket.
 * Same behaviour as client/python/schakel_client/client.py.
 */
import { control, decodeFrame, encodeMessage, hello, ping, type ClientMessage, type ServerMessage, type Welcome } from "../core/messages";
import { BoardChannel, type ChannelOptions, type Status, type Wire } from "./channel";

export type { Status } from "./channel";

export interface LinkOptions {
  url: string;
  token: string;
  clientId: string;
  name?: string;
  /** For tests: a WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket;
  /** First and longest wait before reconnecting (ms); each failed try doubles it. */
  backoffMs?: [number, number];
  heartbeatMs?: number;
  /** Readings of the hub's clock (welcome, pongs) go here. */
  clock?: { sample(hubTime: number, sentAt: number, receivedAt: number): unknown };
  /** How to reload the page's code after close 4426 (default: this tab's sessionStorage
   * and `location.reload`); null: never reload, say so instead. */
  reload?: Reload | null;
}

/** Reloading the page's code when the hub speaks another protocol version (close 4426). */
export interface Reload {
  storage: Pick<Storage, "getItem" | "setItem"> | null;
  reload(): void;
}

/** At most one reload per this long: a mis-deployed hub must not make the page reload in a loop. */
export const RELOAD_GUARD_MS = 30_000;
const RELOAD_KEY = "schakel.reloadedForVersion";

/**
 * Reload unless this tab already did so in the last RELOAD_GUARD_MS (remembered in its
 * sessionStorage; without storage there is no guard, so no reload). True: reloading.
 */
export function reloadOnce(r: Reload, now: number): boolean {
  if (!r.storage) return false;
  try {
    const last = Number(r.storage.getItem(RELOAD_KEY) ?? "");
    if (Number.isFinite(last) && last > 0 && now - last < RELOAD_GUARD_MS && now >= last) return false;
    r.storage.setItem(RELOAD_KEY, String(now));
  } catch {
    return false;
  }
  r.reload();
  return true;
}

function browserReload(): Reload | null {
  if (typeof window === "undefined" || typeof location === "undefined") return null;
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    /* no storage: no guard */
  }
  return { storage, reload: () => location.reload() };
}

export class ControlError extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}

const FATAL_CODES = new Set(["auth_failed"]);
const PRESENCE_MIN_MS = 50;

export class HubLink implements Wire {
  status: Status = "connecting";
  failure: { code: string; reason: string } | null = null;
  welcome: Welcome | null = null;
  readonly boards = new Map<string, BoardChannel>();
  /** Boards this token may read and write now (welcome, then every `workshop` event). */
  private readable = new Set<string>();
  private writableSet = new Set<string>();
  private ws: WebSocket | null = null;
  private ref = 0;
  private controls = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private pings = new Map<number, number>();
  private pingN = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private delay: number;
  private lastHeard = 0;
  private closed = false;
  private statusListeners = new Set<() => void>();
  private messageListeners = new Set<(msg: ServerMessage) => void>();

  constructor(readonly opts: LinkOptions) {
    this.delay = this.backoff[0];
  }

  get clientId(): string {
    return this.opts.clientId;
  }

  private get backoff(): [number, number] {
    return this.opts.backoffMs ?? [250, 5000];
  }

  get ready(): boolean {
    return this.ws !== null && this.ws.readyState === 1 && this.welcome !== null && this.status === "connected";
  }

  /** Presence goes out at most every 50 ms, or every presence tick of the hub (v2:
   * `welcome.limits.presenceTickMs`) when that is longer (bounded to a second). */
  get presenceEveryMs(): number {
    const tick = this.welcome?.limits.presenceTickMs;
    return typeof tick === "number" && Number.isFinite(tick) ? Math.min(1000, Math.max(PRESENCE_MIN_MS, tick)) : PRESENCE_MIN_MS;
  }

  /** The link's status changed (connected means: welcomed). */
  onStatus(fn: () => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** Every hub message after it was handled (the workshop bar reads `workshop` and `pong`). */
  onMessage(fn: (msg: ServerMessage) => void): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }

  private setStatus(s: Status): void {
    if (this.status !== s) {
      this.status = s;
      for (const fn of this.statusListeners) fn();
    }
  }

  isWritable(board: string): boolean {
    return this.welcome === null || this.writableSet.has(board);
  }

  // ------------------------------------------------------------------- boards

  /** Open a board on this link (or share one open already): subscribed when readable. */
  open(board: string, opts: ChannelOptions = {}): BoardChannel {
    let ch = this.boards.get(board);
    if (!ch) {
      ch = new BoardChannel(board, this, opts);
      this.boards.set(board, ch);
      if (this.status === "failed" && this.failure) ch.fail(this.failure.code, this.failure.reason);
      else if (this.status === "reconnecting" || this.status === "offline") ch.setStatus(this.status);
    }
    ch.users++;
    this.syncBoards();
    return ch;
  }

  /** A page no longer shows the board: when nobody does, it is unsubscribed and forgotten. */
  release(board: string): void {
    const ch = this.boards.get(board);
    if (!ch || --ch.users > 0) return;
    this.boards.delete(board);
    if (ch.subscribed && this.ready) this.send({ t: "unsubscribe", board });
    ch.dispose();
  }

  /** Subscribe every open board that may be read and is not yet; drop those that may not. */
  private syncBoards(): void {
    if (!this.ready) return;
    for (const ch of this.boards.values()) {
      if (ch.status === "failed") continue;
      const may = this.readable.has(ch.board);
      if (!may && ch.opts.strict) ch.fail("forbidden", `board ${ch.board} is not open to you`);
      else if (may && !ch.subscribed) ch.subscribe();
      else if (!may && ch.subscribed) {
        // No longer readable (the hub dropped the subscription): wait until it is again.
        ch.lost(false);
        ch.refusedBoard = true;
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    this.closed = false;
    this.connect();
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      window.addEventListener("offline", this.onOffline);
      window.addEventListener("pagehide", this.saveAll);
    }
  }

  close(): void {
    this.closed = true;
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      window.removeEventListener("offline", this.onOffline);
      window.removeEventListener("pagehide", this.saveAll);
    }
    this.stopHeartbeat();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.ws?.close(1000);
    this.ws = null;
    for (const ch of this.boards.values()) ch.dispose();
    this.rejectControls("closed", "connection closed");
  }

  saveAll = (): void => {
    for (const ch of this.boards.values()) ch.saveNow();
  };

  private onOnline = (): void => {
    if (this.ws === null && !this.closed && this.status !== "failed") {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.delay = this.backoff[0];
      this.connect();
    }
  };

  private onOffline = (): void => {
    // The browser knows the network is gone: do not wait for the heartbeat.
    this.drop();
  };

  /** Give up on the socket (no close handshake) and reconnect later. */
  private drop(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
    ws.close();
    this.lost();
    this.scheduleRetry();
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
      this.send(hello(this.opts.token, this.opts.clientId, (this.opts.name ?? "").slice(0, 40)));
    };
    ws.onmessage = (ev: MessageEvent) => {
      this.lastHeard = Date.now();
      if (!(ev.data instanceof ArrayBuffer)) return;
      let messages: ServerMessage[];
      try {
        // A hub frame holds one or more messages (all of one tick), handled in order.
        messages = decodeFrame(new Uint8Array(ev.data)).messages;
      } catch {
        // Bytes that are not whole messages: what the boards hold can no longer be
        // trusted to follow the hub's order. Start over (reconnect and resume).
        this.drop();
        return;
      }
      for (const msg of messages) {
        if (this.ws !== ws) return; // the socket was given up on while handling the frame
        this.handle(msg);
        for (const fn of this.messageListeners) fn(msg);
      }
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
      if (ev.code === 4426) {
        this.versionMismatch(ev.reason || "the hub speaks another protocol version");
        return;
      }
      this.lost();
      this.scheduleRetry();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private offlineNow(): boolean {
    return typeof navigator !== "undefined" && navigator.onLine === false;
  }

  private lost(): void {
    this.stopHeartbeat();
    this.welcome = null;
    const offline = this.offlineNow();
    for (const ch of this.boards.values()) ch.lost(offline);
    this.rejectControls("offline", "the connection dropped; try again");
    if (this.status !== "failed") this.setStatus(offline ? "offline" : "reconnecting");
  }

  private scheduleRetry(): void {
    if (this.closed || this.status === "failed" || this.retryTimer) return;
    if (this.status === "connecting") this.setStatus("reconnecting");
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, this.backoff[1]);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.ws === null) this.connect();
    }, wait);
  }

  private fail(code: string, reason: string): void {
    this.failure = { code, reason };
    this.closed = true;
    this.stopHeartbeat();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.rejectControls(code, reason);
    for (const ch of this.boards.values()) if (ch.status !== "failed") ch.fail(code, reason);
    this.setStatus("failed");
  }

  /**
   * Close 4426: the hub speaks another protocol version, so this page's code is out of
   * date. Unacknowledged batches go to the offline storage (they are sent again after the
   * reload: ops are idempotent) and the page reloads, at most once per RELOAD_GUARD_MS;
   * otherwise the link stops with `version_mismatch` (the page says: reload).
   */
  private versionMismatch(reason: string): void {
    for (const ch of this.boards.values()) {
      ch.replica.requeueInflight();
      ch.saveNow();
    }
    const r = this.opts.reload === undefined ? browserReload() : this.opts.reload;
    if (r && reloadOnce(r, Date.now())) {
      this.closed = true;
      this.stopHeartbeat();
      return;
    }
    this.fail("version_mismatch", reason);
  }

  /** The workshop was deleted or has ended: every board of it is erased from this device. */
  private workshopGone(reason: string): void {
    for (const ch of this.boards.values()) ch.wipe(reason);
    this.fail("not_found", reason);
  }

  private rejectControls(code: string, reason: string): void {
    for (const p of this.controls.values()) p.reject(new ControlError(code, reason));
    this.controls.clear();
  }

  // ---------------------------------------------------------------- heartbeat

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const every = this.opts.heartbeatMs ?? 5000;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > every * 2.5) {
        this.drop(); // a silent socket (Wi-Fi gone without a close): reconnect
        return;
      }
      this.sendPing();
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private sendPing(): void {
    const n = ++this.pingN;
    this.pings.set(n, Date.now());
    if (this.pings.size > 16) this.pings.delete(Math.min(...this.pings.keys()));
    this.send(ping(n));
  }

  // ------------------------------------------------------------------ sending

  nextRef(): number {
    return ++this.ref;
  }

  send(msg: ClientMessage): void {
    if (this.ws && this.ws.readyState === 1) {
      try {
        this.ws.send(encodeMessage(msg));
      } catch {
        /* the close handler will requeue */
      }
    }
  }

  /** Send a facilitator control; resolves on `done`, rejects with the hub's error. */
  control(action: string, args: Record<string, unknown> = {}): Promise<void> {
    const ref = this.nextRef();
    return new Promise<void>((resolve, reject) => {
      if (!this.ready) {
        reject(new ControlError("offline", "not connected to the hub"));
        return;
      }
      this.controls.set(ref, { resolve, reject });
      this.send(control(ref, action, args));
    });
  }

  // ---------------------------------------------------------------- receiving

  private handle(msg: ServerMessage): void {
    switch (msg.t) {
      case "welcome": {
        const now = Date.now();
        this.welcome = msg;
        this.readable = new Set(msg.boards);
        this.writableSet = new Set(msg.writable);
        this.delay = this.backoff[0];
        this.opts.clock?.sample(msg.time, now, now);
        this.setStatus("connected");
        this.startHeartbeat();
        this.sendPing();
        this.syncBoards();
        return;
      }
      case "workshop": {
        // The hub re-decides access at every change (lock, next part, reveal).
        const you = msg.state.you as { readable?: unknown; writable?: unknown } | undefined;
        if (Array.isArray(you?.readable)) this.readable = new Set(you.readable as string[]);
        if (Array.isArray(you?.writable)) this.writableSet = new Set(you.writable as string[]);
        this.syncBoards();
        for (const ch of this.boards.values()) ch.emit("access");
        return;
      }
      case "pong": {
        const sent = this.pings.get(msg.n);
        this.pings.delete(msg.n);
        const now = Date.now();
        this.opts.clock?.sample(msg.time, sent ?? now, now);
        return;
      }
      case "sync":
        this.boards.get(msg.board)?.onSync(msg.seq, msg.full, msg.ops, msg.more === true);
        return;
      case "update":
        this.boards.get(msg.board)?.onUpdate(msg.from, msg.seq, msg.ops);
        return;
      case "ack":
        this.boards.get(msg.board)?.onAck(msg);
        return;
      case "presence":
        this.boards.get(msg.board)?.onPresence(msg);
        return;
      case "leave":
        this.boards.get(msg.board)?.onLeave(msg.conn);
        return;
      case "done": {
        const p = this.controls.get(msg.ref);
        this.controls.delete(msg.ref);
        p?.resolve();
        return;
      }
      case "error":
        this.onError(msg.code, msg.reason, msg.ref, msg.board);
        return;
    }
  }

  private onError(code: string, reason: string, ref: number | null, board: string | null): void {
    if (FATAL_CODES.has(code)) {
      this.fail(code, reason); // (the close 4401 follows)
      return;
    }
    if (ref !== null) {
      const p = this.controls.get(ref);
      if (p) {
        this.controls.delete(ref);
        p.reject(new ControlError(code, reason));
        return;
      }
    } else if (code === "not_found" && board === null) {
      this.workshopGone(reason); // (the close 4404 follows)
      return;
    }
    const ch = (board !== null ? this.boards.get(board) : undefined) ?? (ref !== null ? [...this.boards.values()].find((c) => c.owns(ref)) : undefined);
    ch?.onError(code, reason, ref);
  }
}
