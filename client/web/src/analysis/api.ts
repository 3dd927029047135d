/**
 * Asking the hub for analyses and files over HTTP with the page's token (in a header,
 * never in a URL), and following a board's analysis while the board changes: one request
 * after the edits settle, at most one in flight. The hub caches per board version, so
 * asking again for an unchanged board is cheap.
 */
import type { BoardAnalysis, WorkshopAnalysis } from "./types";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}

async function get(path: string, token: string): Promise<Response> {
  const r = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) {
    let code = "error";
    let reason = String(r.status);
    try {
      const body = (await r.json()) as { error?: string; reason?: string };
      code = body.error ?? code;
      reason = body.reason ?? reason;
    } catch {
      /* not JSON: keep the status */
    }
    throw new HttpError(r.status, code, reason);
  }
  return r;
}

export async function boardAnalysis(board: string, token: string): Promise<BoardAnalysis> {
  return (await (await get(`/api/boards/${encodeURIComponent(board)}/analysis`, token)).json()) as BoardAnalysis;
}

export async function workshopAnalysis(workshop: string, token: string): Promise<WorkshopAnalysis> {
  return (await (await get(`/api/workshops/${encodeURIComponent(workshop)}/analysis`, token)).json()) as WorkshopAnalysis;
}

/** Fetch a file with the token and hand it to the browser: saved, or opened in a tab. */
export async function download(path: string, token: string, open = false): Promise<void> {
  const r = await get(path, token);
  const blob = await r.blob();
  const url = URL.createObjectURL(blob);
  const disposition = r.headers.get("content-disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? path.split("/").pop() ?? "schakel";
  const a = document.createElement("a");
  a.href = url;
  if (open) a.target = "_blank";
  else a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Keeps one answer of the hub fresh while what it is about changes: asked at once, then
 * again once the changes have been quiet for a moment; one request at a time.
 */
export class Follower<T> {
  result: T | null = null;
  error: HttpError | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private busy = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly fetch: () => Promise<T>,
    private readonly onResult: () => void,
    private readonly quietMs = 900,
  ) {
    void this.load();
  }

  /** What the answer is about changed: ask again once it has been quiet for a moment. */
  changed(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, this.quietMs);
  }

  private async load(): Promise<void> {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      this.result = await this.fetch();
      this.error = null;
    } catch (e) {
      this.error = e instanceof HttpError ? e : new HttpError(0, "network", String(e));
    } finally {
      this.busy = false;
    }
    if (!this.closed) this.onResult();
    if (this.again) {
      this.again = false;
      void this.load();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

export const followBoard = (board: string, token: string, onResult: () => void, quietMs?: number): Follower<BoardAnalysis> =>
  new Follower(() => boardAnalysis(board, token), onResult, quietMs);

export const followWorkshop = (workshop: string, token: string, onResult: () => void, quietMs?: number): Follower<WorkshopAnalysis> =>
  new Follower(() => workshopAnalysis(workshop, token), onResult, quietMs);
