// The facilitator console's and plenary screen's pure logic: the hub clock and timers,
// programme editing, the workshop state, the plenary layout, frame coalescing, and the
// workshop connection (controls answered by done/error, boards followed by readability).
import { describe, expect, it } from "vitest";
import { FakeSocket } from "./fake-socket";
import { gridColumns, step } from "../src/plenary/layout";
import { HubClock, formatClock, remainingMs, timerPhase } from "../src/workshop/clock";
import { ControlError, WorkshopLink } from "../src/workshop/link";
import { edit, freshBoardKey, groupsFor, normalise, problems, sharesWith, totalMinutes } from "../src/workshop/programme";
import { boardRounds, currentPart, isCurrentRoundBoard, isLastPart, isNewer, otherRoundBoards, parseBoard, parseQuestionRef, parseState, partnersOf, plenaryBoards, questionRef, roundKey, type Programme, type TimerState } from "../src/workshop/state";
import { FrameScheduler, fitView } from "../src/workshop/view";

const timer = (t: Partial<TimerState>): TimerState => ({ duration_ms: 600_000, remaining_ms: 600_000, running: false, ends_at: null, ...t });

describe("hub clock and timers", () => {
  it("estimates the offset from a ping round trip (half the round trip)", () => {
    const c = new HubClock();
    // Sent at local 1000, received at 1100; the hub said 5050 → offset 5050 + 50 − 1100.
    expect(c.sample(5050, 1000, 1100)).toBe(4000);
    expect(c.now(2000)).toBe(6000);
  });

  it("prefers the sample with the shortest round trip", () => {
    const c = new HubClock();
    c.sample(5050, 1000, 1100); // rtt 100 → 4000
    c.sample(7000, 2000, 2990); // rtt 990 → a worse estimate (4505)
    expect(c.offset).toBe(4000);
    c.sample(9010, 5000, 5020); // rtt 20 → 4000
    expect(c.offset).toBe(4000);
  });

  it("two devices with different clocks show the same remaining time", () => {
    const ends = 1_000_000 + 300_000;
    const a = new HubClock();
    const b = new HubClock();
    a.sample(1_000_000, 10_000, 10_000); // device A is 990 s behind the hub
    b.sample(1_000_000, 2_000_000, 2_000_000); // device B is 1000 s ahead
    const t = timer({ running: true, ends_at: ends });
    expect(remainingMs(t, a.now(10_000 + 60_000))).toBe(240_000);
    expect(remainingMs(t, b.now(2_000_000 + 60_000))).toBe(240_000);
  });

  it("a paused timer shows what is left; a finished one never goes below zero", () => {
    expect(remainingMs(timer({ remaining_ms: 42_000 }), 123)).toBe(42_000);
    expect(remainingMs(timer({ running: true, ends_at: 1000 }), 5000)).toBe(0);
  });

  it("formats rounding up, with hours when needed", () => {
    expect(formatClock(600_000)).toBe("10:00");
    expect(formatClock(59_001)).toBe("1:00");
    expect(formatClock(59_000)).toBe("0:59");
    expect(formatClock(1)).toBe("0:01");
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(-5)).toBe("0:00");
    expect(formatClock(3_661_000)).toBe("1:01:01");
  });

  it("phases: idle, running, ending (last minute), paused, up", () => {
    expect(timerPhase(timer({}), 0)).toBe("idle");
    expect(timerPhase(timer({ running: true, ends_at: 600_000 }), 0)).toBe("running");
    expect(timerPhase(timer({ running: true, ends_at: 600_000 }), 560_000)).toBe("ending");
    expect(timerPhase(timer({ remaining_ms: 30_000 }), 0)).toBe("paused");
    expect(timerPhase(timer({ running: true, ends_at: 600_000 }), 600_000)).toBe("up");
    expect(timerPhase(timer({ remaining_ms: 0 }), 0)).toBe("up");
  });
});

const P: Programme = [
  { title: "Intro", parts: [{ title: "Pairs", minutes: 4, mode: "group" }], questions: ["Who are you?"] },
  {
    title: "Round 3",
    parts: [
      { title: "Alone", minutes: 10, mode: "individual" },
      { title: "Exchange", minutes: 5, mode: "pair" },
    ],
    questions: [],
  },
];

describe("programme editing", () => {
  it("edits return a new programme and leave the old one alone", () => {
    const q = edit(P, { op: "setPart", round: 1, part: 0, fields: { minutes: 12, title: "Alone!" } });
    expect(q[1]!.parts[0]).toEqual({ title: "Alone!", minutes: 12, mode: "individual" });
    expect(P[1]!.parts[0]!.minutes).toBe(10);
  });

  it("adds, moves and removes rounds, parts and questions", () => {
    let q = edit(P, { op: "addRound", title: "Closing", part: { title: "Bye", minutes: 5, mode: "plenary" } });
    expect(q.map((r) => r.title)).toEqual(["Intro", "Round 3", "Closing"]);
    q = edit(q, { op: "moveRound", round: 2, to: 0 });
    expect(q.map((r) => r.title)).toEqual(["Closing", "Intro", "Round 3"]);
    q = edit(q, { op: "removeRound", round: 0 });
    expect(q.map((r) => r.title)).toEqual(["Intro", "Round 3"]);
    q = edit(q, { op: "movePart", round: 1, part: 1, to: 0 });
    expect(q[1]!.parts.map((p) => p.mode)).toEqual(["pair", "individual"]);
    q = edit(q, { op: "addQuestion", round: 1, text: "Where are the movers?" });
    q = edit(q, { op: "setQuestion", round: 1, question: 0, text: "Where are the schakels?" });
    expect(q[1]!.questions).toEqual(["Where are the schakels?"]);
    q = edit(q, { op: "removeQuestion", round: 1, question: 0 });
    expect(q[1]!.questions).toEqual([]);
    q = edit(q, { op: "addPart", round: 0, part: { title: "More", minutes: 3, mode: "group" } });
    q = edit(q, { op: "removePart", round: 0, part: 0 });
    expect(q[0]!.parts.map((p) => p.title)).toEqual(["More"]);
  });

  it("never removes the last round or a round's last part; ignores edits that point nowhere", () => {
    const one: Programme = [P[0]!];
    expect(edit(one, { op: "removeRound", round: 0 })).toEqual(one);
    expect(edit(one, { op: "removePart", round: 0, part: 0 })).toEqual(one);
    expect(edit(one, { op: "setPart", round: 5, part: 0, fields: { minutes: 3 } })).toEqual(one);
    expect(edit(one, { op: "moveRound", round: 0, to: -1 })).toEqual(one);
    expect(edit(one, { op: "setPart", round: 0, part: 0, fields: { mode: "nonsense" as never } })).toEqual(one);
  });

  it("finds what the hub would refuse", () => {
    expect(problems(P)).toEqual([]);
    let q = edit(P, { op: "setPart", round: 0, part: 0, fields: { minutes: 0 } });
    q = edit(q, { op: "setRound", round: 1, title: "  " });
    q = edit(q, { op: "addQuestion", round: 1, text: "" });
    expect(problems(q).map((p) => p.what).sort()).toEqual(["minutes", "question", "roundTitle"]);
    expect(problems([]).map((p) => p.what)).toEqual(["noRounds"]);
    const long = Array.from({ length: 13 }, () => "q");
    expect(problems([{ ...P[0]!, questions: long }]).map((p) => p.what)).toEqual(["tooManyQuestions"]);
    expect(problems([{ ...P[0]!, parts: [{ title: "x", minutes: 2.5, mode: "group" }] }]).map((p) => p.what)).toEqual(["minutes"]);
  });

  it("gives a new round fresh boards, and says and changes which rounds share boards", () => {
    const keyed: Programme = [
      { title: "Intro", board: "intro", parts: [{ title: "Pairs", minutes: 4, mode: "pair" }], questions: [] },
      { title: "R1", board: "r1", parts: [{ title: "Groups", minutes: 10, mode: "group" }], questions: [] },
      { title: "Closing", board: "r1", parts: [{ title: "Bye", minutes: 5, mode: "plenary", sheet: "polarisation" }], questions: [] },
    ];
    expect(freshBoardKey(keyed)).toBe("r2");
    expect([0, 1, 2].map((i) => sharesWith(keyed, i))).toEqual([null, null, 1]);
    let q = edit(keyed, { op: "addRound", title: "R2", part: { title: "G", minutes: 5, mode: "group" } });
    expect(q[3]!.board).toBe("r2");
    q = edit(q, { op: "shareBoards", round: 2, with: null }); // the closing gets boards of its own
    expect(q[2]!.board).toBe("r3");
    q = edit(q, { op: "shareBoards", round: 3, with: 0 });
    expect(q[3]!.board).toBe("intro");
    expect(edit(q, { op: "shareBoards", round: 3, with: 3 })).toEqual(q); // not with itself
    expect(edit(q, { op: "shareBoards", round: 3, with: 9 })).toEqual(q);
    // Rounds without a key share the workshop's first boards; sharing with one removes the key.
    const old: Programme = [{ title: "A", parts: [{ title: "p", minutes: 3, mode: "group" }], questions: [] }, keyed[1]!];
    expect(sharesWith(old, 0)).toBeNull();
    expect(edit(old, { op: "shareBoards", round: 1, with: 0 })[1]!.board).toBeUndefined();
    // The part's explanation is set and taken away; bad keys are found before saving.
    expect(edit(keyed, { op: "setPart", round: 2, part: 0, fields: { sheet: undefined } })[2]!.parts[0]!.sheet).toBeUndefined();
    expect(edit(keyed, { op: "setPart", round: 1, part: 0, fields: { sheet: "polarisation" } })[1]!.parts[0]!.sheet).toBe("polarisation");
    expect(problems([{ ...keyed[0]!, board: "a:b" }]).map((p) => p.what)).toEqual(["board"]);
    expect(normalise(keyed)).toEqual(keyed);
  });

  it("trims text, counts minutes, and sizes groups of four", () => {
    expect(normalise([{ title: " A ", parts: [{ title: " p ", minutes: 3, mode: "group" }], questions: [" q "] }])).toEqual([{ title: "A", parts: [{ title: "p", minutes: 3, mode: "group" }], questions: ["q"] }]);
    expect(totalMinutes(P)).toBe(19);
    expect([1, 4, 5, 8, 9, 30, 1000].map(groupsFor)).toEqual([1, 1, 2, 2, 3, 8, 50]);
  });
});

const RAW = {
  id: "w1",
  title: "Avond",
  join_code: "K7MQ4P",
  groups: 2,
  version: 7,
  programme: P,
  participants: [
    { id: "a", name: "Ann", group: 1, joined: 1 },
    { id: "b", name: "Bo", group: 1, joined: 2 },
    { id: "c", name: "Cas", group: 1, joined: 3 },
    { id: "e", name: "Eva", group: 2, joined: 4 },
  ],
  boards: ["w1:g1", "w1:g2", "w1:pa", "w1:pb", "w1:pc", "w1:pe"],
  group_boards: ["w1:g1", "w1:g2"],
  current_boards: ["w1:pa", "w1:pb", "w1:pc", "w1:pe"],
  mode: "pair",
  pairs: [["a", "b", "c"], ["e"]],
  session: { round: 1, part: 1, timer: { duration_ms: 300000, remaining_ms: 300000, running: false, ends_at: null }, locked: false, spotlight: "w1:pb", revealed: ["w1:pa", "w1:nope"] },
  you: { role: "viewer", participant: null, board: null, readable: ["w1:g1", "w1:g2", "w1:pa", "w1:pb"], writable: [] },
};

describe("workshop state", () => {
  it("reads the hub's state, with harmless defaults for what is missing", () => {
    const s = parseState(RAW);
    expect(currentPart(s)?.title).toBe("Exchange");
    expect(isLastPart(s)).toBe(true);
    expect(partnersOf(s, "a").map((p) => p.name)).toEqual(["Bo", "Cas"]);
    expect(partnersOf(s, "e")).toEqual([]);
    const empty = parseState({});
    expect(empty.programme).toEqual([]);
    expect(empty.session.timer.running).toBe(false);
    expect(currentPart(empty)).toBeNull();
  });

  it("ignores an older state", () => {
    const s = parseState(RAW);
    expect(isNewer(parseState({ ...RAW, version: 6 }), s)).toBe(false);
    expect(isNewer(parseState({ ...RAW, version: 8 }), s)).toBe(true);
    expect(isNewer(s, null)).toBe(true);
  });

  it("names boards and lists what the plenary shows: this part's, reveals, spotlight", () => {
    expect(parseBoard("w1:g12")).toEqual({ key: null, group: 12 });
    expect(parseBoard("w1:pabc")).toEqual({ key: null, participant: "abc" });
    expect(parseBoard("w1:r2:g3")).toEqual({ key: "r2", group: 3 });
    expect(parseBoard("w1:r3:pabc")).toEqual({ key: "r3", participant: "abc" });
    expect(parseBoard("w1:r3:x")).toEqual({ key: "r3" });
    expect(plenaryBoards(parseState(RAW))).toEqual(["w1:pa", "w1:pb", "w1:pc", "w1:pe"]);
    expect(plenaryBoards(parseState({ ...RAW, current_boards: ["w1:g1"] }))).toEqual(["w1:g1", "w1:pa", "w1:pb"]);
  });

  it("knows which rounds draw on a board, and the other rounds' boards", () => {
    const programme = [
      { title: "Intro", board: "intro", parts: [{ title: "Pairs", minutes: 4, mode: "pair" }], questions: [] },
      { title: "R1", board: "r1", parts: [{ title: "Groups", minutes: 10, mode: "group" }], questions: ["Why?", "How?"] },
      { title: "R3", board: "r3", parts: [{ title: "Alone", minutes: 10, mode: "individual", sheet: "polarisation" }], questions: [] },
      { title: "Closing", board: "r3", parts: [{ title: "Bye", minutes: 5, mode: "plenary", sheet: "nonsense" }], questions: [] },
    ];
    const boards = ["w1:intro:pa", "w1:r1:g1", "w1:r3:pa"];
    const s = parseState({ ...RAW, programme, boards, current_boards: ["w1:r3:pa"], session: { ...RAW.session, round: 2, part: 0 } });
    expect(s.programme[2]!.parts[0]!.sheet).toBe("polarisation");
    expect(s.programme[3]!.parts[0]!.sheet).toBeUndefined();
    expect(roundKey(s)).toBe("r3");
    expect(boardRounds(s, "w1:r3:pa")).toEqual([2, 3]);
    expect(isCurrentRoundBoard(s, "w1:r3:pa")).toBe(true);
    expect(otherRoundBoards(s)).toEqual([
      { key: "intro", rounds: [0], boards: ["w1:intro:pa"] },
      { key: "r1", rounds: [1], boards: ["w1:r1:g1"] },
    ]);
    expect(questionRef(1, 0)).toBe("1.0");
    expect(parseQuestionRef("1.1")).toEqual({ round: 1, question: 1 });
    expect(parseQuestionRef("x")).toBeNull();
    expect(parseQuestionRef(undefined)).toBeNull();
  });
});

describe("plenary layout and frames", () => {
  it("chooses the column count that gives the largest tiles", () => {
    expect(gridColumns(1, 1880, 700)).toBe(1);
    expect(gridColumns(2, 1880, 700)).toBe(2);
    expect(gridColumns(4, 1880, 700)).toBe(4);
    expect(gridColumns(6, 1880, 800)).toBe(3);
    const c = gridColumns(50, 1880, 800);
    expect(c).toBeGreaterThanOrEqual(8);
    expect(c).toBeLessThanOrEqual(12);
  });

  it("steps through the maps with wrap-around; from the overview to the first or last", () => {
    const b = ["g1", "g2", "g3"];
    expect(step(b, null, 1)).toBe("g1");
    expect(step(b, null, -1)).toBe("g3");
    expect(step(b, "g3", 1)).toBe("g1");
    expect(step(b, "g1", -1)).toBe("g3");
    expect(step([], null, 1)).toBeNull();
  });

  it("fits the content into a tile, centred", () => {
    const v = fitView([0, 0, 100, 50], 220, 120, 10);
    expect(v.s).toBeCloseTo(1.6); // capped
    expect(v.x + 50 * v.s).toBeCloseTo(110);
    expect(v.y + 25 * v.s).toBeCloseTo(60);
    const big = fitView([-1000, -500, 1000, 500], 420, 220, 10);
    expect(big.s).toBeCloseTo(0.2);
    expect(fitView(null, 200, 100, 10)).toEqual({ x: 100, y: 50, s: 1 });
  });

  it("coalesces many updates into one render per view per frame", () => {
    const queued: (() => void)[] = [];
    const f = new FrameScheduler((cb) => queued.push(cb));
    const painted: number[] = [];
    const jobs = Array.from({ length: 50 }, (_, i) => () => painted.push(i));
    for (let k = 0; k < 20; k++) for (const j of jobs) f.schedule(j); // 1000 updates
    expect(queued.length).toBe(1);
    queued.shift()!();
    expect(painted.length).toBe(50);
    expect(f.frames).toBe(1);
    f.schedule(jobs[0]!);
    expect(queued.length).toBe(1);
  });
});

describe("workshop connection", () => {
  function connected(): { link: WorkshopLink; sock: FakeSocket } {
    const link = new WorkshopLink({ url: "ws://hub/ws", token: "tok", clientId: "web-test-console", WebSocketImpl: FakeSocket as unknown as typeof WebSocket, heartbeatMs: 60_000 });
    link.start();
    const sock = FakeSocket.last!;
    sock.open();
    sock.deliver({ t: "welcome", v: 1, conn: "c1", role: "viewer", workshop: "w1", participant: null, boards: [], writable: [], time: Date.now() + 5000, limits: {} });
    sock.deliver({ t: "workshop", workshop: "w1", state: RAW });
    return { link, sock };
  }

  it("learns the hub's clock, and subscribes only to readable boards it follows", () => {
    const { link, sock } = connected();
    expect(sock.sent[0]).toMatchObject({ t: "hello", token: "tok" });
    expect(Math.round(link.clock.offset / 100)).toBe(50);
    link.follow(["w1:g1", "w1:g2", "w1:pe"]);
    const subs = sock.sent.filter((m) => m.t === "subscribe").map((m) => m.board);
    expect(subs).toEqual(["w1:g1", "w1:g2"]);
    sock.deliver({ t: "sync", board: "w1:g1", seq: 2, full: true, ops: [["a1", "actor", "label", "Imam", 1, "x"]], ref: 1 });
    expect(link.replica("w1:g1")!.doc.get("a1")!.label).toBe("Imam");
    link.follow(["w1:g2"]);
    expect(sock.sent[sock.sent.length - 1]).toEqual({ t: "unsubscribe", board: "w1:g1" });
    link.close();
  });

  it("resolves a control on done and rejects it with the hub's error", async () => {
    const { link, sock } = connected();
    const ok = link.control("start");
    const sent = sock.sent[sock.sent.length - 1]!;
    expect(sent).toMatchObject({ t: "control", action: "start", args: {} });
    sock.deliver({ t: "done", ref: sent.ref });
    await expect(ok).resolves.toBeUndefined();
    const refused = link.control("next");
    const ref = sock.sent[sock.sent.length - 1]!.ref;
    sock.deliver({ t: "error", code: "conflict", reason: "this is the last part of the programme", ref });
    await expect(refused).rejects.toBeInstanceOf(ControlError);
    link.close();
  });
});

describe("copying an actor from a partner's map", () => {
  it("keeps what describes the actor, not its id, position or tombstone", async () => {
    const { copyableActor } = await import("../src/workshop/bar");
    const o = { type: "actor", label: "Imam", kind: "person", roles: ["schakel"], stance: "middle", influence: 4, pos: [1, 2], deleted: false, note: null };
    const roles = { role_pusher: false, role_joiner: false, role_silent: false, role_bridge_builder: false, role_scapegoat: false, role_schakel: true, role_mover: false };
    expect(copyableActor(o)).toEqual({ label: "Imam", kind: "person", stance: "middle", influence: 4, ...roles });
  });

  it("offers the relations between actors copied, once, pointing at the copies", async () => {
    const { relationsBetween } = await import("../src/workshop/bar");
    const { Document } = await import("../src/core/document");
    let c = 0;
    const ops = Object.entries({
      a: { type: "actor", label: "A" },
      b: { type: "actor", label: "B" },
      z: { type: "actor", label: "Z" },
      ab: { type: "relation", source: "a", target: "b", sign: "-", label: "ruzie" },
      az: { type: "relation", source: "a", target: "z" },
    }).flatMap(([id, o]) => Object.entries(o).filter(([k]) => k !== "type").map(([f, v]) => [id, o.type, f, v, ++c, "t"] as [string, "actor", string, unknown, number, string]));
    const doc = new Document(ops);
    const copied = new Map([["a", "mine-a"], ["b", "mine-b"]]);
    expect(relationsBetween(doc, copied, new Set())).toEqual([{ id: "ab", fields: { source: "mine-a", target: "mine-b", sign: "-", label: "ruzie" } }]);
    expect(relationsBetween(doc, copied, new Set(["ab"]))).toEqual([]);
  });
});
