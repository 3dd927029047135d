/**
 * The hub's clock on this device: every timer is shown as `ends_at − (local now + offset)`,
 * with `offset` = hub clock − local clock, learnt from `welcome.time` and `pong.time`.
 * Pure: the caller passes local times, so tests need no fake timers.
 */
import type { TimerState } from "./state";

interface Sample {
  offset: number;
  rtt: number;
  at: number;
}

export class HubClock {
  private samples: Sample[] = [];
  offset = 0;

  /**
   * One reading of the hub's clock: `hubTime` was taken by the hub between `sentAt` and
   * `receivedAt` (local ms). Unknown send time (welcome, unmatched pong): pass receivedAt.
   * The estimate of the sample with the shortest round trip among the recent ones wins.
   */
  sample(hubTime: number, sentAt: number, receivedAt: number): number {
    const rtt = Math.max(0, receivedAt - sentAt);
    this.samples.push({ offset: hubTime + rtt / 2 - receivedAt, rtt, at: receivedAt });
    if (this.samples.length > 8) this.samples.shift();
    let best = this.samples[0]!;
    for (const s of this.samples) if (s.rtt < best.rtt || (s.rtt === best.rtt && s.at > best.at)) best = s;
    this.offset = best.offset;
    return this.offset;
  }

  get synced(): boolean {
    return this.samples.length > 0;
  }

  now(local: number = Date.now()): number {
    return local + this.offset;
  }
}

/** Milliseconds left on a timer at hub time `hubNow` (never negative). */
export function remainingMs(timer: TimerState, hubNow: number): number {
  if (timer.running && timer.ends_at !== null) return Math.max(0, timer.ends_at - hubNow);
  return Math.max(0, timer.remaining_ms);
}

/** "m:ss" (or "h:mm:ss"), rounding up: a timer shows 0:00 only when time is really up. */
export function formatClock(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The phase a timer is in, for its colour and the gentle signal at zero. */
export function timerPhase(timer: TimerState, hubNow: number): "idle" | "running" | "paused" | "ending" | "up" {
  const left = remainingMs(timer, hubNow);
  if (left <= 0 && timer.duration_ms > 0) return "up";
  if (!timer.running) return left === timer.duration_ms ? "idle" : "paused";
  return left <= 60_000 ? "ending" : "running";
}
