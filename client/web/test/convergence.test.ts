// Protocol v2 convergence, randomised: replicas that never see their own ops again (no
// echo) and take `seq` and `lost` from acks still end equal to the hub's board. A small
// model hub per tick: it merges the batches that came in, then sends each client one frame
// (an `update` of the others' new ops from its last seq + 1, then its ack). Frames reach
// each client after random delays but in order, as on one WebSocket.
import { describe, expect, it } from "vitest";
import { Document } from "../src/core/document";
import type { Op } from "../src/core/ops";
import { Replica } from "../src/sync/replica";

type Msg = { t: "update"; from: number; seq: number; ops: Op[] } | { t: "ack"; ref: number; seq: number; lost: [string, string, number][] };

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

class ModelHub {
  doc = new Document();
  log: { op: Op; from: number }[] = []; // log[i] holds seq i + 1
  inbox: { client: number; ref: number; ops: Op[] }[] = [];
  sentThrough: number[];
  constructor(readonly clients: number) {
    this.sentThrough = new Array<number>(clients).fill(0);
  }

  /** One tick: merge what came in, then one frame per client. */
  tick(): Msg[][] {
    const acks = new Map<number, { ref: number; lost: [string, string, number][] }>();
    for (const b of this.inbox) {
      const a = acks.get(b.client) ?? { ref: b.ref, lost: [] };
      a.ref = b.ref;
      for (const op of b.ops) {
        const before = this.doc.fields.get(op[0])?.get(op[2]);
        const wins = !before || op[4] > before.counter || (op[4] === before.counter && op[5] > before.client);
        const same = before && before.counter === op[4] && before.client === op[5];
        if (wins && !same) {
          this.doc.apply(op);
          this.log.push({ op, from: b.client });
        } else {
          a.lost.push([op[0], op[2], op[4]]); // beaten, or this very op stored already
        }
      }
      acks.set(b.client, a);
    }
    this.inbox = [];
    const seq = this.log.length;
    const frames: Msg[][] = [];
    for (let c = 0; c < this.clients; c++) {
      const frame: Msg[] = [];
      const from = this.sentThrough[c]! + 1;
      const others = this.log.slice(from - 1).filter((e) => e.from !== c).map((e) => e.op);
      if (others.length) frame.push({ t: "update", from, seq, ops: others });
      const ack = acks.get(c);
      if (ack) frame.push({ t: "ack", ref: ack.ref, seq, lost: ack.lost });
      if (frame.length) this.sentThrough[c] = seq;
      frames.push(frame);
    }
    return frames;
  }
}

const IDS = ["a1", "a2", "a3"];
const FIELDS = ["label", "kind", "influence"] as const;
const value = (f: (typeof FIELDS)[number], r: () => number): unknown => (f === "label" ? `v${Math.floor(r() * 5)}` : f === "kind" ? (r() < 0.5 ? "person" : "group") : Math.floor(r() * 6));

function run(seed: number): void {
  const r = rng(seed);
  const n = 2 + Math.floor(r() * 3);
  const hub = new ModelHub(n);
  const replicas = Array.from({ length: n }, () => {
    const rep = new Replica("w1:g1");
    rep.onSync(0, true, []);
    return rep;
  });
  const names = replicas.map((_, i) => `c${i}`);
  const counters = new Array<number>(n).fill(0);
  const wire: Msg[][] = replicas.map(() => []); // frames in flight to each client, in order
  let ref = 0;
  const deliver = (c: number): void => {
    const msg = wire[c]!.shift()!;
    const rep = replicas[c]!;
    if (msg.t === "update") {
      const fresh = rep.onUpdate(msg.from, msg.seq, msg.ops);
      expect(fresh, `seed ${seed}: a gap at client ${c}`).not.toBeNull();
    } else {
      rep.onAck(msg.ref, msg.seq);
    }
  };
  for (let step = 0; step < 60; step++) {
    const c = Math.floor(r() * n);
    const rep = replicas[c]!;
    const roll = r();
    if (roll < 0.4) {
      const f = FIELDS[Math.floor(r() * FIELDS.length)]!;
      counters[c] = Math.max(counters[c]!, rep.doc.maxCounter) + 1;
      rep.local([[IDS[Math.floor(r() * IDS.length)]!, "actor", f, value(f, r), counters[c]!, names[c]!]]);
    } else if (roll < 0.6) {
      const batch = rep.takeBatch(++ref);
      if (batch) hub.inbox.push({ client: c, ref, ops: batch });
    } else if (roll < 0.75) {
      hub.tick().forEach((frame, i) => wire[i]!.push(...frame));
    } else if (wire[c]!.length) {
      deliver(c);
    }
  }
  // Quiesce: everything sent, merged and delivered.
  for (let c = 0; c < n; c++) {
    for (;;) {
      const batch = replicas[c]!.takeBatch(++ref);
      if (!batch) break;
      hub.inbox.push({ client: c, ref, ops: batch });
    }
  }
  hub.tick().forEach((frame, i) => wire[i]!.push(...frame));
  for (let c = 0; c < n; c++) while (wire[c]!.length) deliver(c);
  for (let c = 0; c < n; c++) {
    expect(replicas[c]!.pending, `seed ${seed}: client ${c} still has pending ops`).toBe(0);
    expect(replicas[c]!.seq).toBe(hub.log.length);
    expect(replicas[c]!.doc.state(), `seed ${seed}: client ${c} differs from the hub`).toEqual(hub.doc.state());
  }
}

describe("no-echo convergence (v2), randomised", () => {
  it("every replica ends equal to the hub's board, over 300 seeded runs", () => {
    for (let seed = 1; seed <= 300; seed++) run(seed);
  });
});
