/**
 * The tablet's board: the page's link to the hub (sync/link.ts) with the board one draws
 * on open, kept on this device (sync/offline.ts) across a dropped socket and a reload.
 * Other boards the page shows (a partner's map, the spotlit map) are opened on the same
 * link (`link.open`), never on a second socket.
 */
import type { PresenceData, ServerMessage, Welcome } from "../core/messages";
import type { Op } from "../core/ops";
import type { ObjType } from "../core/schema";
import type { BoardChannel, ChangeKind, Peer, Status } from "./channel";
import { HubLink, type Reload } from "./link";
import type { OfflineStore } from "./offline";
import type { Replica } from "./replica";

export type { ChangeKind, Peer, Status } from "./channel";

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
  /** For tests: how the page reloads after close 4426 (see HubLink). */
  reload?: Reload | null;
}

export class BoardConnection {
  readonly link: HubLink;
  readonly board: BoardChannel;
  /** The board the workshop moved us to (`workshop.state.you.board`), if another. */
  movedTo: string | null = null;

  constructor(readonly opts: ConnectionOptions) {
    this.link = new HubLink({ url: opts.url, token: opts.token, clientId: opts.clientId, name: opts.name, WebSocketImpl: opts.WebSocketImpl, backoffMs: opts.backoffMs, heartbeatMs: opts.heartbeatMs, reload: opts.reload });
    this.board = this.link.open(opts.board, { store: opts.store, strict: true, announce: true });
    this.link.onMessage((msg) => {
      if (msg.t !== "workshop") return;
      // A new part may move us to another board (individual, pair): follow it.
      const next = (msg.state.you as { board?: unknown } | undefined)?.board;
      if (typeof next === "string" && next !== opts.board) this.movedTo = next;
      if (this.movedTo) this.board.emit("moved");
    });
  }

  on(fn: (kind: ChangeKind) => void): () => void {
    return this.board.on(fn);
  }

  /** Every hub message after it was handled (the workshop bar reads `workshop` and `pong`). */
  onMessage(fn: (msg: ServerMessage) => void): () => void {
    return this.link.onMessage(fn);
  }

  start(): void {
    this.link.start();
  }

  close(): void {
    this.link.close();
  }

  get replica(): Replica {
    return this.board.replica;
  }

  get peers(): Map<string, Peer> {
    return this.board.peers;
  }

  get status(): Status {
    return this.board.status;
  }

  get failure(): { code: string; reason: string } | null {
    return this.board.failure;
  }

  get welcome(): Welcome | null {
    return this.link.welcome;
  }

  get counter(): number {
    return this.board.counter;
  }

  get clientId(): string {
    return this.opts.clientId;
  }

  get writable(): boolean {
    return this.board.status !== "failed" && this.link.isWritable(this.opts.board);
  }

  nextCounter = (): number => this.board.nextCounter();

  /** Set fields of one object (creating it if new): applied at once, sent soon. */
  edit(id: string, type: ObjType, fields: Record<string, unknown>, gesture?: string): Op[] {
    return this.board.edit(id, type, fields, gesture);
  }

  /** Several objects in one undoable step. */
  editMany(items: { id: string; type: ObjType; fields: Record<string, unknown> }[]): Op[] {
    return this.board.editMany(items);
  }

  undo(): Op[] {
    return this.board.undo();
  }

  redo(): Op[] {
    return this.board.redo();
  }

  /** Share cursor, selection or a stroke in progress; throttled to ~20 per second. */
  setPresence(data: PresenceData): void {
    this.board.setPresence(data);
  }

  saveNow = (): void => this.board.saveNow();

  get pending(): number {
    return this.board.pending;
  }

  /** How many objects have edits not yet acknowledged (what the status shows). */
  get pendingObjects(): number {
    return this.board.pendingObjects;
  }
}
