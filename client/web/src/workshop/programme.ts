/**
 * Editing a programme: pure functions that return a new programme (the console's editor
 * calls them, then sends the result with the `programme` control), and the same limits
 * the hub checks (shared/schakel_core/programme.py), so mistakes show before saving.
 */
import { MODES, SHEETS, type Mode, type Part, type Programme, type Round } from "./state";

export const LIMITS = { rounds: 20, parts: 10, questions: 12, text: 500, minutes: 240 };
export const BOARD_KEY = /^[A-Za-z0-9_-]{1,16}$/;

const clone = (p: Programme): Programme => p.map((r) => ({ ...r, questions: [...r.questions], parts: r.parts.map((x) => ({ ...x })) }));

/** A board key no round of `p` uses yet: "r1", "r2", … */
export function freshBoardKey(p: Programme): string {
  const used = new Set(p.map((r) => r.board));
  let n = 1;
  while (used.has(`r${n}`)) n++;
  return `r${n}`;
}

/** The first earlier round that shares round `i`'s boards, or null: it has boards of its own. */
export function sharesWith(p: Programme, i: number): number | null {
  const key = p[i]?.board;
  const j = p.findIndex((r) => r.board === key);
  return j >= 0 && j < i ? j : null;
}

function move<T>(list: T[], from: number, to: number): T[] {
  if (from < 0 || from >= list.length || to < 0 || to >= list.length) return list;
  const out = [...list];
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x!);
  return out;
}

export type Edit =
  | { op: "addRound"; title: string; part: Part }
  | { op: "removeRound"; round: number }
  | { op: "moveRound"; round: number; to: number }
  | { op: "setRound"; round: number; title: string }
  | { op: "shareBoards"; round: number; with: number | null }
  | { op: "addPart"; round: number; part: Part }
  | { op: "removePart"; round: number; part: number }
  | { op: "movePart"; round: number; part: number; to: number }
  | { op: "setPart"; round: number; part: number; fields: Partial<Part> }
  | { op: "addQuestion"; round: number; text: string }
  | { op: "removeQuestion"; round: number; question: number }
  | { op: "setQuestion"; round: number; question: number; text: string };

/** Apply one edit; an edit that points nowhere returns the programme unchanged. */
export function edit(p: Programme, e: Edit): Programme {
  const out = clone(p);
  const r: Round | undefined = "round" in e ? out[e.round] : undefined;
  switch (e.op) {
    case "addRound":
      out.push({ title: e.title, parts: [{ ...e.part }], questions: [], board: freshBoardKey(out) });
      return out;
    case "removeRound":
      if (out.length > 1 && r) out.splice(e.round, 1);
      return out;
    case "moveRound":
      return move(out, e.round, e.to);
    case "setRound":
      if (r) r.title = e.title;
      return out;
    case "shareBoards": {
      // null: fresh boards of its own; a round index: the same boards as that round.
      const other = e.with === null ? undefined : out[e.with];
      if (!r || (e.with !== null && (!other || e.with === e.round))) return out;
      const key = other ? other.board : freshBoardKey(out);
      if (key === undefined) delete r.board;
      else r.board = key;
      return out;
    }
    case "addPart":
      if (r) r.parts.push({ ...e.part });
      return out;
    case "removePart":
      if (r && r.parts.length > 1 && e.part < r.parts.length) r.parts.splice(e.part, 1);
      return out;
    case "movePart":
      if (r) r.parts = move(r.parts, e.part, e.to);
      return out;
    case "setPart": {
      const part = r?.parts[e.part];
      if (part) {
        if (e.fields.title !== undefined) part.title = e.fields.title;
        if (e.fields.minutes !== undefined) part.minutes = e.fields.minutes;
        if (e.fields.mode !== undefined && MODES.includes(e.fields.mode)) part.mode = e.fields.mode as Mode;
        if ("sheet" in e.fields) {
          if (e.fields.sheet && SHEETS.includes(e.fields.sheet)) part.sheet = e.fields.sheet;
          else delete part.sheet;
        }
      }
      return out;
    }
    case "addQuestion":
      if (r) r.questions.push(e.text);
      return out;
    case "removeQuestion":
      if (r && e.question < r.questions.length) r.questions.splice(e.question, 1);
      return out;
    case "setQuestion":
      if (r && e.question < r.questions.length) r.questions[e.question] = e.text;
      return out;
  }
}

export interface Problem {
  round: number;
  part?: number;
  question?: number;
  what: "roundTitle" | "partTitle" | "minutes" | "mode" | "question" | "tooManyParts" | "noParts" | "tooManyQuestions" | "tooManyRounds" | "noRounds" | "board";
}

const textOk = (s: string): boolean => s.trim().length > 0 && s.length <= LIMITS.text;

/** What the hub would refuse, one entry per problem (empty: the programme can be saved). */
export function problems(p: Programme): Problem[] {
  const out: Problem[] = [];
  if (p.length === 0) out.push({ round: -1, what: "noRounds" });
  if (p.length > LIMITS.rounds) out.push({ round: -1, what: "tooManyRounds" });
  p.forEach((r, ri) => {
    if (!textOk(r.title)) out.push({ round: ri, what: "roundTitle" });
    if (r.board !== undefined && !BOARD_KEY.test(r.board)) out.push({ round: ri, what: "board" });
    if (r.parts.length === 0) out.push({ round: ri, what: "noParts" });
    if (r.parts.length > LIMITS.parts) out.push({ round: ri, what: "tooManyParts" });
    if (r.questions.length > LIMITS.questions) out.push({ round: ri, what: "tooManyQuestions" });
    r.parts.forEach((part, pi) => {
      if (!textOk(part.title)) out.push({ round: ri, part: pi, what: "partTitle" });
      if (!Number.isInteger(part.minutes) || part.minutes < 1 || part.minutes > LIMITS.minutes) out.push({ round: ri, part: pi, what: "minutes" });
      if (!MODES.includes(part.mode)) out.push({ round: ri, part: pi, what: "mode" });
    });
    r.questions.forEach((q, qi) => {
      if (!textOk(q)) out.push({ round: ri, question: qi, what: "question" });
    });
  });
  return out;
}

/** Trim texts before sending (the hub stores text as sent). */
export function normalise(p: Programme): Programme {
  return p.map((r) => ({
    title: r.title.trim(),
    questions: r.questions.map((q) => q.trim()),
    parts: r.parts.map((x) => ({ title: x.title.trim(), minutes: x.minutes, mode: x.mode, ...(x.sheet ? { sheet: x.sheet } : {}) })),
    ...(r.board !== undefined ? { board: r.board } : {}),
  }));
}

export function totalMinutes(p: Programme): number {
  return p.reduce((a, r) => a + r.parts.reduce((b, x) => b + x.minutes, 0), 0);
}

/** Groups needed for `people` participants in groups of four (at least one). */
export function groupsFor(people: number): number {
  return Math.min(50, Math.max(1, Math.ceil(people / 4)));
}
