/** msgpack encode/decode with the wire's limits: bytes in, plain values out. */
import { decode, decodeMulti, encode } from "@msgpack/msgpack";
import { LIMITS, ProtocolError } from "./schema";

export function pack(value: unknown): Uint8Array {
  // Integers go out as msgpack ints and other numbers as float64, as Python does.
  return encode(value, { ignoreUndefined: false, forceIntegerToFloat: false });
}

function asMap(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new ProtocolError("malformed", "a message is a msgpack map");
  }
  return value as Record<string, unknown>;
}

/**
 * Decode a hub frame: one or more msgpack maps back to back (protocol v2), in order, or
 * throw ProtocolError("malformed") when its bytes are not whole maps to the end.
 */
export function unpackAll(data: Uint8Array): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  try {
    for (const value of decodeMulti(data, { useBigInt64: false, maxExtLength: 0 })) out.push(asMap(value));
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError("malformed", "the frame is not a run of valid msgpack values");
  }
  if (!out.length) throw new ProtocolError("malformed", "the frame is empty");
  return out;
}

/**
 * Decode one frame into a map with string keys, or throw ProtocolError("malformed").
 * `limit` caps what a client may send; frames from the hub have no fixed cap (`null`).
 */
export function unpack(data: Uint8Array, limit: number | null = LIMITS.maxFrameBytes): Record<string, unknown> {
  if (limit !== null && data.byteLength > limit) {
    throw new ProtocolError("frame_too_large", `a frame holds at most ${limit} bytes`);
  }
  let value: unknown;
  try {
    value = decode(data, { useBigInt64: false, maxExtLength: 0 });
  } catch {
    throw new ProtocolError("malformed", "the frame is not one valid msgpack value");
  }
  return asMap(value);
}
