/**
 * The document of one board and its merge rule (a port of schakel_core.document).
 *
 * Every field is a last-writer-wins register ordered by (counter, client). Deletion is the
 * field `deleted`; a later `false` restores. A relation whose source or target is missing,
 * deleted or not an actor is hidden.
 *
 * Each role of an actor is its own register (`role_pusher` ... `role_mover`), so that
 * concurrent toggles of different roles both survive; `visible()` shows them as `roles`,
 * the list of roles that are on. A `roles` op (one register holding the list, as boards
 * stored before held) is applied as one op per role with its clock.
 */
import { ProtocolError, ROLES, ROLE_FIELDS, type ObjType } from "./schema";
import { compareClock, sameValue, type Op } from "./ops";

const LEGACY_ROLES = "roles";
const ROLE_FIELD_SET = new Set(ROLE_FIELDS);

/** `op` as the registers it writes: itself, or a stored `roles` list as one op per role. */
export function expand(op: Op): Op[] {
  if (op[2] !== LEGACY_ROLES || op[1] !== "actor") return [op];
  return Object.entries(rolesAsFields(op[3])).map(([field, on]): Op => [op[0], op[1], field, on, op[4], op[5]]);
}

/** An actor's fields as readers see them: role registers as `roles`, the roles that are on. */
export function presentRoles(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(fields).some((k) => ROLE_FIELD_SET.has(k))) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!ROLE_FIELD_SET.has(k)) out[k] = v;
  out.roles = ROLES.filter((_, i) => fields[ROLE_FIELDS[i]!] === true);
  return out;
}

/** A list of roles (as `visible()` gives them) as the role registers to write. */
export function rolesAsFields(roles: unknown): Record<string, boolean> {
  const list = Array.isArray(roles) ? (roles as unknown[]) : [];
  return Object.fromEntries(ROLES.map((r, i) => [ROLE_FIELDS[i]!, list.includes(r)]));
}

/** The roles of an actor that are on, from its raw fields (`Document.get`). */
export function rolesOf(fields: Record<string, unknown> | null): string[] {
  return fields ? (presentRoles(fields).roles as string[] | undefined) ?? [] : [];
}

export interface Register {
  value: unknown;
  counter: number;
  client: string;
}

export type View = Record<string, unknown> & { type: ObjType };

export class Document {
  types = new Map<string, ObjType>();
  fields = new Map<string, Map<string, Register>>();
  maxCounter = 0;

  constructor(ops: Iterable<Op> = []) {
    for (const op of ops) this.apply(op);
  }

  check(op: Op): void {
    const [id, type] = op;
    const known = this.types.get(id);
    if (known !== undefined && known !== type) {
      throw new ProtocolError("conflict", `object '${id}' is a ${known}, not a ${type}`);
    }
    for (const [, , field, value, counter, client] of expand(op)) {
      const reg = this.fields.get(id)?.get(field);
      if (reg && reg.counter === counter && reg.client === client && !sameValue(reg.value, value)) {
        throw new ProtocolError("conflict", `clock ${counter}/${client} already wrote another value`);
      }
    }
  }

  /** Merge `op`; true if it changed the document (it won its field). */
  apply(op: Op): boolean {
    this.check(op);
    return this.merge(op);
  }

  /** Merge a batch whole or not at all; returns the ops that changed the document. */
  applyBatch(ops: Op[]): Op[] {
    const types = new Map<string, string>();
    const clocks = new Map<string, unknown>();
    for (const op of ops) {
      this.check(op);
      const t = types.get(op[0]);
      if (t !== undefined && t !== op[1]) throw new ProtocolError("conflict", `the batch gives object '${op[0]}' two types`);
      types.set(op[0], op[1]);
      for (const one of expand(op)) {
        const key = JSON.stringify([one[0], one[2], one[4], one[5]]);
        if (clocks.has(key) && !sameValue(clocks.get(key), one[3])) {
          throw new ProtocolError("conflict", `the batch uses clock ${one[4]}/${one[5]} twice`);
        }
        clocks.set(key, one[3]);
      }
    }
    return ops.filter((op) => this.merge(op));
  }

  private merge(op: Op): boolean {
    let changed = false;
    for (const one of expand(op)) changed = this.mergeOne(one) || changed;
    return changed;
  }

  private mergeOne(op: Op): boolean {
    const [id, type, field, value, counter, client] = op;
    if (counter > this.maxCounter) this.maxCounter = counter;
    let obj = this.fields.get(id);
    if (!obj) {
      this.types.set(id, type);
      obj = new Map();
      this.fields.set(id, obj);
    }
    const reg = obj.get(field);
    if (reg && compareClock(reg.counter, reg.client, counter, client) >= 0) return false;
    obj.set(field, { value, counter, client });
    return true;
  }

  /** The whole state as ops, one per register, in a deterministic order. */
  *ops(): Generator<Op> {
    for (const id of [...this.fields.keys()].sort(ascii)) {
      const type = this.types.get(id)!;
      const obj = this.fields.get(id)!;
      for (const name of [...obj.keys()].sort(ascii)) {
        const r = obj.get(name)!;
        yield [id, type, name, r.value, r.counter, r.client];
      }
    }
  }

  get(id: string): Record<string, unknown> | null {
    const obj = this.fields.get(id);
    if (!obj) return null;
    const out: Record<string, unknown> = {};
    for (const [name, r] of obj) out[name] = r.value;
    return out;
  }

  isDeleted(id: string): boolean {
    return this.fields.get(id)?.get("deleted")?.value === true;
  }

  isVisible(id: string): boolean {
    const type = this.types.get(id);
    if (type === undefined || this.isDeleted(id)) return false;
    if (type !== "relation") return true;
    const obj = this.fields.get(id)!;
    for (const end of ["source", "target"]) {
      const ref = obj.get(end)?.value;
      if (typeof ref !== "string" || this.types.get(ref) !== "actor" || this.isDeleted(ref)) return false;
    }
    return true;
  }

  /** Every visible object as {id: {type, field: value, ...}}; an actor's roles as `roles`. */
  visible(): Record<string, View> {
    const out: Record<string, View> = {};
    for (const [id, obj] of this.fields) {
      if (!this.isVisible(id)) continue;
      const fields: Record<string, unknown> = {};
      for (const [name, r] of obj) fields[name] = r.value;
      const view = presentRoles(fields);
      view.type = this.types.get(id)!;
      out[id] = view as View;
    }
    return out;
  }

  /** An op that sets `op`'s field back to its value before `op` (call before applying). */
  inverse(op: Op, counter: number, client: string): Op | null {
    const obj = this.fields.get(op[0]);
    if (!obj) return [op[0], op[1], "deleted", true, counter, client];
    const reg = obj.get(op[2]);
    if (!reg) return null;
    return [op[0], op[1], op[2], reg.value, counter, client];
  }

  /** The registers as plain data, as in the golden vectors. */
  state(): Record<string, { type: ObjType; fields: Record<string, [unknown, number, string]> }> {
    const out: Record<string, { type: ObjType; fields: Record<string, [unknown, number, string]> }> = {};
    for (const id of [...this.fields.keys()].sort(ascii)) {
      const fields: Record<string, [unknown, number, string]> = {};
      const obj = this.fields.get(id)!;
      for (const name of [...obj.keys()].sort(ascii)) {
        const r = obj.get(name)!;
        fields[name] = [r.value, r.counter, r.client];
      }
      out[id] = { type: this.types.get(id)!, fields };
    }
    return out;
  }

  get size(): number {
    return this.fields.size;
  }
}

export function ascii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
