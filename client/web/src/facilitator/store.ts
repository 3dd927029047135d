/**
 * What the console keeps on the facilitator's device: the facilitator token (also in the
 * URL hash, so the console link can be reopened) and, per workshop, the viewer link and
 * join link from the creation answer.
 */
export interface Kept {
  token: string;
  workshop: string;
  title: string;
  viewer_url?: string;
  join_url?: string;
  join_code?: string;
}

const LAST = "schakel.console.last";
const PREFIX = "schakel.console.";

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function keep(k: Kept): void {
  const s = storage();
  if (!s) return;
  s.setItem(PREFIX + k.workshop, JSON.stringify(k));
  s.setItem(LAST, k.workshop);
}

export function kept(workshop: string): Kept | null {
  try {
    const raw = storage()?.getItem(PREFIX + workshop);
    const k = raw ? (JSON.parse(raw) as Kept) : null;
    return k && typeof k.token === "string" ? k : null;
  } catch {
    return null;
  }
}

export function lastKept(): Kept | null {
  const w = storage()?.getItem(LAST);
  return w ? kept(w) : null;
}

export function forget(workshop: string): void {
  const s = storage();
  s?.removeItem(PREFIX + workshop);
  if (s?.getItem(LAST) === workshop) s.removeItem(LAST);
}

/** The token in `#<token>`, if any. */
export function tokenFromHash(hash: string = location.hash): string | null {
  const t = decodeURIComponent(hash.replace(/^#/, "")).trim();
  return t && t.length <= 2048 && !/\s/.test(t) ? t : null;
}
