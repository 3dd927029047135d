// The TypeScript core against the golden vectors in shared/vectors/ (the files pytest reads).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pack, unpack } from "../src/core/codec";
import { Document } from "../src/core/document";
import { decodeClient, decodeFrame, decodeServer, encodeMessage, type ClientMessage } from "../src/core/messages";
import type { Op } from "../src/core/ops";
import { ProtocolError } from "../src/core/schema";

const dir = fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));
const index = JSON.parse(readFileSync(dir + "index.json", "utf8")) as {
  messages: { name: string; direction: "client" | "server"; file: string; expect?: Record<string, unknown>; error?: string }[];
  merge: { name: string; ops: Op[]; state?: unknown; visible?: unknown; error?: string }[];
  frames?: { name: string; direction: "server"; file: string; expect: Record<string, unknown>[] }[];
};

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}

describe("message vectors", () => {
  it("has cases", () => expect(index.messages.length).toBeGreaterThan(30));
  for (const c of index.messages) {
    const bytes = new Uint8Array(readFileSync(dir + c.file));
    const decode = c.direction === "client" ? decodeClient : decodeServer;
    if (c.expect !== undefined) {
      it(`${c.name}: decodes to the expected map`, () => {
        expect(codeOf(() => decode(bytes))).toBeNull();
        expect(unpack(bytes)).toEqual(c.expect);
      });
      it(`${c.name}: encodes to the same bytes`, () => {
        expect(Buffer.from(pack(c.expect))).toEqual(Buffer.from(bytes));
        if (c.direction === "client") {
          // The typed message, rebuilt by the client's own constructors, encodes identically.
          const msg = decodeClient(bytes) as ClientMessage;
          const expected: Record<string, unknown> = { ...c.expect };
          if (msg.t === "subscribe" && !("ref" in expected)) expected.ref = null;
          expect(Buffer.from(encodeMessage(msg))).toEqual(Buffer.from(pack(expected)));
        }
      });
    } else {
      it(`${c.name}: refused with ${c.error}`, () => {
        expect(codeOf(() => decode(bytes))).toBe(c.error);
      });
    }
  }
});

describe("frame vectors (protocol v2: several messages in one hub frame)", () => {
  for (const c of index.frames ?? []) {
    it(`${c.name}: decodes to the expected messages, in order`, () => {
      const bytes = new Uint8Array(readFileSync(dir + c.file));
      const { messages, skipped } = decodeFrame(bytes);
      expect(skipped).toBe(0);
      expect(messages.map((m) => m.t)).toEqual(c.expect.map((m) => m.t));
      // Each message is its own msgpack value, the same bytes as encoded alone.
      expect(Buffer.from(c.expect.map((m) => Buffer.from(pack(m))).reduce((a, b) => Buffer.concat([a, b])))).toEqual(Buffer.from(bytes));
    });
  }
});

describe("merge vectors", () => {
  for (const c of index.merge) {
    if (c.error !== undefined) {
      it(`${c.name}: refused with ${c.error}`, () => {
        const doc = new Document();
        let code: string | null = null;
        for (const op of c.ops) code = codeOf(() => doc.apply(op)) ?? code;
        expect(code).toBe(c.error);
      });
      continue;
    }
    it(`${c.name}: any order gives the expected state and view`, () => {
      const orders = c.ops.length <= 6 ? permutations(c.ops) : [c.ops, [...c.ops].reverse()];
      for (const order of orders) {
        const doc = new Document(order);
        expect(doc.state()).toEqual(c.state);
        expect(doc.visible()).toEqual(c.visible);
      }
    });
  }
});
