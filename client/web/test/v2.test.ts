// Protocol v2 in the web client, with a fake WebSocket playing the hub: hub frames of
// several messages, no echo (own ops settle on the ack; `lost` ones leave), seq from acks,
// gaps, and close 4426 (save, reload at most once per 30 s, send again after the reload).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pack } from "../src/core/codec";
import { decodeFrame } from "../src/core/messages";
import type { Op } from "../src/core/ops";
import { PROTOCOL_VERSION, ProtocolError } from "../src/core/schema";
import { BoardConnection } from "../src/sync/connection";
import { HubLink, RELOAD_GUARD_MS, reloadOnce, type Reload } from "../src/sync/link";
import { MemoryKV, OfflineStore } from "../src/sync/offline";
import { FakeSocket, concat } from "./fake-socket";

const A = "w1:g1";
const B = "w1:g2";

function welcome(sock: FakeSocket, boards = [A, B]): void {
  sock.deliver({ t: "welcome", v: 2, conn: "c1", role: "participant", workshop: "w1", participant: "p1", boards, writable: boards, time: Date.now(), limits: {} });
}

/** A fake sessionStorage and a reload that only counts. */
function reloader(): Reload & { count: number; kv: MemoryKV } {
  const kv = new MemoryKV();
  const r = { kv, count: 0, storage: kv, reload: () => void r.count++ };
  return r;
}

function tablet(store: OfflineStore, reload: Reload | null): BoardConnection {
  // `reload` stands in for the page's (sessionStorage and location.reload).
  const conn = new BoardConnection({ url: "ws://hub/ws", token: "tok", board: A, clientId: "web-test", name: "Ann", store, WebSocketImpl: FakeSocket as unknown as typeof WebSocket, backoffMs: [100, 400], reload });
  conn.start();
  return conn;
}

const sock = (): FakeSocket => FakeSocket.last!;
const sentOps = (s: FakeSocket) => s.sent.filter((m) => m.t === "ops") as unknown as { ref: number; board: string; ops: Op[] }[];

function ready(conn: BoardConnection, seq = 0, ops: Op[] = []): void {
  sock().open();
  welcome(sock());
  sock().deliver({ t: "sync", board: A, seq, full: true, ops, ref: sock().lastSent("subscribe").ref });
  expect(conn.status).toBe("connected");
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
});
afterEach(() => vi.useRealTimers());

describe("hub frames of several messages", () => {
  it("decodes every message of a frame, in order, and refuses broken bytes", () => {
    const frame = concat([pack({ t: "pong", n: 1, time: 5 }), pack({ t: "done", ref: 2 })]);
    expect(decodeFrame(frame).messages.map((m) => m.t)).toEqual(["pong", "done"]);
    // A message type of a later version is left out, the rest still handled.
    const withUnknown = concat([pack({ t: "news", x: 1 }), pack({ t: "done", ref: 3 })]);
    expect(decodeFrame(withUnknown)).toEqual({ messages: [{ t: "done", ref: 3 }], skipped: 1 });
    const cut = frame.slice(0, frame.byteLength - 1);
    expect(() => decodeFrame(cut)).toThrow(ProtocolError);
    expect(() => decodeFrame(new Uint8Array())).toThrow(ProtocolError);
    expect(() => decodeFrame(concat([pack({ t: "done", ref: 1 }), pack([1, 2])]))).toThrow(ProtocolError);
  });

  it("the link handles a tick's frame (two boards' updates, then the ack) in order", () => {
    const conn = tablet(new OfflineStore(null), null);
    ready(conn, 4);
    const other = conn.link.open(B);
    sock().deliver({ t: "sync", board: B, seq: 1, full: true, ops: [], ref: sock().lastSent("subscribe").ref });
    conn.edit("a1", "actor", { label: "mine" });
    vi.advanceTimersByTime(1);
    const [batch] = sentOps(sock());
    sock().deliverFrame([
      { t: "update", board: A, from: 5, seq: 5, ops: [["x1", "actor", "label", "theirs", 3, "p2"]] },
      { t: "update", board: B, from: 2, seq: 3, ops: [["y1", "actor", "label", "b", 1, "p3"], ["y1", "actor", "pos", [0, 0], 2, "p3"]] },
      { t: "ack", board: A, ref: batch!.ref, seq: 6, applied: 1 },
    ]);
    expect(conn.replica.doc.get("x1")!.label).toBe("theirs");
    expect(other.replica.doc.get("y1")!.label).toBe("b");
    expect(other.replica.seq).toBe(3);
    expect(conn.replica.seq).toBe(6); // through the ack (own op at 6, never echoed)
    expect(conn.pending).toBe(0);
    conn.close();
  });

  it("a frame that is not whole msgpack maps drops the socket and resumes", () => {
    const conn = tablet(new OfflineStore(null), null);
    ready(conn, 4);
    const bytes = pack({ t: "update", board: A, from: 5, seq: 5, ops: [] });
    sock().deliverBytes(bytes.slice(0, bytes.byteLength - 2));
    expect(conn.status).toBe("reconnecting");
    vi.advanceTimersByTime(150);
    expect(FakeSocket.all.length).toBe(2);
    sock().open();
    welcome(sock());
    expect(sock().lastSent("subscribe")).toMatchObject({ board: A, since: 4 });
    conn.close();
  });
});

describe("no echo", () => {
  it("hello says version 2", () => {
    const conn = tablet(new OfflineStore(null), null);
    sock().open();
    expect(PROTOCOL_VERSION).toBe(2);
    expect(sock().lastSent("hello")).toMatchObject({ v: 2 });
    conn.close();
  });

  it("own ops become confirmed on the ack, with no update; a lost op leaves, its winner stays", () => {
    const conn = tablet(new OfflineStore(null), null);
    ready(conn, 2, [["a7", "actor", "label", "Imam", 1, "p2"]]);
    conn.edit("a7", "actor", { label: "Imam Ali" }); // counter 2
    vi.advanceTimersByTime(1);
    const [batch] = sentOps(sock());
    expect(conn.pending).toBe(1);
    // Bo wrote the same field with the same counter first ("t-bo" > "web-test"): his op
    // comes in the update before the ack, which names ours as lost.
    sock().deliverFrame([
      { t: "update", board: A, from: 3, seq: 3, ops: [["a7", "actor", "label", "De imam", 2, "zz-bo"]] },
      { t: "ack", board: A, ref: batch!.ref, seq: 3, applied: 0, lost: [["a7", "label", 2]] },
    ]);
    expect(conn.pending).toBe(0);
    expect(conn.replica.doc.get("a7")!.label).toBe("De imam");
    expect(conn.replica.seq).toBe(3);
    // Nothing asked again: the replica is the hub's board.
    expect(sock().sent.filter((m) => m.t === "subscribe").length).toBe(1);
    conn.close();
  });

  it("a batch sent again after a reconnect: its ops come back `lost` (already stored) and simply settle", () => {
    const conn = tablet(new OfflineStore(null), null);
    ready(conn, 2);
    conn.edit("a7", "actor", { label: "mine" });
    vi.advanceTimersByTime(1);
    const [batch] = sentOps(sock());
    sock().drop(1006); // stored by the hub, but the ack never came
    vi.advanceTimersByTime(400);
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: A, seq: 3, full: false, ops: [batch!.ops[0]!], ref: sock().lastSent("subscribe").ref });
    vi.advanceTimersByTime(50);
    const [again] = sentOps(sock());
    expect(again!.ops).toEqual(batch!.ops);
    sock().deliver({ t: "ack", board: A, ref: again!.ref, seq: 3, applied: 0, lost: [["a7", "label", batch!.ops[0]![4]]] });
    expect(conn.pending).toBe(0);
    expect(conn.replica.doc.get("a7")!.label).toBe("mine");
    expect(sock().sent.filter((m) => m.t === "subscribe").length).toBe(1); // nothing asked again
    conn.close();
  });

  it("an update with a gap before `from` asks again from the last seq; stale updates wait for the sync", () => {
    const conn = tablet(new OfflineStore(null), null);
    ready(conn, 4);
    sock().deliver({ t: "update", board: A, from: 7, seq: 7, ops: [["a1", "actor", "label", "late", 7, "p2"]] });
    expect(conn.replica.doc.get("a1")).toBeNull();
    expect(sock().lastSent("subscribe")).toMatchObject({ board: A, since: 4 });
    // Until the answer comes, updates of the old subscription are not applied.
    sock().deliver({ t: "update", board: A, from: 8, seq: 8, ops: [["a2", "actor", "label", "x", 8, "p2"]] });
    expect(conn.replica.doc.get("a2")).toBeNull();
    sock().deliver({ t: "sync", board: A, seq: 8, full: false, ops: [["a1", "actor", "label", "late", 7, "p2"], ["a2", "actor", "label", "x", 8, "p2"]], ref: sock().lastSent("subscribe").ref });
    expect(conn.replica.seq).toBe(8);
    sock().deliver({ t: "update", board: A, from: 9, seq: 9, ops: [["a3", "actor", "label", "y", 9, "p2"]] });
    expect(Object.keys(conn.replica.doc.visible()).sort()).toEqual(["a1", "a2", "a3"]);
    conn.close();
  });

  it("a reconnect resumes from the seq the ack gave", () => {
    const conn = tablet(new OfflineStore(null), null);
    ready(conn, 4);
    conn.edit("a1", "actor", { label: "x" });
    vi.advanceTimersByTime(1);
    sock().deliver({ t: "ack", board: A, ref: sentOps(sock())[0]!.ref, seq: 5, applied: 1 });
    sock().drop(1006);
    vi.advanceTimersByTime(150);
    sock().open();
    welcome(sock());
    expect(sock().lastSent("subscribe")).toMatchObject({ since: 5 });
    conn.close();
  });
});

describe("close 4426: the hub speaks a newer protocol", () => {
  it("saves the unacknowledged batches, reloads, and sends them again after the reload", () => {
    const kv = new MemoryKV();
    const store = new OfflineStore(kv);
    const reload = reloader();
    const first = tablet(store, reload);
    ready(first, 3, [["a0", "actor", "label", "stored", 1, "p2"]]);
    first.edit("a1", "actor", { label: "sent, not acked" });
    vi.advanceTimersByTime(1);
    const [batch] = sentOps(sock());
    first.edit("a2", "actor", { label: "not sent yet" });
    // The hub restarts on version 2; this page's hello is refused.
    sock().drop(1012);
    vi.advanceTimersByTime(150);
    sock().open();
    sock().deliver({ t: "error", code: "version_mismatch", reason: "this hub speaks protocol version 2: reload", ref: null, board: null });
    sock().drop(4426, "");
    expect(reload.count).toBe(1);
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all.length).toBe(n); // no reconnect: the page is reloading
    const saved = store.load(A, "web-test")!;
    expect(saved.pending.map((o) => o[0])).toEqual(["a1", "a2"]);

    // The new page: the same storage, the same tab.
    const second = tablet(store, reload);
    expect(Object.keys(second.replica.doc.visible()).sort()).toEqual(["a0", "a1", "a2"]);
    sock().open();
    welcome(sock());
    expect(sock().lastSent("subscribe")).toMatchObject({ since: 3 });
    sock().deliver({ t: "sync", board: A, seq: 3, full: false, ops: [], ref: sock().lastSent("subscribe").ref });
    vi.advanceTimersByTime(1);
    const again = sentOps(sock());
    expect(again.flatMap((b) => b.ops)).toEqual([...batch!.ops, ...saved.pending.slice(1)]);
    sock().deliver({ t: "ack", board: A, ref: again[again.length - 1]!.ref, seq: 5, applied: 2 });
    expect(second.pending).toBe(0);
    second.close();
  });

  it("reloads at most once per 30 s; then it says the hub was updated (and keeps the edits)", () => {
    const store = new OfflineStore(new MemoryKV());
    const reload = reloader();
    const first = tablet(store, reload);
    sock().open();
    sock().drop(4426);
    expect(reload.count).toBe(1);
    first.close();
    // The reloaded page meets 4426 again (a mis-deployed hub): no second reload.
    vi.advanceTimersByTime(5_000);
    const second = tablet(store, reload);
    ready(second, 1);
    sock().deliver({ t: "presence", board: A, conn: "c2", client: "bo", name: "Bo", data: { sel: [] } });
    expect(second.peers.size).toBe(1);
    second.edit("a1", "actor", { label: "kept" });
    sock().drop(4426, "this hub speaks protocol version 2: reload");
    expect(reload.count).toBe(1);
    expect(second.status).toBe("failed");
    expect(second.failure?.code).toBe("version_mismatch");
    expect(second.peers.size).toBe(0);
    expect(store.load(A, "web-test")!.pending.map((o) => o[0])).toEqual(["a1"]);
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all.length).toBe(n);
    // Past the guard, a new page may reload again.
    const third = tablet(store, reload);
    sock().open();
    sock().drop(4426);
    expect(reload.count).toBe(2);
    third.close();
  });

  it("without sessionStorage there is no guard, so no reload: the page says so", () => {
    const link = new HubLink({ url: "ws://hub/ws", token: "tok", clientId: "c", WebSocketImpl: FakeSocket as unknown as typeof WebSocket, reload: null });
    link.start();
    sock().open();
    sock().drop(4426);
    expect(link.status).toBe("failed");
    expect(link.failure?.code).toBe("version_mismatch");
    let reloaded = 0;
    expect(reloadOnce({ storage: null, reload: () => reloaded++ }, Date.now())).toBe(false);
    expect(reloaded).toBe(0);
  });

  it("the guard: once in RELOAD_GUARD_MS, a clock set back does not block for ever", () => {
    const r = reloader();
    expect(reloadOnce(r, 1_000_000)).toBe(true);
    expect(reloadOnce(r, 1_000_000 + RELOAD_GUARD_MS - 1)).toBe(false);
    expect(reloadOnce(r, 1_000_000 + RELOAD_GUARD_MS)).toBe(true);
    expect(reloadOnce(r, 10)).toBe(true); // the clock went back
    r.kv.setItem("schakel.reloadedForVersion", "garbage");
    expect(reloadOnce(r, 2_000_000)).toBe(true);
    expect(r.count).toBe(4);
  });
});

describe("presence tick", () => {
  it("presence goes out no more often than the hub's presence tick", () => {
    const conn = tablet(new OfflineStore(null), null);
    sock().open();
    sock().deliver({ t: "welcome", v: 2, conn: "c1", role: "participant", workshop: "w1", participant: "p1", boards: [A], writable: [A], time: 0, limits: { presenceTickMs: 200 } });
    sock().deliver({ t: "sync", board: A, seq: 0, full: true, ops: [], ref: sock().lastSent("subscribe").ref });
    const count = () => sock().sent.filter((m) => m.t === "presence").length;
    const first = count(); // the announcement after the sync
    conn.setPresence({ cursor: [1, 1] });
    vi.advanceTimersByTime(100);
    conn.setPresence({ cursor: [2, 2] });
    vi.advanceTimersByTime(60);
    expect(count()).toBe(first); // a 50 ms throttle would have sent by now
    vi.advanceTimersByTime(60);
    expect(count()).toBe(first + 1);
    expect(sock().lastSent("presence").data).toMatchObject({ cursor: [2, 2] }); // the latest only
    conn.close();
  });
});
