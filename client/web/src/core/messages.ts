/**
 * Message types of the Schakel protocol (a port of schakel_core.messages).
 * Client → hub: hello subscribe unsubscribe ops presence ping.
 * Hub → client: welcome sync update ack presence leave error pong workshop.
 */
import { pack, unpack, unpackAll } from "./codec";
import { opFromWire, type Op } from "./ops";
import { LIMITS, PROTOCOL_VERSION, ProtocolError, checkId, isColour } from "./schema";

export const MAX_REF = 2 ** 53 - 1;
const MAX_TOKEN_LEN = 2048;
const MAX_NAME_LEN = 40;

export interface PresenceData {
  cursor?: [number, number] | null;
  sel?: string[];
  stroke?: number[] | null;
  colour?: string | null;
}

export type ClientMessage =
  | { t: "hello"; v: number; token: string; client: string; name: string }
  | { t: "subscribe"; board: string; since: number; ref: number | null }
  | { t: "unsubscribe"; board: string }
  | { t: "ops"; board: string; ref: number; ops: Op[] }
  | { t: "presence"; board: string; data: PresenceData }
  | { t: "ping"; n: number }
  | { t: "control"; ref: number; action: string; args: Record<string, unknown> };

export interface Welcome {
  t: "welcome";
  v: number;
  conn: string;
  role: string;
  workshop: string;
  participant: string | null;
  boards: string[];
  writable: string[];
  time: number;
  limits: Record<string, number>;
}
/** A large answer comes as several sync frames: all but the last have `more: true`. */
export interface Sync { t: "sync"; board: string; seq: number; full: boolean; ops: Op[]; ref: number | null; more?: boolean }
/** Protocol v2: the board's ops `from..seq` except the receiver's own (no echo). */
export interface Update { t: "update"; board: string; from: number; seq: number; ops: Op[] }
/** Protocol v2: the connection has every op through `seq`; `lost`: own ops that lost
 * to a higher clock, as `[id, field, counter]`. */
export interface Ack { t: "ack"; board: string; ref: number; seq: number; applied: number; lost?: LostOp[] }
export type LostOp = [string, string, number];
export interface PresenceOut { t: "presence"; board: string; conn: string; client: string; name: string; data: PresenceData }
export interface Leave { t: "leave"; board: string; conn: string }
export interface ErrorMsg { t: "error"; code: string; reason: string; ref: number | null; board: string | null }
export interface Pong { t: "pong"; n: number; time: number }
export interface WorkshopEvent { t: "workshop"; workshop: string; state: Record<string, unknown> }
export interface Done { t: "done"; ref: number }

export type ServerMessage = Welcome | Sync | Update | Ack | PresenceOut | Leave | ErrorMsg | Pong | WorkshopEvent | Done;

// ------------------------------------------------------------------ field helpers

type Kind = "string" | "number" | "boolean" | "list" | "map";
type M = Record<string, unknown>;

function kindOf(v: unknown): Kind | "other" {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "boolean";
  if (Array.isArray(v)) return "list";
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) return "map";
  return "other";
}

function get(m: M, key: string, kind: Kind, optional = false): unknown {
  if (!Object.hasOwn(m, key)) {
    if (optional) return null;
    throw new ProtocolError("invalid_message", `${String(m.t)}: field '${key}' is missing`);
  }
  const v = m[key];
  if (optional && v === null) return null;
  if (kindOf(v) !== kind) throw new ProtocolError("invalid_message", `${String(m.t)}: field '${key}' has the wrong type`);
  return v;
}

function int(m: M, key: string, optional = false): number | null {
  const v = get(m, key, "number", optional) as number | null;
  if (v === null) return null;
  if (!Number.isInteger(v)) throw new ProtocolError("invalid_message", `${String(m.t)}: field '${key}' has the wrong type`);
  if (v < 0 || v > MAX_REF) throw new ProtocolError("invalid_message", `${String(m.t)}: field '${key}' must be 0..${MAX_REF}`);
  return v;
}

function str(m: M, key: string, maxLen: number, optional = false): string | null {
  const v = get(m, key, "string", optional) as string | null;
  if (v !== null && [...v].length > maxLen) throw new ProtocolError("too_large", `${String(m.t)}: field '${key}' is longer than ${maxLen}`);
  return v;
}

function board(m: M): string {
  try {
    return checkId(get(m, "board", "string"), "board");
  } catch (e) {
    if (e instanceof ProtocolError && e.code === "invalid_op") throw new ProtocolError("invalid_message", e.message);
    throw e;
  }
}

const finite = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= LIMITS.maxCoord;

export function checkPresenceData(data: unknown): PresenceData {
  const bad = (msg: string): never => {
    throw new ProtocolError("invalid_message", `presence: ${msg}`);
  };
  if (kindOf(data) !== "map") bad("data must be a map");
  const d = data as M;
  for (const k of Object.keys(d)) if (!["cursor", "sel", "stroke", "colour"].includes(k)) bad(`unknown key ${k}`);
  const cursor = d.cursor;
  if (cursor != null && !(Array.isArray(cursor) && cursor.length === 2 && cursor.every(finite))) bad("cursor must be [x, y] or nil");
  const sel = d.sel ?? [];
  if (!Array.isArray(sel) || sel.length > LIMITS.maxSelection) bad(`sel must be a list of at most ${LIMITS.maxSelection} ids`);
  for (const id of sel as unknown[]) {
    try {
      checkId(id);
    } catch {
      bad("sel: bad id");
    }
  }
  const stroke = d.stroke;
  if (stroke != null && !(Array.isArray(stroke) && stroke.length <= LIMITS.maxStrokeNumbers && stroke.every(finite))) bad("stroke must be numbers or nil");
  const colour = d.colour;
  if (colour != null && !isColour(colour)) bad("colour must be #rrggbb or nil");
  return d as PresenceData;
}

function safeRef(m: M): number | null {
  const r = m.ref;
  return typeof r === "number" && Number.isInteger(r) && r >= 0 && r <= MAX_REF ? r : null;
}

// ------------------------------------------------------------------- client to hub

/** Decode and validate one client frame (the hub's view), or throw ProtocolError. */
export function decodeClient(data: Uint8Array): ClientMessage {
  const m = unpack(data);
  switch (m.t) {
    case "hello": {
      // The version first, before any other field (missing or of another type: a mismatch too).
      const v = m.v;
      if (typeof v !== "number" || v !== PROTOCOL_VERSION) throw new ProtocolError("version_mismatch", `this hub speaks protocol version ${PROTOCOL_VERSION}: reload`);
      const token = str(m, "token", MAX_TOKEN_LEN)!;
      let client: string;
      try {
        client = checkId(get(m, "client", "string"), "client");
      } catch (e) {
        throw new ProtocolError("invalid_message", (e as Error).message);
      }
      const name = str(m, "name", MAX_NAME_LEN, true) ?? "";
      return { t: "hello", v, token, client, name };
    }
    case "subscribe":
      return { t: "subscribe", board: board(m), since: int(m, "since")!, ref: int(m, "ref", true) };
    case "unsubscribe":
      return { t: "unsubscribe", board: board(m) };
    case "ops": {
      const ref = int(m, "ref")!;
      try {
        const b = board(m);
        const raw = get(m, "ops", "list") as unknown[];
        if (raw.length === 0) throw new ProtocolError("invalid_message", "ops: the batch is empty");
        if (raw.length > LIMITS.maxOpsPerBatch) throw new ProtocolError("too_large", `ops: a batch holds at most ${LIMITS.maxOpsPerBatch} ops`);
        return { t: "ops", board: b, ref, ops: raw.map(opFromWire) };
      } catch (e) {
        if (e instanceof ProtocolError) e.ref = ref;
        throw e;
      }
    }
    case "presence":
      return { t: "presence", board: board(m), data: checkPresenceData(m.data) };
    case "ping":
      return { t: "ping", n: int(m, "n", true) ?? 0 };
  }
  throw new ProtocolError("unknown_message", `unknown message type ${String(m.t)}`, safeRef(m));
}

// ------------------------------------------------------------------- hub to client

const asOps = (v: unknown): Op[] => v as Op[];

/** Decode one hub message that is a whole frame (light checks: the hub is trusted to speak
 * the protocol; no size cap). */
export function decodeServer(data: Uint8Array): ServerMessage {
  return serverMessage(unpack(data, null));
}

/**
 * Decode a hub frame of one or more messages (protocol v2), in order. A message of a type
 * this client does not know is left out (`skipped` counts it); bytes that are not whole
 * msgpack maps throw ProtocolError("malformed"), and a known message with bad fields throws.
 */
export function decodeFrame(data: Uint8Array): { messages: ServerMessage[]; skipped: number } {
  const messages: ServerMessage[] = [];
  let skipped = 0;
  for (const m of unpackAll(data)) {
    try {
      messages.push(serverMessage(m));
    } catch (e) {
      if (!(e instanceof ProtocolError && e.code === "unknown_message")) throw e;
      skipped++;
    }
  }
  return { messages, skipped };
}

function lostOps(m: M): LostOp[] | null {
  const raw = get(m, "lost", "list", true) as unknown[] | null;
  if (raw === null) return null;
  return raw.map((x) => {
    if (!Array.isArray(x) || x.length !== 3 || typeof x[0] !== "string" || typeof x[1] !== "string" || !Number.isInteger(x[2])) {
      throw new ProtocolError("invalid_message", "ack: lost holds [id, field, counter] entries");
    }
    return x as LostOp;
  });
}

function serverMessage(m: M): ServerMessage {
  switch (m.t) {
    case "welcome":
      return {
        t: "welcome",
        v: int(m, "v")!,
        conn: get(m, "conn", "string") as string,
        role: get(m, "role", "string") as string,
        workshop: get(m, "workshop", "string") as string,
        participant: get(m, "participant", "string", true) as string | null,
        boards: get(m, "boards", "list") as string[],
        writable: get(m, "writable", "list") as string[],
        time: get(m, "time", "number") as number,
        limits: get(m, "limits", "map") as Record<string, number>,
      };
    case "sync": {
      const sync: Sync = {
        t: "sync",
        board: board(m),
        seq: int(m, "seq")!,
        full: get(m, "full", "boolean") as boolean,
        ops: asOps(get(m, "ops", "list")),
        ref: int(m, "ref", true),
      };
      if (get(m, "more", "boolean", true) === true) sync.more = true;
      return sync;
    }
    case "update": {
      const from = int(m, "from")!;
      const seq = int(m, "seq")!;
      if (from < 1 || from > seq) throw new ProtocolError("invalid_message", "update: from must be 1..seq");
      return { t: "update", board: board(m), from, seq, ops: asOps(get(m, "ops", "list")) };
    }
    case "ack": {
      const ack: Ack = { t: "ack", board: board(m), ref: int(m, "ref")!, seq: int(m, "seq")!, applied: int(m, "applied")! };
      const lost = lostOps(m);
      if (lost !== null) ack.lost = lost;
      return ack;
    }
    case "presence":
      return {
        t: "presence",
        board: board(m),
        conn: get(m, "conn", "string") as string,
        client: get(m, "client", "string") as string,
        name: get(m, "name", "string") as string,
        data: get(m, "data", "map") as PresenceData,
      };
    case "leave":
      return { t: "leave", board: board(m), conn: get(m, "conn", "string") as string };
    case "error":
      return {
        t: "error",
        code: get(m, "code", "string") as string,
        reason: get(m, "reason", "string") as string,
        ref: int(m, "ref", true),
        board: get(m, "board", "string", true) as string | null,
      };
    case "pong":
      return { t: "pong", n: int(m, "n")!, time: get(m, "time", "number") as number };
    case "workshop":
      return { t: "workshop", workshop: get(m, "workshop", "string") as string, state: get(m, "state", "map") as M };
    case "done":
      return { t: "done", ref: int(m, "ref")! };
  }
  throw new ProtocolError("unknown_message", `unknown message type ${String(m.t)}`);
}

/** Encode a message; field order matches the Python core, so the bytes are identical. */
export function encodeMessage(msg: ClientMessage | ServerMessage): Uint8Array {
  return pack(msg);
}

export const hello = (token: string, client: string, name: string): ClientMessage => ({ t: "hello", v: PROTOCOL_VERSION, token, client, name });
export const subscribe = (b: string, since: number, ref: number | null): ClientMessage => ({ t: "subscribe", board: b, since, ref });
export const opsMsg = (b: string, ref: number, ops: Op[]): ClientMessage => ({ t: "ops", board: b, ref, ops });
export const presenceMsg = (b: string, data: PresenceData): ClientMessage => ({ t: "presence", board: b, data });
export const ping = (n: number): ClientMessage => ({ t: "ping", n });
export const control = (ref: number, action: string, args: Record<string, unknown>): ClientMessage => ({ t: "control", ref, action, args });
