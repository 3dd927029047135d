/**
 * One connection to the hub for a whole workshop (facilitator console, plenary screen):
 * the `workshop` state, the hub's clock, facilitator controls, and read-only replicas of
 * many boards over the same socket (the plenary follows up to 50 boards at once).
 * Reuses the core codec and the Replica of sync/; reconnects with backoff and resumes
 * every board from its last seq, like sync/connection.ts does for one board.
 */
import { control, decodeServer, encodeMessage, hello, ping, subscribe, type ClientMessage, type PresenceData, type ServerMessage } from "../core/messages";
import type { Op } from "../core/ops";
import { Replica } from "../sync/replica";
import { HubClock } from "./clock";
import { isNewer, parseState, type WorkshopState } from "./state";

export type LinkStatus = "connecting" | "connected" | "reconnecting" | "failed";
export type LinkEvent = { kind: "state" } | { kind: "status" } | { kind: "board"; board: string } | { kind: "presence"; board: string };

export interface Peer {
  conn: string;
  client: string;
  name: string;
  data: PresenceData;
}

export interface LinkOptions {
  url: string;
  token: string;
  clientId: string;
  name?: string;
  WebSocketImpl?: typeof WebSocket;
  heartbeatMs?: number;
}

export class ControlError extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}

export class WorkshopLink {
  state: WorkshopState | null = null;
  status: LinkStatus = "connecting";
  failure: { code: string; reason: string } | null = null;
  role = "";
  readonly clock = new HubClock();
  readonly replicas = new Map<string, Replica>();
  readonly peers = new Map<string, Map<string, Peer>>();
  private wanted = new Set<string>();
  private subscribed = new Set<string>();
  /** Ops of syncs that come in several frames (`more`), per board, so far. */
  private syncParts = new Map<string, Op[]>();
  private ws: WebSocket | null = null;
  private ref = 0;
  private pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private pings = new Map<number, number>();
  private pingN = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private delay = 250;
  private lastHeard = 0;
  private closed = false;
  private listeners = new Set<(e: LinkEvent) => void>();

  constructor(readonly opts: LinkOptions) {}

  on(fn: (e: LinkEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: LinkEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private setStatus(s: LinkStatus): void {
    if (this.status !== s) {
      this.status = s;
      this.emit({ kind: "status" });
    }
  }

  start(): void {
    this.closed = false;
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws?.close(1000);
    this.ws = null;
    for (const p of this.pending.values()) p.reject(new ControlError("closed", "connection closed"));
    this.pending.clear();
  }

  /** Follow exactly these boards (those this token may read are subscribed). */
  follow(boards: Iterable<string>): void {
    this.wanted = new Set(boards);
    this.syncSubscriptions();
  }

  replica(board: string): Replica | undefined {
    return this.replicas.get(board);
  }

  /** Send a facilitator control; resolves on `done`, rejects with the hub's error. */
  control(action: string, args: Record<string, unknown> = {}): Promise<void> {
    const ref = ++this.ref;
    return new Promise<void>((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== 1 || this.status !== "connected") {
        reject(new ControlError("offline", "not connected to the hub"));
        return;
      }
      this.pending.set(ref, { resolve, reject });
      this.send(control(ref, action, args));
    });
  }

  /** Remaining time etc. are computed against this (the hub's clock, ms). */
  hubNow(): number {
    return this.clock.now();
  }

  // ------------------------------------------------------------------ socket

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
      let msg: ServerMessage;
      try {
        msg = decodeServer(new Uint8Array(ev.data));
      } catch {
        return; // not a frame this client understands: ignore it
      }
      this.handle(msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4401 || ev.code === 4404) {
        this.fail(ev.code === 4404 ? "not_found" : "auth_failed", ev.reason || "refused");
        return;
      }
      this.lost();
      this.scheduleRetry();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private lost(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.subscribed.clear();
    this.syncParts.clear();
    this.peers.clear();
    for (const p of this.pending.values()) p.reject(new ControlError("offline", "the connection dropped; try again"));
    this.pending.clear();
    if (this.status !== "failed") this.setStatus("reconnecting");
  }

  private scheduleRetry(): void {
    if (this.closed || this.status === "failed") return;
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, 5000);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.ws === null) this.connect();
    }, wait);
  }

  private fail(code: string, reason: string): void {
    this.failure = { code, reason };
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws?.close(1000);
    this.ws = null;
    this.setStatus("failed");
  }

  private send(msg: ClientMessage): void {
    if (this.ws && this.ws.readyState === 1) {
      try {
        this.ws.send(encodeMessage(msg));
      } catch {
        /* onclose handles it */
      }
    }
  }

  private sendPing(): void {
    const n = ++this.pingN;
    this.pings.set(n, Date.now());
    if (this.pings.size > 16) this.pings.delete(Math.min(...this.pings.keys()));
    this.send(ping(n));
  }

  private startHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const every = this.opts.heartbeatMs ?? 5000;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > every * 2.5) {
        const ws = this.ws;
        this.ws = null;
        if (ws) {
          ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
          ws.close();
        }
        this.lost();
        this.scheduleRetry();
        return;
      }
      this.sendPing();
    }, every);
  }

  private syncSubscriptions(): void {
    if (!this.ws || this.status !== "connected" || !this.state) return;
    const readable = new Set(this.state.you.readable);
    for (const b of this.wanted) {
      if (this.subscribed.has(b) || !readable.has(b)) continue;
      let r = this.replicas.get(b);
      if (!r) {
        r = new Replica(b);
        this.replicas.set(b, r);
      }
      this.subscribed.add(b);
      this.send(subscribe(b, r.seq, ++this.ref));
    }
    for (const b of [...this.subscribed]) {
      if (!this.wanted.has(b) || !readable.has(b)) {
        this.subscribed.delete(b);
        if (readable.has(b)) this.send({ t: "unsubscribe", board: b });
        this.peers.delete(b);
      }
    }
  }

  private handle(msg: ServerMessage): void {
    switch (msg.t) {
      case "welcome":
        this.role = msg.role;
        this.delay = 250;
        this.clock.sample(msg.time, Date.now(), Date.now());
        this.setStatus("connected");
        this.startHeartbeat();
        this.sendPing();
        return;
      case "workshop": {
        const next = parseState(msg.state);
        if (!isNewer(next, this.state)) return;
        this.state = next;
        this.syncSubscriptions();
        this.emit({ kind: "state" });
        return;
      }
      case "pong": {
        const sent = this.pings.get(msg.n);
        this.pings.delete(msg.n);
        const now = Date.now();
        this.clock.sample(msg.time, sent ?? now, now);
        return;
      }
      case "sync": {
        const r = this.replicas.get(msg.board);
        if (!r || !this.subscribed.has(msg.board)) return;
        const parts = this.syncParts.get(msg.board) ?? [];
        if (msg.more) {
          this.syncParts.set(msg.board, [...parts, ...msg.ops]); // more frames follow
          return;
        }
        this.syncParts.delete(msg.board);
        r.onSync(msg.seq, msg.full, parts.length ? [...parts, ...msg.ops] : msg.ops);
        this.emit({ kind: "board", board: msg.board });
        return;
      }
      case "update": {
        const r = this.replicas.get(msg.board);
        if (!r || !this.subscribed.has(msg.board)) return;
        if (r.onUpdate(msg.seq, msg.ops).length) this.emit({ kind: "board", board: msg.board });
        return;
      }
      case "presence": {
        let m = this.peers.get(msg.board);
        if (!m) this.peers.set(msg.board, (m = new Map()));
        m.set(msg.conn, { conn: msg.conn, client: msg.client, name: msg.name, data: msg.data });
        this.emit({ kind: "presence", board: msg.board });
        return;
      }
      case "leave":
        if (this.peers.get(msg.board)?.delete(msg.conn)) this.emit({ kind: "presence", board: msg.board });
        return;
      case "error": {
        if (msg.code === "auth_failed") {
          this.fail(msg.code, msg.reason);
          return;
        }
        const p = msg.ref !== null ? this.pending.get(msg.ref) : undefined;
        if (p && msg.ref !== null) {
          this.pending.delete(msg.ref);
          p.reject(new ControlError(msg.code, msg.reason));
          return;
        }
        if (msg.board && msg.code === "store_unavailable" && this.subscribed.delete(msg.board)) {
          setTimeout(() => this.syncSubscriptions(), 500); // ask for that board again
          return;
        }
        if (msg.board && msg.code === "forbidden") {
          // A board taken away (e.g. a reveal withdrawn): forget it until it is readable again.
          this.subscribed.delete(msg.board);
          this.replicas.delete(msg.board);
          this.peers.delete(msg.board);
          this.emit({ kind: "board", board: msg.board });
        }
        return;
      }
      case "done":
        this.done(msg.ref);
        return;
      case "ack":
        return;
    }
  }

  private done(ref: number): void {
    const p = this.pending.get(ref);
    this.pending.delete(ref);
    p?.resolve();
  }
}
