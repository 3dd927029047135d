/** The `workshop` state every connection receives (PROTOCOL.md, "Running the workshop"). */
export type Mode = "group" | "pair" | "individual" | "plenary";
export const MODES: readonly Mode[] = ["group", "pair", "individual", "plenary"];

/** Explanations a part may show on the beamer and the tablets (programme `sheet`). */
export type Sheet = "polarisation";
export const SHEETS: readonly Sheet[] = ["polarisation"];

export interface Part {
  title: string;
  minutes: number;
  mode: Mode;
  sheet?: Sheet;
}
export interface Round {
  title: string;
  parts: Part[];
  questions: string[];
  /** Board key: rounds with the same key share boards; none: the original boards. */
  board?: string;
}
export type Programme = Round[];

export interface TimerState {
  duration_ms: number;
  remaining_ms: number;
  running: boolean;
  ends_at: number | null;
}
export interface SessionState {
  round: number;
  part: number;
  timer: TimerState;
  locked: boolean;
  spotlight: string | null;
  revealed: string[];
  /** The plenary screen shows the analysis layer. */
  analysis: boolean;
  /** The join code lets people in (the facilitator may close it). */
  joining: boolean;
}
export interface Participant {
  id: string;
  name: string;
  group: number;
  joined: number;
}
export interface You {
  role: string;
  participant: string | null;
  board: string | null;
  readable: string[];
  writable: string[];
}
export interface WorkshopState {
  id: string;
  title: string;
  date: string;
  join_code: string;
  groups: number;
  version: number;
  programme: Programme;
  participants: Participant[];
  boards: string[];
  group_boards: string[];
  current_boards: string[];
  mode: Mode;
  pairs: string[][];
  session: SessionState;
  you: You;
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Read a hub `workshop` state map defensively (missing keys get harmless defaults). */
export function parseState(raw: Record<string, unknown>): WorkshopState {
  const s = (raw.session ?? {}) as Record<string, unknown>;
  const tm = (s.timer ?? {}) as Record<string, unknown>;
  const you = (raw.you ?? {}) as Record<string, unknown>;
  const mode = MODES.includes(raw.mode as Mode) ? (raw.mode as Mode) : "group";
  return {
    id: str(raw.id),
    title: str(raw.title),
    date: str(raw.date),
    join_code: str(raw.join_code),
    groups: num(raw.groups),
    version: num(raw.version),
    programme: arr<Record<string, unknown>>(raw.programme).map((r) => ({
      title: str(r.title),
      questions: arr<unknown>(r.questions).map(str),
      parts: arr<Record<string, unknown>>(r.parts).map((p) => ({
        title: str(p.title),
        minutes: num(p.minutes),
        mode: (MODES.includes(p.mode as Mode) ? p.mode : "group") as Mode,
        ...(SHEETS.includes(p.sheet as Sheet) ? { sheet: p.sheet as Sheet } : {}),
      })),
      ...(typeof r.board === "string" && r.board ? { board: r.board } : {}),
    })),
    participants: arr<Record<string, unknown>>(raw.participants).map((p) => ({ id: str(p.id), name: str(p.name), group: num(p.group), joined: num(p.joined) })),
    boards: arr<unknown>(raw.boards).map(str),
    group_boards: arr<unknown>(raw.group_boards).map(str),
    current_boards: arr<unknown>(raw.current_boards).map(str),
    mode,
    pairs: arr<unknown>(raw.pairs).map((p) => arr<unknown>(p).map(str)),
    session: {
      round: num(s.round),
      part: num(s.part),
      timer: { duration_ms: num(tm.duration_ms), remaining_ms: num(tm.remaining_ms), running: tm.running === true, ends_at: typeof tm.ends_at === "number" ? tm.ends_at : null },
      locked: s.locked === true,
      spotlight: typeof s.spotlight === "string" ? s.spotlight : null,
      revealed: arr<unknown>(s.revealed).map(str),
      analysis: s.analysis === true,
      joining: s.joining !== false,
    },
    you: {
      role: str(you.role),
      participant: typeof you.participant === "string" ? you.participant : null,
      board: typeof you.board === "string" ? you.board : null,
      readable: arr<unknown>(you.readable).map(str),
      writable: arr<unknown>(you.writable).map(str),
    },
  };
}

/** A newer state replaces an older one; a late older one is ignored. */
export function isNewer(next: WorkshopState, current: WorkshopState | null): boolean {
  return current === null || next.id !== current.id || next.version >= current.version;
}

export function currentRound(s: WorkshopState): Round | null {
  return s.programme[s.session.round] ?? null;
}

export function currentPart(s: WorkshopState): Part | null {
  return currentRound(s)?.parts[s.session.part] ?? null;
}

export function isLastPart(s: WorkshopState): boolean {
  const r = s.session.round;
  return r >= s.programme.length - 1 && s.session.part >= (s.programme[r]?.parts.length ?? 1) - 1;
}

/** A board id's parts: `<ws>:<key>:g3` → {key, group: 3}; `<ws>:pabc` → {key: null, participant: "abc"}. */
export function parseBoard(board: string): { key: string | null; group?: number; participant?: string } {
  const parts = board.split(":");
  const key = parts.length === 3 ? parts[1]! : null;
  const local = parts[parts.length - 1] ?? "";
  if (parts.length < 2 || parts.length > 3) return { key };
  if (/^g[1-9]\d*$/.test(local)) return { key, group: Number(local.slice(1)) };
  if (/^p.+$/.test(local)) return { key, participant: local.slice(1) };
  return { key };
}

/** The board key of a round (null: the original boards that keyless rounds share). */
export function roundKey(s: WorkshopState, round: number = s.session.round): string | null {
  return s.programme[round]?.board ?? null;
}

/** The rounds (indices) that draw on a board: those with its key. */
export function boardRounds(s: WorkshopState, board: string): number[] {
  const { key } = parseBoard(board);
  return s.programme.flatMap((r, i) => ((r.board ?? null) === key ? [i] : []));
}

/** Whether a board belongs to the current round (its key is the current round's). */
export function isCurrentRoundBoard(s: WorkshopState, board: string): boolean {
  return parseBoard(board).key === roundKey(s);
}

export function membersOf(s: WorkshopState, group: number): Participant[] {
  return s.participants.filter((p) => p.group === group).sort((a, b) => a.joined - b.joined || a.id.localeCompare(b.id));
}

export function participant(s: WorkshopState, id: string): Participant | undefined {
  return s.participants.find((p) => p.id === id);
}

/** The partners of a participant in the current pairs (an odd one out makes a trio). */
export function partnersOf(s: WorkshopState, id: string): Participant[] {
  const pair = s.pairs.find((p) => p.includes(id)) ?? [];
  return pair.filter((p) => p !== id).map((p) => participant(s, p)).filter((p): p is Participant => !!p);
}

/** The boards the plenary screen shows: the current part's, then revealed ones. */
export function plenaryBoards(s: WorkshopState): string[] {
  const out = [...s.current_boards];
  for (const b of s.session.revealed) if (!out.includes(b) && s.boards.includes(b)) out.push(b);
  if (s.session.spotlight && !out.includes(s.session.spotlight)) out.push(s.session.spotlight);
  return out;
}

/** The boards of earlier (and later) rounds, per board key in programme order. */
export function otherRoundBoards(s: WorkshopState): { key: string | null; rounds: number[]; boards: string[] }[] {
  const current = roundKey(s);
  const out: { key: string | null; rounds: number[]; boards: string[] }[] = [];
  for (const b of s.boards) {
    const key = parseBoard(b).key;
    if (key === current) continue;
    let entry = out.find((e) => e.key === key);
    if (!entry) out.push((entry = { key, rounds: boardRounds(s, b), boards: [] }));
    entry.boards.push(b);
  }
  return out;
}

/** A note's `question`: `"<round>.<question>"`, both 0-based like `goto`. */
export function questionRef(round: number, question: number): string {
  return `${round}.${question}`;
}

export function parseQuestionRef(v: unknown): { round: number; question: number } | null {
  const m = typeof v === "string" ? /^(\d{1,2})\.(\d{1,2})$/.exec(v) : null;
  return m ? { round: Number(m[1]), question: Number(m[2]) } : null;
}
