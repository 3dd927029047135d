/** msgpack encode/decode with the wire's limits: bytes in, plain values out. */
import { decode, encode } from "@msgpack/msgpack";
import { LIMITS, ProtocolError } from "./schema";

export function pack(value: unknown): Uint8Array {
  // Integers go out as msgpack ints and other numbers as float64, as Python does.
  return encode(value, { ignoreUndefined: false, forceIntegerToFloat: false });
}

/** Decode one frame into a map with string keys, or throw ProtocolError("malformed"). */
export function unpack(data: Uint8Array): Record<string, unknown> {
  if (data.byteLength > LIMITS.maxFrameBytes) {
    throw new ProtocolError("frame_too_large", `a frame holds at most ${LIMITS.maxFrameBytes} bytes`);
  }
  let value: unknown;
  try {
    value = decode(data, { useBigInt64: false, maxExtLength: 0 });
  } catch {
    throw new ProtocolError("malformed", "the frame is not one valid msgpack value");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new ProtocolError("malformed", "a message is a msgpack map");
  }
  return value as Record<string, unknown>;
}
