/** The join session (token, board, nickname) and this tab's client id. */
export interface Session {
  token: string;
  board: string;
  workshop: string;
  participant: string;
  nickname: string;
  code: string;
  title: string;
}

const SESSION_KEY = "schakel.session";
const CLIENT_KEY = "schakel.client";

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return typeof s.token === "string" && typeof s.board === "string" ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
}

export function clearSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

/**
 * One client id per tab (sessionStorage survives a reload, not a second tab): two tabs
 * never share Lamport clocks, and a reloaded tab resends its pending ops under its own id.
 */
export function clientId(): string {
  let id: string | null = null;
  try {
    id = sessionStorage.getItem(CLIENT_KEY);
  } catch {
    /* no storage */
  }
  if (!id || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) {
    id = "web-" + randomId(12);
    try {
      sessionStorage.setItem(CLIENT_KEY, id);
    } catch {
      /* no storage */
    }
  }
  return id;
}

export function randomId(n = 10): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
