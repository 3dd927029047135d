/**
 * The offline queue: a board's last known state and the own edits the hub has not yet
 * acknowledged, kept in localStorage so that they survive a page reload and a closed
 * Wi-Fi. On start the replica is rebuilt from it and the pending edits are sent again
 * (ops are idempotent: an edit that did reach the hub before the reload is not doubled).
 */
import type { Op } from "../core/ops";

export interface Saved {
  seq: number;
  counter: number;
  doc: Op[];
  pending: Op[];
}

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

export class OfflineStore {
  constructor(
    private readonly kv: KeyValue | null,
    private readonly prefix = "schakel.v1",
  ) {}

  private key(board: string, client: string): string {
    return `${this.prefix}.board.${board}.${client}`;
  }

  load(board: string, client: string): Saved | null {
    if (!this.kv) return null;
    try {
      const raw = this.kv.getItem(this.key(board, client));
      if (!raw) return null;
      const v = JSON.parse(raw) as Saved;
      if (!Array.isArray(v.doc) || !Array.isArray(v.pending) || typeof v.seq !== "number") return null;
      return v;
    } catch {
      return null;
    }
  }

  save(board: string, client: string, saved: Saved): boolean {
    if (!this.kv) return false;
    try {
      this.kv.setItem(this.key(board, client), JSON.stringify(saved));
      return true;
    } catch {
      // Quota: keep at least the pending edits, which matter most.
      try {
        this.kv.setItem(this.key(board, client), JSON.stringify({ ...saved, seq: 0, doc: [] }));
        return true;
      } catch {
        return false;
      }
    }
  }

  clear(board: string, client: string): void {
    this.kv?.removeItem(this.key(board, client));
  }

  /** Forget every board of a workshop that is gone (deleted or expired): its maps and
   * its pending edits, for every client id of this device. */
  clearWorkshop(workshop: string): void {
    const kv = this.kv;
    if (!kv) return;
    const prefix = `${this.prefix}.board.${workshop}:`;
    const keys: string[] = [];
    for (let i = 0; i < kv.length; i++) {
      const k = kv.key(i);
      if (k !== null && k.startsWith(prefix)) keys.push(k);
    }
    for (const k of keys) kv.removeItem(k);
  }
}

/** An in-memory KeyValue (tests; browsers without storage). */
export class MemoryKV implements KeyValue {
  data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
  key(index: number): string | null {
    return [...this.data.keys()][index] ?? null;
  }
  get length(): number {
    return this.data.size;
  }
}
