// The board renderer's visual vocabulary: one colour-blind-safe palette, a distinct dash per
// relation kind, and SVG ids that stay unique with many boards on one page (the plenary grid).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Op } from "../src/core/ops";
import { Document } from "../src/core/document";
import { RELATION_KINDS, ROLES, STANCES } from "../src/core/schema";
import { BoardRenderer } from "../src/board/render";
import { RELATION_DASH, ROLE_COLOUR, ROLE_TEXT, SIGN_COLOUR, STANCE_COLOUR, relationDash } from "../src/board/style";

/** Just enough of the DOM for BoardRenderer (the tests run in node). */
class FakeElement {
  attrs = new Map<string, string>();
  children: FakeElement[] = [];
  parent: FakeElement | null = null;
  dataset: Record<string, string> = {};
  style = { display: "", setProperty: () => undefined };
  classList = { add: () => undefined, remove: () => undefined, toggle: () => false };
  textContent = "";
  constructor(readonly tagName: string) {}
  setAttribute(k: string, v: string): void { this.attrs.set(k, String(v)); }
  getAttribute(k: string): string | null { return this.attrs.get(k) ?? null; }
  removeAttribute(k: string): void { this.attrs.delete(k); }
  appendChild(c: FakeElement): FakeElement { c.remove(); c.parent = this; this.children.push(c); return c; }
  remove(): void { if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this); this.parent = null; }
  replaceChildren(...cs: FakeElement[]): void { for (const c of [...this.children]) c.remove(); for (const c of cs) this.appendChild(c); }
  get childElementCount(): number { return this.children.length; }
  get firstElementChild(): FakeElement | null { return this.children[0] ?? null; }
  get lastElementChild(): FakeElement | null { return this.children[this.children.length - 1] ?? null; }
  get isConnected(): boolean { return true; }
  querySelector(): FakeElement { return new FakeElement("div"); }
  /** Every element below this one (depth first). */
  all(): FakeElement[] { return this.children.flatMap((c) => [c, ...c.all()]); }
}

const g = globalThis as unknown as { document?: unknown };
let saved: unknown;
beforeAll(() => {
  saved = g.document;
  g.document = { createElementNS: (_ns: string, tag: string) => new FakeElement(tag) };
});
afterAll(() => {
  g.document = saved;
});

function map(): Document {
  const ops: Op[] = [];
  let c = 0;
  const add = (id: string, type: "actor" | "relation", fields: Record<string, unknown>) => {
    for (const [f, v] of Object.entries(fields)) ops.push([id, type, f, v, ++c, "t"] as Op);
  };
  add("a1", "actor", { label: "Imam", pos: [0, 0], roles: ["schakel", "mover"] });
  add("a2", "actor", { label: "Wijkagent", pos: [400, 0] });
  add("r1", "relation", { source: "a1", target: "a2", sign: "+", direction: "both", kind: "influence" });
  add("r2", "relation", { source: "a2", target: "a1", sign: "-", direction: "forward", kind: "conflict" });
  return new Document(ops);
}

function renderInto(): FakeElement {
  const el = new FakeElement("svg");
  new BoardRenderer(el as unknown as SVGSVGElement).render(map());
  return el;
}

describe("board renderer ids", () => {
  it("gives every renderer its own marker ids, and lines point at their own renderer's", () => {
    const boards = [renderInto(), renderInto(), renderInto()];
    const ids = boards.flatMap((b) => b.all().map((e) => e.getAttribute("id")).filter((x): x is string => x !== null));
    expect(ids.length).toBe(9); // three arrowheads each
    expect(new Set(ids).size).toBe(ids.length);
    for (const b of boards) {
      const own = new Set(b.all().filter((e) => e.tagName === "marker").map((e) => e.getAttribute("id")));
      const refs = b.all().flatMap((e) => [e.getAttribute("marker-start"), e.getAttribute("marker-end")]).filter((x): x is string => x !== null);
      expect(refs.length).toBe(3); // r1 both ways, r2 forward
      for (const r of refs) expect(own.has(r.replace(/^url\(#(.*)\)$/, "$1"))).toBe(true);
    }
  });
});

describe("relation dashes", () => {
  it("draws every kind with its own pattern", () => {
    const dashes = RELATION_KINDS.map((k) => relationDash(k, 4));
    expect(new Set(dashes).size).toBe(RELATION_KINDS.length);
    expect(RELATION_KINDS.every((k) => k in RELATION_DASH)).toBe(true);
  });

  it("scales with the line so gaps stay open under round caps at every strength", () => {
    expect(relationDash("tension", 2)).toBe("5 5");
    expect(relationDash("alliance", 4)).toBeNull();
    for (const k of RELATION_KINDS) {
      const d = RELATION_DASH[k]!;
      d.forEach((n, i) => {
        if (i % 2 === 1) expect(n).toBeGreaterThan(1.5); // a gap wider than the two half-caps
      });
    }
  });

  it("the renderer uses it on the line", () => {
    const lines = renderInto().all().filter((e) => e.getAttribute("data-kind") === "conflict");
    expect(lines.length).toBe(1);
    expect(lines[0]!.getAttribute("stroke-dasharray")).toBe(relationDash("conflict", Number(lines[0]!.getAttribute("stroke-width"))));
  });
});

describe("palette", () => {
  const lum = (hex: string): number => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string): number => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x! + 0.05) / (y! + 0.05);
  };
  const OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"];

  it("role pills have readable text (at least 4.5:1)", () => {
    for (const r of ROLES) expect(contrast(ROLE_COLOUR[r]!, ROLE_TEXT[r]!)).toBeGreaterThanOrEqual(4.5);
  });

  it("signs and stances use Okabe–Ito colours, no red against green", () => {
    expect(OKABE_ITO).toContain(SIGN_COLOUR["+"]);
    expect(OKABE_ITO).toContain(SIGN_COLOUR["-"]);
    const stances = STANCES.map((s) => STANCE_COLOUR[s]);
    expect(new Set(stances).size).toBe(STANCES.length);
    for (const s of ["pole_a", "middle", "pole_b"]) expect(OKABE_ITO).toContain(STANCE_COLOUR[s]);
  });
});
