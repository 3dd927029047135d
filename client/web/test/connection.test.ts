// The offline queue and the connection: edits survive a dropped socket and a reload,
// are sent again on reconnect from the last seq, and leave the queue once acknowledged.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BoardConnection } from "../src/sync/connection";
import { MemoryKV, OfflineStore } from "../src/sync/offline";
import { FakeSocket } from "./fake-socket";

const BOARD = "w1:g1";

function welcome(sock: FakeSocket): void {
  sock.deliver({ t: "welcome", v: 2, conn: "c1", role: "participant", workshop: "w1", participant: "p1", boards: [BOARD], writable: [BOARD], time: 0, limits: {} });
}

function connect(store: OfflineStore): { conn: BoardConnection; sock: () => FakeSocket } {
  const conn = new BoardConnection({
    url: "ws://hub/ws",
    token: "tok",
    board: BOARD,
    clientId: "web-test",
    name: "Ann",
    store,
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    backoffMs: [100, 400],
  });
  conn.start();
  return { conn, sock: () => FakeSocket.all[FakeSocket.all.length - 1]! };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
});
afterEach(() => vi.useRealTimers());

describe("connection", () => {
  it("hello, subscribe, batch, ack", () => {
    const { conn, sock } = connect(new OfflineStore(new MemoryKV()));
    sock().open();
    expect(sock().lastSent("hello")).toMatchObject({ token: "tok", client: "web-test", name: "Ann", v: 2 });
    welcome(sock());
    expect(sock().lastSent("subscribe")).toMatchObject({ board: BOARD, since: 0 });
    sock().deliver({ t: "sync", board: BOARD, seq: 3, full: true, ops: [["a1", "actor", "label", "x", 7, "other"]], ref: 1 });
    expect(conn.status).toBe("connected");
    conn.edit("a2", "actor", { label: "Imam", pos: [1, 2] });
    vi.advanceTimersByTime(1);
    const batch = sock().lastSent("ops");
    // Lamport: above every counter seen; own client id on every op.
    expect(batch.ops).toEqual([
      ["a2", "actor", "label", "Imam", 8, "web-test"],
      ["a2", "actor", "pos", [1, 2], 9, "web-test"],
    ]);
    expect(conn.pending).toBe(2);
    sock().deliver({ t: "ack", board: BOARD, ref: batch.ref, seq: 5, applied: 2 });
    expect(conn.pending).toBe(0);
    // Protocol v2: the ack says every op through its seq has reached us (no echo).
    expect(conn.replica.seq).toBe(5);
    conn.close();
  });

  it("keeps offline edits across a reload and resends them on reconnect", () => {
    const kv = new MemoryKV();
    const store = new OfflineStore(kv);
    const first = connect(store);
    first.sock().open();
    welcome(first.sock());
    first.sock().deliver({ t: "sync", board: BOARD, seq: 4, full: true, ops: [["a1", "actor", "label", "stored", 3, "other"]], ref: 1 });
    first.conn.edit("a2", "actor", { label: "sent, not acked" });
    vi.advanceTimersByTime(1);
    first.sock().drop(); // Wi-Fi gone before the ack
    expect(first.conn.status).toBe("reconnecting");
    first.conn.edit("a3", "actor", { label: "made offline" });
    expect(first.conn.pending).toBe(2);
    first.conn.close();

    // The page reloads: a new connection from the same storage.
    const second = connect(store);
    expect(Object.keys(second.conn.replica.doc.visible()).sort()).toEqual(["a1", "a2", "a3"]);
    expect(second.conn.pending).toBe(2);
    second.sock().open();
    welcome(second.sock());
    // Resumes from the last seq it saw.
    expect(second.sock().lastSent("subscribe")).toMatchObject({ since: 4 });
    second.sock().deliver({ t: "sync", board: BOARD, seq: 6, full: false, ops: [["a4", "actor", "label", "meanwhile", 9, "other"]], ref: 2 });
    vi.advanceTimersByTime(1);
    const batch = second.sock().lastSent("ops");
    expect(batch.ops.map((o) => o[3])).toEqual(["sent, not acked", "made offline"]);
    // A new edit after the reload gets a counter above everything seen.
    const [op] = second.conn.edit("a5", "actor", { label: "after" });
    expect(op![4]).toBe(10);
    second.sock().deliver({ t: "ack", board: BOARD, ref: batch.ref, seq: 8, applied: 2 });
    second.conn.close();
    const saved = store.load(BOARD, "web-test")!;
    expect(saved.pending.map((o) => o[0])).toEqual(["a5"]);
    expect(saved.seq).toBe(8); // through the ack's seq (v2)
  });

  it("reconnects with backoff after a drop and resubscribes", () => {
    const { conn, sock } = connect(new OfflineStore(null));
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: BOARD, seq: 1, full: true, ops: [], ref: 1 });
    const before = FakeSocket.all.length;
    sock().drop();
    vi.advanceTimersByTime(200);
    expect(FakeSocket.all.length).toBe(before + 1);
    sock().open();
    welcome(sock());
    expect(sock().lastSent("subscribe")).toMatchObject({ since: 1 });
    conn.close();
  });

  it("a refused batch is dropped and the board is fetched whole again", () => {
    const { conn, sock } = connect(new OfflineStore(null));
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: BOARD, seq: 2, full: true, ops: [], ref: 1 });
    conn.edit("a1", "actor", { label: "x" });
    vi.advanceTimersByTime(1);
    const batch = sock().lastSent("ops");
    sock().deliver({ t: "error", code: "invalid_op", reason: "no", ref: batch.ref, board: BOARD });
    expect(conn.pending).toBe(0);
    expect(sock().lastSent("subscribe")).toMatchObject({ since: 0 });
    sock().deliver({ t: "sync", board: BOARD, seq: 2, full: true, ops: [], ref: 3 });
    expect(conn.replica.doc.visible()).toEqual({});
    conn.close();
  });

  it("an auth failure stops reconnecting", () => {
    const { conn, sock } = connect(new OfflineStore(null));
    sock().open();
    sock().deliver({ t: "error", code: "auth_failed", reason: "expired", ref: null, board: null });
    expect(conn.status).toBe("failed");
    const n = FakeSocket.all.length;
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all.length).toBe(n);
  });
});

describe("offline store", () => {
  it("returns null for missing or corrupt data", () => {
    const kv = new MemoryKV();
    const store = new OfflineStore(kv);
    expect(store.load(BOARD, "c")).toBeNull();
    kv.setItem("schakel.v1.board.w1:g1.c", "{not json");
    expect(store.load(BOARD, "c")).toBeNull();
  });

  it("keeps the pending edits when storage is nearly full", () => {
    const kv = new MemoryKV();
    let calls = 0;
    kv.setItem = function (key: string, value: string) {
      calls++;
      if (value.length > 200) throw new Error("QuotaExceededError");
      MemoryKV.prototype.setItem.call(this, key, value);
    };
    const store = new OfflineStore(kv);
    const doc = Array.from({ length: 20 }, (_, i) => ["a" + i, "actor", "label", "x".repeat(20), i + 1, "o"] as never);
    expect(store.save(BOARD, "c", { seq: 9, counter: 30, doc, pending: [["p", "actor", "label", "y", 31, "c"]] })).toBe(true);
    expect(calls).toBe(2);
    expect(store.load(BOARD, "c")!.pending).toHaveLength(1);
  });

  it("builds the replica from a sync in several frames, however large", () => {
    const { conn, sock } = connect(new OfflineStore(new MemoryKV()));
    sock().open();
    welcome(sock());
    const stroke = Array.from({ length: 6000 }, (_, i) => i + 0.5); // ~54 kB per op
    const ink = (k: number): unknown[] => [`i${k}`, "ink", "points", stroke, k + 1, "other"];
    sock().deliver({ t: "sync", board: BOARD, seq: 6, full: true, ops: [0, 1, 2].map(ink), ref: 1, more: true });
    expect(conn.status).not.toBe("connected"); // not before the last frame
    expect(conn.replica.doc.size).toBe(0);
    // A frame from the hub may be larger than a client's 256 kB.
    sock().deliver({ t: "sync", board: BOARD, seq: 6, full: true, ops: [3, 4, 5, 6, 7].map(ink), ref: 1 });
    expect(conn.status).toBe("connected");
    expect(conn.replica.seq).toBe(6);
    expect(Object.keys(conn.replica.doc.visible()).length).toBe(8);
    conn.close();
  });

  it("forgets a deleted workshop's maps and edits, and takes no more", () => {
    const kv = new MemoryKV();
    const store = new OfflineStore(kv);
    kv.setItem("schakel.v1.board.w1:p9.web-old", "{}"); // another board of the workshop
    kv.setItem("schakel.v1.board.w2:g1.web-test", "{}"); // another workshop: kept
    const { conn, sock } = connect(store);
    sock().open();
    welcome(sock());
    sock().deliver({ t: "sync", board: BOARD, seq: 1, full: true, ops: [["a1", "actor", "label", "x", 1, "o"]], ref: 1 });
    conn.edit("a2", "actor", { label: "waiting" });
    conn.saveNow();
    expect(kv.getItem("schakel.v1.board.w1:g1.web-test")).not.toBeNull();
    sock().deliver({ t: "error", code: "not_found", reason: "deleted", ref: null, board: null });
    sock().drop(4404, "workshop deleted");
    expect(conn.status).toBe("failed");
    expect(conn.failure?.code).toBe("not_found");
    expect([...kv.data.keys()]).toEqual(["schakel.v1.board.w2:g1.web-test"]);
    expect(conn.pending).toBe(0);
    expect(conn.writable).toBe(false);
    expect(conn.edit("a3", "actor", { label: "after" })).toEqual([]);
    conn.close(); // (closing saves no copy back)
    expect([...kv.data.keys()]).toEqual(["schakel.v1.board.w2:g1.web-test"]);
  });
});


describe("a board the store cannot serve now", () => {
  it("is asked for again after store_unavailable", () => {
    const { conn, sock } = connect(new OfflineStore(new MemoryKV()));
    sock().open();
    welcome(sock());
    const first = sock().lastSent("subscribe");
    sock().deliver({ t: "error", code: "store_unavailable", reason: "store unavailable, retrying", ref: first.ref, board: BOARD });
    vi.advanceTimersByTime(600);
    const again = sock().lastSent("subscribe");
    expect(again.ref).not.toBe(first.ref);
    expect(again.board).toBe(BOARD);
    sock().deliver({ t: "sync", board: BOARD, seq: 0, full: true, ops: [], ref: again.ref });
    expect(conn.status).toBe("connected");
    conn.close();
  });
});
