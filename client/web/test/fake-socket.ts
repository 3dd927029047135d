// A stand-in WebSocket for unit tests: records what the client sends (as plain maps) and
// lets the test play the hub's side (open, deliver a message, drop the connection).
import { pack, unpack } from "../src/core/codec";
import type { ClientMessage } from "../src/core/messages";

export class FakeSocket {
  static all: FakeSocket[] = [];
  static get last(): FakeSocket | undefined {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }
  readyState = 0;
  binaryType = "blob";
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: Uint8Array): void {
    this.sent.push(unpack(data) as Record<string, unknown>);
  }
  close(): void {
    this.readyState = 3;
  }
  // --- the hub's side
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  deliver(msg: Record<string, unknown>): void {
    const bytes = pack(msg);
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
  }
  /** One hub frame holding several messages back to back (protocol v2). */
  deliverFrame(msgs: Record<string, unknown>[]): void {
    this.deliverBytes(concat(msgs.map((m) => pack(m))));
  }
  deliverBytes(bytes: Uint8Array): void {
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
  }
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** The last message of type `t` the client sent. */
  lastSent<T extends ClientMessage["t"]>(t: T): Extract<ClientMessage, { t: T }> {
    const found = this.sent.filter((m) => m.t === t);
    return found[found.length - 1] as unknown as Extract<ClientMessage, { t: T }>;
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
