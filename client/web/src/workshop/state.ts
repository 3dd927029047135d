/** The `workshop` state every connection receives (PROTOCOL.md, "Running the workshop"). */
export type Mode = "group" | "pair" | "individual" | "plenary";
export const MODES: readonly Mode[] = ["group", "pair", "individual", "plenary"];

export interface Part {
  title: string;
  minutes: number;
  mode: Mode;
}
export interface Round {
  title: string;
  parts: Part[];
  questions: string[];
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
      parts: arr<Record<string, unknown>>(r.parts).map((p) => ({ title: str(p.title), minutes: num(p.minutes), mode: (MODES.includes(p.mode as Mode) ? p.mode : "group") as Mode })),
    })),
    participants: arr<Record<string, unknown>>(raw.participants).map((p) => ({ id: str(p.id), name: str(p.name), group: num(p.group), joined: num(p.joined) })),
    boards: arr<unknown>(raw.boards).map(str),
    group_boards: arr<unknown>(raw.group_boards).map(str),
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

/** `<ws>:g3` → {group: 3}; `<ws>:pabc` → {participant: "abc"}. */
export function parseBoard(board: string): { group?: number; participant?: string } {
  const local = board.slice(board.indexOf(":") + 1);
  if (/^g\d+$/.test(local)) return { group: Number(local.slice(1)) };
  if (local.startsWith("p")) return { participant: local.slice(1) };
  return {};
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

/** The boards the plenary screen shows: every group's, then revealed personal boards. */
export function plenaryBoards(s: WorkshopState): string[] {
  const out = [...s.group_boards];
  for (const b of s.session.revealed) if (!out.includes(b) && s.boards.includes(b)) out.push(b);
  if (s.session.spotlight && !out.includes(s.session.spotlight)) out.push(s.session.spotlight);
  return out;
}
