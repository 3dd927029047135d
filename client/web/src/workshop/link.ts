/**
 * The workshop side of the page's one connection (facilitator console, plenary screen,
 * analysis page): the `workshop` state, the hub's clock, facilitator controls, and
 * read-only replicas of the boards it follows (the plenary follows up to 50 at once), all
 * on one HubLink (sync/link.ts), which reconnects and resumes every board.
 */
import type { BoardChannel, Peer } from "../sync/channel";
import { HubLink, type LinkOptions as HubLinkOptions } from "../sync/link";
import type { Replica } from "../sync/replica";
import { HubClock } from "./clock";
import { wt } from "./i18n";
import { isNewer, parseState, type WorkshopState } from "./state";

export { ControlError } from "../sync/link";

export type LinkStatus = "connecting" | "connected" | "reconnecting" | "failed";
export type LinkEvent = { kind: "state" } | { kind: "status" } | { kind: "board"; board: string } | { kind: "presence"; board: string };

export type { Peer } from "../sync/channel";

/** As the HubLink's; the clock is the workshop's own (`clock`). */
export type LinkOptions = Omit<HubLinkOptions, "clock">;

/** Why a workshop screen is not connected, in the screen's language (`deleted`: say so
 * when the workshop is gone). */
export function failureText(failure: { code: string; reason: string } | null, deleted = false): string {
  if (deleted && failure?.code === "not_found") return wt("console.deleted");
  if (failure?.code === "version_mismatch") return wt("console.updated"); // close 4426, reloaded lately
  return wt("console.failed", { reason: failure?.reason ?? "" });
}

export class WorkshopLink {
  state: WorkshopState | null = null;
  readonly clock = new HubClock();
  readonly hub: HubLink;
  private listeners = new Set<(e: LinkEvent) => void>();

  constructor(readonly opts: LinkOptions) {
    this.hub = new HubLink({ ...opts, clock: this.clock });
    this.hub.onStatus(() => this.emit({ kind: "status" }));
    this.hub.onMessage((msg) => {
      if (msg.t !== "workshop") return;
      const next = parseState(msg.state);
      if (!isNewer(next, this.state)) return;
      this.state = next;
      this.emit({ kind: "state" });
    });
  }

  get status(): LinkStatus {
    const s = this.hub.status;
    return s === "offline" ? "reconnecting" : s;
  }

  get failure(): { code: string; reason: string } | null {
    return this.hub.failure;
  }

  get role(): string {
    return this.hub.welcome?.role ?? "";
  }

  /** Each followed board's people, by board. */
  get peers(): Map<string, Map<string, Peer>> {
    const out = new Map<string, Map<string, Peer>>();
    for (const [b, ch] of this.hub.boards) if (ch.peers.size) out.set(b, ch.peers);
    return out;
  }

  on(fn: (e: LinkEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: LinkEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  start(): void {
    this.hub.start();
  }

  close(): void {
    this.hub.close();
  }

  /** Follow exactly these boards (those this token may read are subscribed). */
  follow(boards: Iterable<string>): void {
    const wanted = new Set(boards);
    for (const b of [...this.hub.boards.keys()]) if (!wanted.has(b)) this.hub.release(b);
    for (const b of wanted) if (!this.hub.boards.has(b)) this.watch(this.hub.open(b));
  }

  private watch(ch: BoardChannel): void {
    ch.on((kind) => {
      if (kind === "doc") this.emit({ kind: "board", board: ch.board });
      else if (kind === "presence") this.emit({ kind: "presence", board: ch.board });
    });
  }

  /** A followed board's replica, once it was subscribed (none while it may not be read). */
  replica(board: string): Replica | undefined {
    const ch = this.hub.boards.get(board);
    return ch && (ch.subscribed || ch.replica.synced) && !ch.refusedBoard ? ch.replica : undefined;
  }

  /** Send a facilitator control; resolves on `done`, rejects with the hub's error. */
  control(action: string, args: Record<string, unknown> = {}): Promise<void> {
    return this.hub.control(action, args);
  }

  /** Remaining time etc. are computed against this (the hub's clock, ms). */
  hubNow(): number {
    return this.clock.now();
  }
}
