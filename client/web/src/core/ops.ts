/**
 * An op: one write of one field of one object, stamped with a logical clock.
 * On the wire: [id, type, field, value, counter, client]. Clocks order by counter, then
 * by client id compared as ASCII strings.
 */
import { LIMITS, META_ID, ProtocolError, checkId, checkValue, fieldSpec, type ObjType } from "./schema";

export type Value = unknown;
export type Op = [id: string, type: ObjType, field: string, value: Value, counter: number, client: string];

export const opId = (op: Op): string => op[0];

/** Compare two clocks: negative if a < b, 0 if equal, positive if a > b. */
export function compareClock(ac: number, aClient: string, bc: number, bClient: string): number {
  if (ac !== bc) return ac < bc ? -1 : 1;
  // ASCII order: ids are ASCII, so UTF-16 code unit comparison is the same.
  return aClient < bClient ? -1 : aClient > bClient ? 1 : 0;
}

export function checkCounter(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > LIMITS.maxCounter) {
    throw new ProtocolError("invalid_op", `counter must be an integer 0..${LIMITS.maxCounter}`);
  }
  return value;
}

/** Validate one wire op against the schema. */
export function opFromWire(raw: unknown): Op {
  if (!Array.isArray(raw) || raw.length !== 6) {
    throw new ProtocolError("invalid_op", "an op is an array [id, type, field, value, counter, client]");
  }
  const [id, type, field, value, counter, client] = raw as unknown[];
  checkId(id);
  const spec = fieldSpec(type, field);
  if ((type === "meta") !== (id === META_ID)) {
    throw new ProtocolError("invalid_op", `the board's meta object has id '${META_ID}' and only it`);
  }
  checkValue(field as string, spec, value);
  checkCounter(counter);
  checkId(client, "client");
  return [id as string, type as ObjType, field as string, value, counter as number, client as string];
}

/** Deep equality of plain msgpack values (for the clock-reuse check). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  return false;
}
