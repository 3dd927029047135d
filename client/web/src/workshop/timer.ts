/** The workshop timer on screen: hub-clock remaining time, phase colours, a gentle chime. */
import { h } from "../ui/dom";
import { formatClock, remainingMs, timerPhase, type HubClock } from "./clock";
import { wt } from "./i18n";
import type { WorkshopState } from "./state";

let audio: AudioContext | null = null;

/** Two soft tones; silently nothing where the browser does not allow sound. */
export function chime(): void {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    audio ??= new Ctx();
    const ctx = audio;
    [0, 0.35].forEach((delay, i) => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.type = "sine";
      o.frequency.value = i ? 660 : 880;
      const at = ctx.currentTime + delay;
      g.gain.setValueAtTime(0.0001, at);
      g.gain.exponentialRampToValueAtTime(0.12, at + 0.05);
      g.gain.exponentialRampToValueAtTime(0.0001, at + 0.9);
      o.connect(g).connect(ctx.destination);
      o.start(at);
      o.stop(at + 1);
    });
  } catch {
    /* no audio */
  }
}

export class TimerView {
  readonly el: HTMLElement;
  private readonly text: HTMLElement;
  private readonly note: HTMLElement;
  private interval: ReturnType<typeof setInterval>;
  private lastPhase = "";

  constructor(
    private readonly state: () => WorkshopState | null,
    private readonly clock: HubClock,
    private readonly sound = true,
  ) {
    this.text = h("span", { class: "timer-text", "aria-hidden": "true" });
    this.note = h("span", { class: "timer-note" });
    this.el = h("div", { class: "timer", role: "timer", "aria-label": wt("timer.label") }, this.text, this.note);
    this.interval = setInterval(() => this.tick(), 200);
    this.tick();
  }

  remaining(): number | null {
    const s = this.state();
    return s ? remainingMs(s.session.timer, this.clock.now()) : null;
  }

  tick(): void {
    const s = this.state();
    if (!s) return;
    const now = this.clock.now();
    const left = remainingMs(s.session.timer, now);
    const phase = timerPhase(s.session.timer, now);
    const text = formatClock(left);
    if (this.text.textContent !== text) {
      this.text.textContent = text;
      this.el.setAttribute("aria-label", `${wt("timer.label")}: ${text}`);
    }
    this.el.dataset.remainingMs = String(Math.round(left));
    if (phase !== this.lastPhase) {
      // The gentle signal: only when a running timer reaches zero, not on every load.
      if (phase === "up" && (this.lastPhase === "running" || this.lastPhase === "ending") && this.sound) chime();
      this.el.setAttribute("aria-label", `${wt("timer.label")}: ${text}`);
      this.el.dataset.phase = phase;
      this.note.textContent = phase === "up" ? wt("timer.up") : phase === "paused" ? wt("timer.paused") : "";
      this.lastPhase = phase;
    }
  }

  /** Say it again in the current language. */
  relabel(): void {
    this.lastPhase = "";
    this.text.textContent = "";
    this.tick();
  }

  dispose(): void {
    clearInterval(this.interval);
  }
}
