import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Follower, HttpError } from "../src/analysis/api";
import { marksOf } from "../src/analysis/overlay";
import { ranked } from "../src/analysis/panel";
import type { BoardAnalysis, Suggestion } from "../src/analysis/types";

const s = (kind: string, actor: string): Suggestion => ({ kind, actors: [actor], relations: [], text: { nl: `${kind} ${actor}?`, en: `${kind} ${actor}?` }, game_changers: [] });

function analysis(suggestions: Suggestion[]): BoardAnalysis {
  return {
    version: 1,
    headline: { actors: 3, relations: 2, score: 50, ei_index: 0, balanced_share: null, frustration: 0, communities: 1, schakels: 1, movers: 0, fragile: 0 },
    important: [],
    suggestions,
    fragile: [],
    whatif: [],
    polarisation: { score: 50, closure: 0.5, hostility: 1, distance: 0, no_score_reason: "", camps: {}, frustrated_relations: [] },
    game_changers: [],
    meta: {},
  };
}

describe("the marks on the map", () => {
  it("gives each actor its marks once, in the deck's order", () => {
    const a = analysis([s("mover", "x"), s("schakel", "x"), s("only_way", "x"), s("pusher", "y"), s("role_question", "z"), s("hint", "")]);
    const marks = marksOf(a);
    expect([...marks.entries()]).toEqual([
      ["x", ["schakel", "mover"]],
      ["y", ["pusher"]],
    ]);
  });

  it("ranks the deck's three kinds of players first", () => {
    const a = analysis([s("hint", ""), s("whatif", "w"), s("mover", "m"), s("volger", "v"), s("schakel", "k"), s("scapegoat", "z")]);
    expect(ranked(a).map((x) => x.kind)).toEqual(["schakel", "volger", "mover", "scapegoat", "whatif", "hint"]);
  });
});

describe("following an analysis", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("asks at once, then once after changes settle, one request at a time", async () => {
    let calls = 0;
    let release: (() => void) | null = null;
    const fetch = () =>
      new Promise<number>((resolve) => {
        calls++;
        release = () => resolve(calls);
      });
    const results: (number | null)[] = [];
    const f = new Follower(fetch, () => results.push(f.result), 500);
    expect(calls).toBe(1);
    release!();
    await vi.runAllTimersAsync();
    expect(results).toEqual([1]);
    // Five changes in quick succession: one request, after the quiet period.
    for (let i = 0; i < 5; i++) {
      f.changed();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(2);
    // A change while a request is in flight asks once more when it is done.
    f.changed();
    await vi.advanceTimersByTimeAsync(600);
    expect(calls).toBe(2);
    release!();
    await vi.runAllTimersAsync();
    expect(calls).toBe(3);
    release!();
    await vi.runAllTimersAsync();
    expect(results).toEqual([1, 2, 3]);
    f.close();
    f.changed();
    await vi.runAllTimersAsync();
    expect(calls).toBe(3);
  });

  it("keeps the error and the last good result", async () => {
    let fail = false;
    const f = new Follower(
      () => (fail ? Promise.reject(new HttpError(403, "forbidden", "no")) : Promise.resolve("ok")),
      () => undefined,
      10,
    );
    await vi.runAllTimersAsync();
    expect(f.result).toBe("ok");
    fail = true;
    f.changed();
    await vi.runAllTimersAsync();
    expect(f.result).toBe("ok");
    expect(f.error?.code).toBe("forbidden");
    f.close();
  });
});
