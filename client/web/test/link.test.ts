// The page's one link to the hub (sync/link.ts) with a fake WebSocket: close codes,
// back-off, heartbeat, resend of unacknowledged batches, several boards on one socket and
// their resume from each board's last seq, and what a `rate_limited` refusal sends again.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BoardConnection } from "../src/sync/connection";
import { ControlError, HubLink } from "../src/sync/link";
import { MemoryKV, OfflineStore } from "../src/sync/offline";
import { FakeSocket } from "./fake-socket";

const A = "w1:g1";
const B = "w1:g2";

function welcome(sock: FakeSocket, boards = [A, B], writable = [A]): void {
  sock.deliver({ t: "welcome", v: 2, conn: "c1", role: "participant", workshop: "w1", participant: "p1", boards, writable, time: Date.now(), limits: {} });
}

function newLink(extra: Partial<ConstructorParameters<typeof HubLink>[0]> = {}): HubLink {
  return new HubLink({ url: "ws://hub/ws", token: "tok", clientId: "web-test", name: "Ann", WebSocketImpl: FakeSocket as unknown as typeof WebSocket, backoffMs: [100, 400], heartbeatMs: 1000, ...extra });
}

const sock = (): FakeSocket => FakeSocket.last!;
const sentOf = (s: FakeSocket, t: string) => s.sent.filter((m) => m.t === t);

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0.5); // back-off without jitter: the base wait
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("one link, many boards", () => {
  it("a second board on a page is a subscription on the same socket, not a second socket", () => {
    const conn = new BoardConnection({ url: "ws://hub/ws", token: "tok", board: A, clientId: "web-test", name: "Ann", WebSocketImpl: FakeSocket as unknown as typeof WebSocket });
    conn.start();
    sock().open();
    welcome(sock());
    const partner = conn.link.open(B, { announce: true });
    expect(FakeSocket.all.length).toBe(1);
    expect(sentOf(sock(), "subscribe").map((m) => m.board)).toEqual([A, B]);
    sock().deliver({ t: "sync", board: B, seq: 4, full: true, ops: [["x1", "actor", "label", "theirs", 3, "p2"]], ref: 2 });
    expect(partner.replica.doc.get("x1")!.label).toBe("theirs");
    expect(conn.replica.doc.get("x1")).toBeNull(); // boards stay apart
    // The viewer goes: its board is unsubscribed; the page's own board stays.
    conn.link.release(B);
    expect(sock().lastSent("unsubscribe")).toEqual({ t: "unsubscribe", board: B });
    expect(conn.link.boards.has(A)).toBe(true);
    conn.close();
  });

  it("a board opened twice (the spotlit map is my own) stays subscribed until both let go", () => {
    const link = newLink();
    link.start();
    sock().open();
    welcome(sock());
    const one = link.open(A);
    const two = link.open(A);
    expect(one).toBe(two);
    expect(sentOf(sock(), "subscribe").length).toBe(1);
    link.release(A);
    expect(sentOf(sock(), "unsubscribe").length).toBe(0);
    link.release(A);
    expect(sentOf(sock(), "unsubscribe").length).toBe(1);
    link.close();
  });

  it("resumes every board from its own last seq and sends unacknowledged batches again", () => {
    const link = newLink();
    const a = link.open(A, { strict: true });
    const b = link.open(B);
    link.start();
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: A, seq: 7, full: true, ops: [], ref: 1 });
    sock().deliver({ t: "sync", board: B, seq: 3, full: true, ops: [], ref: 2 });
    sock().deliver({ t: "update", board: B, from: 4, seq: 5, ops: [["b1", "actor", "label", "1", 1, "p2"], ["b1", "actor", "pos", [0, 0], 2, "p2"]] });
    a.edit("a1", "actor", { label: "mine" });
    vi.advanceTimersByTime(1);
    const batch = sock().lastSent("ops");
    expect(batch.board).toBe(A);
    const first = sock();
    first.drop(1006);
    expect(a.status).toBe("reconnecting");
    expect(a.pending).toBe(1);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all.length).toBe(2);
    sock().open();
    welcome(sock());
    const subs = sentOf(sock(), "subscribe").map((m) => [m.board, m.since]);
    expect(subs).toEqual([
      [A, 7],
      [B, 5],
    ]);
    // Nothing is sent before the board is in sync again; then the batch goes out again.
    expect(sentOf(sock(), "ops").length).toBe(0);
    sock().deliver({ t: "sync", board: A, seq: 7, full: false, ops: [], ref: subs.length });
    vi.advanceTimersByTime(50);
    const again = sock().lastSent("ops");
    expect(again.ops).toEqual(batch.ops);
    expect(again.ref).not.toBe(batch.ref);
    sock().deliver({ t: "ack", board: A, ref: again.ref, seq: 8, applied: 1 });
    expect(a.pending).toBe(0);
    expect(b.replica.seq).toBe(5);
    link.close();
  });

  it("on rate_limited sends only the refused batch again, not every batch in flight", () => {
    const link = newLink();
    const a = link.open(A, { strict: true });
    link.start();
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: A, seq: 1, full: true, ops: [], ref: 1 });
    a.edit("a1", "actor", { label: "one" });
    vi.advanceTimersByTime(50);
    a.edit("a2", "actor", { label: "two" });
    vi.advanceTimersByTime(50);
    const [first, second] = sentOf(sock(), "ops") as { ref: number; ops: unknown[][] }[];
    expect(first!.ops[0]![0]).toBe("a1");
    expect(second!.ops[0]![0]).toBe("a2");
    sock().deliver({ t: "error", code: "rate_limited", reason: "slow down", ref: first!.ref, board: A });
    expect(a.pending).toBe(2);
    vi.advanceTimersByTime(600);
    const out = sentOf(sock(), "ops") as { ref: number; ops: unknown[][] }[];
    expect(out.length).toBe(3);
    expect(out[2]!.ops).toEqual(first!.ops); // the refused one, alone
    // The second batch stayed in flight: its ack settles it, the resent one still waits.
    sock().deliver({ t: "ack", board: A, ref: second!.ref, seq: 2, applied: 1 });
    expect(a.pending).toBe(1);
    sock().deliver({ t: "ack", board: A, ref: out[2]!.ref, seq: 3, applied: 1 });
    expect(a.pending).toBe(0);
    link.close();
  });

  it("a subscribe refused for now is asked again; a refused board waits until it is readable", () => {
    const link = newLink();
    link.open(A, { strict: true });
    const b = link.open(B);
    link.start();
    sock().open();
    welcome(sock(), [A]); // B is not readable yet: not subscribed, and not failed
    expect(sentOf(sock(), "subscribe").map((m) => m.board)).toEqual([A]);
    expect(b.status).not.toBe("failed");
    const subA = sock().lastSent("subscribe");
    sock().deliver({ t: "error", code: "store_unavailable", reason: "away", ref: subA.ref, board: A });
    vi.advanceTimersByTime(600);
    expect(sentOf(sock(), "subscribe").map((m) => m.board)).toEqual([A, A]);
    // A reveal makes B readable: it is subscribed on the same socket.
    sock().deliver({ t: "workshop", workshop: "w1", state: { you: { readable: [A, B], writable: [A] } } });
    expect(sentOf(sock(), "subscribe").map((m) => m.board)).toEqual([A, A, B]);
    expect(FakeSocket.all.length).toBe(1);
    link.close();
  });
});

describe("close codes and back-off", () => {
  it("backs off 100, 200, 400, 400 ms between failed tries, and starts over once welcomed", () => {
    const link = newLink();
    link.start();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const n = FakeSocket.all.length;
      sock().drop(1006);
      let waited = 0;
      while (FakeSocket.all.length === n) {
        vi.advanceTimersByTime(10);
        waited += 10;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([100, 200, 400, 400]);
    sock().open();
    welcome(sock());
    sock().drop(1006);
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all.length).toBe(n + 1);
    link.close();
  });

  it("4401 fails for good: no reconnect, every board failed, controls rejected", async () => {
    const link = newLink();
    const a = link.open(A, { strict: true });
    link.start();
    sock().open();
    welcome(sock());
    const pending = link.control("start");
    sock().drop(4401, "token revoked");
    await expect(pending).rejects.toBeInstanceOf(ControlError);
    expect(link.status).toBe("failed");
    expect(a.status).toBe("failed");
    expect(a.failure).toEqual({ code: "auth_failed", reason: "token revoked" });
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all.length).toBe(n);
  });

  it("4404 erases the workshop's boards from this device and stops", () => {
    const kv = new MemoryKV();
    const store = new OfflineStore(kv);
    const link = newLink();
    const a = link.open(A, { strict: true, store });
    link.start();
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: A, seq: 1, full: true, ops: [], ref: 1 });
    a.edit("a1", "actor", { label: "x" });
    expect(kv.length).toBe(1);
    sock().drop(4404, "the workshop has ended");
    expect(kv.length).toBe(0);
    expect(a.failure?.code).toBe("not_found");
    expect(a.pending).toBe(0);
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all.length).toBe(n);
  });

  it("other closes (1006, 1012, 4408) reconnect and resubscribe", () => {
    for (const code of [1006, 1012, 4408]) {
      FakeSocket.all = [];
      const link = newLink();
      link.open(A, { strict: true });
      link.start();
      sock().open();
      welcome(sock());
      sock().drop(code);
      expect(link.status).toBe("reconnecting");
      vi.advanceTimersByTime(100);
      expect(FakeSocket.all.length).toBe(2);
      sock().open();
      welcome(sock());
      expect(sock().lastSent("subscribe")).toMatchObject({ board: A });
      link.close();
    }
  });

  it("a board the token may not read fails when it is the page's board", () => {
    const link = newLink();
    const a = link.open(A, { strict: true });
    link.start();
    sock().open();
    welcome(sock(), [B]);
    expect(a.status).toBe("failed");
    expect(a.failure?.code).toBe("forbidden");
    expect(sentOf(sock(), "subscribe").length).toBe(0);
    link.close();
  });
});

describe("heartbeat and clock", () => {
  it("pings while the hub talks, reads its clock from pongs, and drops a silent socket", () => {
    const samples: [number, number, number][] = [];
    const link = newLink({ clock: { sample: (h: number, s: number, r: number) => samples.push([h, s, r]) } });
    link.start();
    sock().open();
    welcome(sock());
    expect(samples.length).toBe(1);
    const firstPing = sock().lastSent("ping");
    vi.advanceTimersByTime(20);
    sock().deliver({ t: "pong", n: firstPing.n, time: 123456 });
    expect(samples[1]![0]).toBe(123456);
    expect(samples[1]![2] - samples[1]![1]).toBe(20); // the round trip of that ping
    vi.advanceTimersByTime(1000);
    expect(sentOf(sock(), "ping").length).toBe(2);
    // The hub goes silent (Wi-Fi gone without a close): after 2.5 beats, a new socket.
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(3000);
    expect(link.status).toBe("reconnecting");
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all.length).toBe(n + 1);
    link.close();
  });
});
