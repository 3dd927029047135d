// Undo and redo of own edits, correct while others edit concurrently; the optimistic replica.
import { describe, expect, it } from "vitest";
import type { Op } from "../src/core/ops";
import { Replica } from "../src/sync/replica";

function clock(start = 0) {
  let c = start;
  return () => ++c;
}

function edit(r: Replica, next: () => number, client: string, id: string, fields: Record<string, unknown>, gesture?: string): Op[] {
  const ops: Op[] = Object.entries(fields).map(([f, v]) => [id, "actor", f, v, next(), client]);
  return r.local(ops, gesture);
}

describe("undo and redo", () => {
  it("undoing a creation deletes; redo restores", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { label: "Imam", pos: [0, 0] });
    expect(r.doc.isVisible("a1")).toBe(true);
    const undo = r.undo(next, "me");
    expect(undo).toEqual([["a1", "actor", "deleted", true, 3, "me"]]);
    expect(r.doc.isVisible("a1")).toBe(false);
    r.redo(next, "me");
    expect(r.doc.isVisible("a1")).toBe(true);
    expect(r.doc.get("a1")!.label).toBe("Imam");
  });

  it("undo restores the previous value of a field with a fresh clock", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { label: "old" });
    edit(r, next, "me", "a1", { label: "new" });
    const ops = r.undo(next, "me");
    expect(ops).toEqual([["a1", "actor", "label", "old", 3, "me"]]);
    expect(r.doc.get("a1")!.label).toBe("old");
    r.redo(next, "me");
    expect(r.doc.get("a1")!.label).toBe("new");
  });

  it("never overwrites someone else's later edit of the same field", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { label: "Imam", stance: "middle" });
    edit(r, next, "me", "a1", { label: "Imam moskee", stance: "pole_a" });
    // Another participant renames it afterwards (higher clock, arrives as an update).
    r.onUpdate(1, 1, [["a1", "actor", "label", "Imam Yusuf", 10, "other"]]);
    const ops = r.undo(clock(10), "me");
    // Only the stance is undone; their label stays.
    expect(ops.map((o) => o[2])).toEqual(["stance"]);
    expect(r.doc.get("a1")).toMatchObject({ label: "Imam Yusuf", stance: "middle" });
  });

  it("skips a step that others overwrote entirely and undoes the one before", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { influence: 1 });
    edit(r, next, "me", "a1", { label: "x" });
    edit(r, next, "me", "a1", { label: "y" });
    r.onUpdate(1, 1, [["a1", "actor", "label", "theirs", 50, "other"]]);
    const c = clock(50);
    // The last two steps touched only the label, which is theirs now: undo the creation.
    const ops = r.undo(c, "me");
    expect(ops).toEqual([["a1", "actor", "deleted", true, 51, "me"]]);
  });

  it("a drag is one undo step, back to where it began", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { pos: [0, 0] });
    for (let i = 1; i <= 20; i++) edit(r, next, "me", "a1", { pos: [i * 5, i] }, "drag1");
    expect(r.doc.get("a1")!.pos).toEqual([100, 20]);
    r.undo(next, "me");
    expect(r.doc.get("a1")!.pos).toEqual([0, 0]);
    r.redo(next, "me");
    expect(r.doc.get("a1")!.pos).toEqual([100, 20]);
    r.undo(next, "me");
    r.undo(next, "me");
    expect(r.doc.isVisible("a1")).toBe(false);
    expect(r.canUndo()).toBe(false);
  });

  it("a new edit clears redo", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { label: "a" });
    r.undo(next, "me");
    expect(r.canRedo()).toBe(true);
    edit(r, next, "me", "a2", { label: "b" });
    expect(r.canRedo()).toBe(false);
  });

  it("concurrent replicas converge after undo and remote edits in any order", () => {
    const mine = new Replica("b");
    const theirs = new Replica("b");
    const next = clock();
    const a = edit(mine, next, "me", "a1", { label: "one", influence: 2 });
    const b = edit(mine, next, "me", "a1", { influence: 4 });
    const remote: Op[] = [["a1", "actor", "label", "two", 3, "zz"]];
    mine.onUpdate(1, 1, remote);
    const u = mine.undo(next, "me");
    for (const op of [...u, ...remote, ...b, ...a]) theirs.doc.apply(op);
    expect(theirs.doc.state()).toEqual(mine.doc.state());
    expect(mine.doc.get("a1")).toMatchObject({ label: "two", influence: 2 });
  });
});

describe("replica and the hub", () => {
  it("unsent writes of one field collapse to the newest", () => {
    const r = new Replica("b");
    const next = clock();
    for (let i = 0; i < 10; i++) edit(r, next, "me", "a1", { pos: [i, i] }, "drag");
    expect(r.unsent).toEqual([["a1", "actor", "pos", [9, 9], 10, "me"]]);
  });

  it("in-flight batches are requeued in order after a reconnect", () => {
    const r = new Replica("b");
    const next = clock();
    edit(r, next, "me", "a1", { label: "x" });
    r.takeBatch(1);
    edit(r, next, "me", "a2", { label: "y" });
    r.takeBatch(2);
    edit(r, next, "me", "a3", { label: "z" });
    r.requeueInflight();
    expect(r.unsent.map((o) => o[0])).toEqual(["a1", "a2", "a3"]);
    expect(r.pending).toBe(3);
  });

  it("a full sync keeps own unacknowledged edits visible", () => {
    const r = new Replica("b");
    const next = clock(5);
    edit(r, next, "me", "mine", { label: "pending" });
    r.onSync(7, true, [["a1", "actor", "label", "stored", 1, "other"]]);
    expect(Object.keys(r.doc.visible()).sort()).toEqual(["a1", "mine"]);
    expect(r.seq).toBe(7);
  });

  it("v2 updates: seen ones skipped by seq, a gap reported, an overlap applied whole", () => {
    const r = new Replica("b");
    r.onSync(2, true, []);
    expect(r.onUpdate(2, 2, [["a1", "actor", "label", "old", 1, "o"]])).toEqual([]);
    // No echo: seqs 3..5, of which 4 was ours (not in the update).
    const fresh = r.onUpdate(3, 5, [
      ["a1", "actor", "label", "x", 2, "o"],
      ["a1", "actor", "label", "z", 4, "o"],
    ]);
    expect(fresh!.map((o) => o[3])).toEqual(["x", "z"]);
    expect(r.seq).toBe(5);
    // From 8 after 5: seqs 6 and 7 never came. Nothing applied; the caller resubscribes.
    expect(r.onUpdate(8, 8, [["a2", "actor", "label", "late", 9, "o"]])).toBeNull();
    expect(r.seq).toBe(5);
    expect(r.doc.get("a2")).toBeNull();
    // An update reaching back into what we have is applied whole (ops are idempotent).
    expect(r.onUpdate(4, 6, [["a1", "actor", "label", "z", 4, "o"], ["a3", "actor", "label", "n", 5, "o"]])!.length).toBe(2);
    expect(r.seq).toBe(6);
    expect(r.doc.get("a1")!.label).toBe("z");
  });
});

describe("acks", () => {
  it("an ack covers every batch sent before it; a requeued batch is sent again", () => {
    const r = new Replica("b");
    const next = clock();
    for (const ref of [1, 2, 3]) {
      edit(r, next, "me", `a${ref}`, { label: `x${ref}` });
      r.takeBatch(ref);
    }
    r.acked(2);
    expect([...r.inflight.keys()]).toEqual([3]);
    r.requeueInflight();
    r.acked(3);
    expect(r.inflight.size).toBe(0);
    expect(r.unsent.length).toBe(1);
  });
});

describe("v2 acks", () => {
  it("an ack moves the last seq up to its seq (never down)", () => {
    const r = new Replica("b");
    r.onSync(3, true, []);
    edit(r, clock(), "me", "a1", { label: "x" });
    r.takeBatch(1);
    r.onAck(1, 9);
    expect(r.seq).toBe(9);
    expect(r.pending).toBe(0);
    r.onAck(1, 4);
    expect(r.seq).toBe(9);
  });

  it("a lost op leaves the pending set with its batch; the winner is already here", () => {
    const r = new Replica("b");
    r.onSync(0, true, []);
    edit(r, clock(7), "me", "a1", { label: "mine" }); // counter 8
    r.takeBatch(1);
    // The winner (same counter, higher client id) came in an update before the ack.
    r.onUpdate(1, 1, [["a1", "actor", "label", "theirs", 8, "zz"]]);
    r.onAck(1, 2);
    expect(r.pending).toBe(0);
    expect(r.doc.get("a1")!.label).toBe("theirs");
    expect(r.seq).toBe(2);
  });
});
