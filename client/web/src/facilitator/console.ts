/**
 * The facilitator console: join code with QR, who joined in which group (and moving
 * them), steering the programme and its timer, locking boards, spotlight and reveal,
 * live thumbnails of every group's map, and the programme editor. Every control goes to
 * the hub as a `control` message; the hub checks that this token is the facilitator's.
 */
import "../workshop/workshop.css";
import "../analysis/analysis.css";
import { ConsoleResults } from "../analysis/console";
import { at } from "../analysis/i18n";
import { h, keepingFocus } from "../ui/dom";
import { lang, setLang, t } from "../ui/i18n";
import { clientId } from "../ui/session";
import { boardName, partLine } from "../workshop/bar";
import { wt } from "../workshop/i18n";
import { WorkshopLink, failureText } from "../workshop/link";
import { qrSvg, spacedCode } from "../workshop/qr";
import { currentPart, currentRound, isLastPart, membersOf, otherRoundBoards, parseBoard, type Programme, type WorkshopState } from "../workshop/state";
import { TimerView } from "../workshop/timer";
import { BoardView } from "../workshop/view";
import { ProgrammeEditor } from "./editor";
import { forget, keep, kept, lastKept, tokenFromHash } from "./store";

export class ConsolePage {
  readonly link: WorkshopLink;
  private timer: TimerView;
  private thumbs = new Map<string, BoardView>();
  private editor: ProgrammeEditor | null = null;
  private groupsKey = "";
  private results: ConsoleResults | null = null;
  /** Asking the hub for a viewer link (none was kept on this device). */
  private askingViewer = false;
  private els: Record<"top" | "join" | "steer" | "groups" | "status" | "toast" | "overlay" | "main", HTMLElement>;

  constructor(
    root: HTMLElement,
    private readonly token: string,
    wsUrl: string,
    private readonly go: (path: string) => void,
  ) {
    this.link = new WorkshopLink({ url: wsUrl, token, clientId: `${clientId()}-console`, name: "facilitator" });
    this.timer = new TimerView(() => this.link.state, this.link.clock);
    this.els = {
      top: h("header", { class: "console-top" }),
      join: h("section", { class: "card join-box", id: "join-box", "aria-labelledby": "join-h" }),
      steer: h("section", { class: "card steer", id: "steer", "aria-labelledby": "steer-h" }),
      groups: h("section", { class: "card groups", id: "groups", "aria-labelledby": "groups-h" }),
      status: h("span", { class: "status", id: "status", role: "status" }),
      toast: h("p", { class: "toast", id: "console-error", role: "alert" }),
      overlay: h("div", { class: "join-screen", id: "join-screen", role: "dialog", "aria-modal": "true", "aria-labelledby": "join-screen-title", hidden: true }),
      main: h("main", { class: "console-grid" }),
    };
    this.els.main.append(this.els.join, this.els.steer, this.els.groups);
    root.replaceChildren(h("div", { class: "console" }, this.els.top, this.els.main, this.els.toast, this.els.overlay));
    document.body.classList.add("console-body");
    this.link.on((e) => {
      if (e.kind === "state") this.render();
      else if (e.kind === "status") this.renderTop();
      else if (e.kind === "board") {
        this.thumbs.get(e.board)?.update(this.link.replica(e.board)!.doc);
        this.results?.boardChanged();
      }
    });
    this.link.start();
    this.renderTop();
    (window as unknown as { schakelWorkshop: unknown }).schakelWorkshop = {
      remaining: () => ({ ms: this.timer.remaining(), at: Date.now(), text: this.timer.el.querySelector(".timer-text")?.textContent ?? "" }),
      state: () => this.link.state,
    };
  }

  close(): void {
    this.link.close();
    this.results?.close();
    this.timer.dispose();
    for (const v of this.thumbs.values()) v.dispose();
    document.body.classList.remove("console-body");
  }

  private get state(): WorkshopState | null {
    return this.link.state;
  }

  private async control(action: string, args: Record<string, unknown> = {}): Promise<boolean> {
    this.els.toast.textContent = "";
    try {
      await this.link.control(action, args);
      return true;
    } catch (e) {
      this.els.toast.textContent = wt("error.control", { reason: (e as Error).message });
      return false;
    }
  }

  private button(label: string, id: string, action: string, args: Record<string, unknown> = {}, cls = ""): HTMLButtonElement {
    const b = h("button", { id, class: cls, type: "button" }, label) as HTMLButtonElement;
    // Busy while the hub answers: aria-disabled, not disabled (a disabled button drops focus).
    b.addEventListener("click", async () => {
      if (b.getAttribute("aria-disabled") === "true") return;
      b.setAttribute("aria-disabled", "true");
      await this.control(action, args);
      b.removeAttribute("aria-disabled");
    });
    return b;
  }

  // ------------------------------------------------------------------ render

  private render(): void {
    const s = this.state;
    if (!s) return;
    const k = kept(s.id);
    keep({ token: this.token, workshop: s.id, title: s.title, viewer_url: k?.viewer_url, join_url: k?.join_url ?? `${location.origin}/join/${s.join_code}`, join_code: s.join_code });
    if (!k?.viewer_url) void this.askViewerLink(s.id);
    document.title = `${s.title} · ${wt("console.title")}`;
    if (!this.results) {
      this.results = new ConsoleResults(this.token, s.id, lang);
      this.results.errors((reason) => (this.els.toast.textContent = reason));
    }
    this.renderTop();
    this.renderJoin(s);
    this.renderSteer(s);
    this.renderGroups(s);
    this.editor?.setOriginal(s.programme);
    // Thumbnails follow the current part's boards (the groups' or everyone's own).
    this.link.follow(s.current_boards);
  }

  private renderTop(): void {
    const s = this.state;
    const st = this.link.status;
    this.els.status.dataset.status = st;
    const reason = st === "failed" ? failureText(this.link.failure, true) : wt(`status.${st}`);
    this.els.status.replaceChildren(h("span", { class: "dot", "aria-hidden": "true" }), reason);
    const k = s ? kept(s.id) : null;
    // The plenary screen gets a viewer's key, never the facilitator's (which could steer
    // the workshop from the beamer's browser): until the hub gave one, no link.
    const plenary = k?.viewer_url ?? null;
    const langBtn = h("button", { class: "textbtn", id: "lang-switch", type: "button", lang: lang() === "nl" ? "en" : "nl" }, t("lang.switch"));
    langBtn.addEventListener("click", () => {
      setLang(lang() === "nl" ? "en" : "nl");
      this.groupsKey = "";
      this.timer.el.setAttribute("aria-label", wt("timer.label"));
      this.renderTop();
      this.render();
    });
    const joinBtn = h("button", { id: "show-join", type: "button" }, wt("join.show"));
    joinBtn.addEventListener("click", () => this.showJoin(true));
    const edit = h("button", { id: "edit-programme", type: "button", "aria-expanded": String(!!this.editor) }, this.editor ? wt("edit.close") : wt("edit.open"));
    edit.addEventListener("click", () => this.toggleEditor());
    keepingFocus(this.els.top, () => this.els.top.replaceChildren(
      h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), h("h1", { id: "console-title" }, s?.title ?? wt("console.title")), s?.date ? h("span", { class: "date" }, s.date) : null),
      this.els.status,
      h(
        "div",
        { class: "actions" },
        plenary
          ? h("a", { class: "button", id: "open-plenary", href: plenary, target: "_blank", rel: "noopener" }, wt("links.plenary"))
          : h("a", { class: "button", id: "open-plenary", "aria-disabled": "true" }, wt("links.plenary")),
        this.results?.reportButtons() ?? null,
        joinBtn,
        edit,
        langBtn,
      ),
    ));
  }

  /** A viewer link from the hub, for a device that kept none (the console was opened
   * from its link elsewhere). */
  private async askViewerLink(workshop: string): Promise<void> {
    if (this.askingViewer) return;
    this.askingViewer = true;
    try {
      const r = await fetch(`/api/workshops/${encodeURIComponent(workshop)}/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
        body: "{}",
      });
      if (!r.ok) return;
      const body = (await r.json()) as { viewer_url?: unknown };
      const k = kept(workshop);
      if (k && typeof body.viewer_url === "string") {
        keep({ ...k, viewer_url: body.viewer_url });
        this.renderTop();
      }
    } catch {
      /* offline: asked again at the next render */
    } finally {
      this.askingViewer = false;
    }
  }

  private joinUrl(s: WorkshopState): string {
    return kept(s.id)?.join_url ?? `${location.origin}/join/${s.join_code}`;
  }

  private renderJoin(s: WorkshopState): void {
    const url = this.joinUrl(s);
    const code = spacedCode(s.join_code);
    const key = s.join_code + url + lang() + String(s.session.joining);
    if (this.els.join.dataset.code === key) return;
    this.els.join.dataset.code = key;
    const copy = (text: string, id: string) => {
      const b = h("button", { class: "small", id, type: "button" }, wt("links.copy"));
      b.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(text);
          b.textContent = wt("links.copied");
        } catch {
          /* clipboard not allowed: the link is selectable text */
        }
      });
      return b;
    };
    const consoleUrl = `${location.origin}/facilitator#${this.token}`;
    // Closing the code once everyone is in: nobody can join (or guess it) from then on.
    const open = s.session.joining;
    const toggle = this.button(wt(open ? "join.close" : "join.open"), "joining-toggle", "joining", { open: !open }, "small");
    toggle.setAttribute("aria-pressed", String(!open));
    const closed = h("p", { class: "join-closed", id: "join-closed", role: "status" }, open ? "" : wt("join.closed"));
    this.els.join.replaceChildren(
      h("h2", { id: "join-h" }, wt("join.heading")),
      closed,
      h("p", { class: "join-code", id: "join-code-big", "aria-label": `${wt("join.code")}: ${s.join_code.split("").join(" ")}` }, code),
      h("p", { class: "join-url" }, h("a", { href: url, id: "join-url", target: "_blank", rel: "noopener" }, url)),
      h("div", { class: "qr-box" }, qrSvg(url, wt("join.qr"))),
      h("details", { class: "links" }, h("summary", {}, wt("links.console")), h("p", { class: "mono" }, consoleUrl), copy(consoleUrl, "copy-console")),
      toggle,
    );
    this.renderOverlay(s);
  }

  private renderOverlay(s: WorkshopState): void {
    const url = this.joinUrl(s);
    const back = h("button", { class: "primary", id: "join-screen-close", type: "button" }, wt("join.hide"));
    back.addEventListener("click", () => this.showJoin(false));
    const print = h("button", { type: "button", id: "join-screen-print" }, wt("join.print"));
    print.addEventListener("click", () => window.print());
    this.els.overlay.replaceChildren(
      h("div", { class: "join-screen-actions" }, print, back),
      h("h1", { id: "join-screen-title" }, s.title),
      h("div", { class: "join-screen-body" }, h("div", { class: "qr-big" }, qrSvg(url, wt("join.qr"))), h("div", {}, h("p", { class: "join-screen-label" }, wt("join.code")), h("p", { class: "join-code huge" }, spacedCode(s.join_code)), h("p", { class: "join-url big" }, url), h("p", { class: "join-screen-hint" }, wt("join.instructions")))),
    );
  }

  private showJoin(show: boolean): void {
    this.els.overlay.hidden = !show;
    document.body.classList.toggle("join-screen-open", show);
    if (show) (this.els.overlay.querySelector("#join-screen-close") as HTMLElement | null)?.focus();
  }

  private renderSteer(s: WorkshopState): void {
    const round = currentRound(s);
    const part = currentPart(s);
    const tm = s.session.timer;
    const started = tm.running || tm.remaining_ms !== tm.duration_ms;
    const startPause = tm.running ? this.button(wt("timer.pause"), "timer-pause", "pause", {}, "big") : this.button(started ? wt("timer.resume") : wt("timer.start"), "timer-start", "start", {}, "primary big");
    startPause.dataset.focus = "timer-toggle"; // start and pause are one control for focus
    const lastPart = isLastPart(s);
    const nextIsRound = round ? s.session.part >= round.parts.length - 1 : false;
    const next = this.button(lastPart ? wt("steer.last") : nextIsRound ? wt("steer.nextRound") : wt("steer.next"), "next-part", "next", {}, "big");
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    if (lastPart) next.setAttribute("aria-disabled", "true");
    const locked = s.session.locked;
    const lock = this.button(locked ? wt("steer.unlock") : wt("steer.lock"), "lock-boards", "lock", { locked: !locked }, locked ? "big locked" : "big");
    lock.setAttribute("aria-pressed", String(locked));
    const spot = s.session.spotlight;
    // What the beamer shows (the hub's spotlight: the plenary's keys set it too).
    const off = spot ? this.button(wt("boards.overview"), "spotlight-off", "spotlight", { board: null }, "small") : null;
    if (off) off.dataset.focusFallback = "beamer-state";
    const beamer = h(
      "p",
      { class: "beamer-state", id: "beamer-state", tabindex: -1 },
      spot ? wt("boards.onBeamer", { what: boardName(s, spot, true) }) : part?.sheet ? wt("boards.onBeamerSheet") : wt("boards.onBeamerOverview"),
      off,
    );
    const outline = h(
      "ol",
      { class: "outline", id: "outline" },
      ...s.programme.map((r, ri) =>
        h(
          "li",
          { class: ri === s.session.round ? "current" : "" },
          h("span", { class: "outline-round" }, r.title),
          h(
            "ol",
            {},
            ...r.parts.map((p, pi) => {
              const here = ri === s.session.round && pi === s.session.part;
              const b = this.button(`${p.title} · ${p.minutes} min · ${wt(`mode.${p.mode}`)}`, `goto-${ri}-${pi}`, "goto", { round: ri, part: pi }, here ? "outline-part here" : "outline-part");
              if (here) b.setAttribute("aria-current", "step");
              b.title = wt("programme.goto");
              return h("li", {}, b);
            }),
          ),
        ),
      ),
    );
    // Rebuilt on every change (someone joins, the timer ticks over): focus and the open
    // programme outline stay where they were.
    const outlineOpen = this.els.steer.querySelector<HTMLDetailsElement>(".outline-box")?.open ?? false;
    keepingFocus(this.els.steer, () => this.els.steer.replaceChildren(...nodes(
      h("h2", { id: "steer-h", class: "sr-only" }, wt("programme.heading")),
      h("p", { class: "kicker" }, `${wt("programme.now")} · ${wt("programme.part", { n: s.session.part + 1, of: round?.parts.length ?? 1 })}`),
      h("h3", { class: "round-title", id: "round-title" }, round?.title ?? ""),
      h("p", { class: "part-title", id: "part-title" }, ...partLine(part)),
      h("div", { class: "timer-row" }, this.timer.el, h("div", { class: "timer-buttons" }, startPause, this.button(wt("timer.plus1"), "timer-plus1", "extend", { minutes: 1 }), this.button(wt("timer.plus5"), "timer-plus5", "extend", { minutes: 5 }), this.button(wt("timer.end"), "timer-end", "end"))),
      h("div", { class: "row steer-row" }, next, lock),
      locked ? h("p", { class: "locked-note" }, wt("steer.locked")) : null,
      beamer,
      this.analysisToggle(s),
      h("h3", {}, wt("programme.questions")),
      round?.questions.length ? h("ol", { class: "questions", id: "questions" }, ...round.questions.map((q) => h("li", {}, q))) : h("p", { class: "hint" }, wt("programme.noQuestions")),
      h("details", { class: "outline-box", open: outlineOpen }, h("summary", {}, wt("programme.heading")), outline),
    )));
    this.timer.tick();
  }

  private thumb(s: WorkshopState, board: string): BoardView {
    let view = this.thumbs.get(board);
    if (!view) {
      view = new BoardView(boardName(s, board), { pad: 10 });
      this.thumbs.set(board, view);
      const r = this.link.replica(board);
      if (r) view.update(r.doc);
    }
    return view;
  }

  /** "Full screen on the beamer", or "Back to overview" when it is there: one control. */
  private spotButton(s: WorkshopState, board: string, id: string): HTMLButtonElement {
    const on = s.session.spotlight === board;
    const b = this.button(on ? wt("boards.overview") : wt("boards.spotlight"), id, "spotlight", { board: on ? null : board }, on ? "small on" : "small");
    b.setAttribute("aria-pressed", String(on));
    b.dataset.focus = `spot-${board}`;
    return b;
  }

  private renderGroups(s: WorkshopState): void {
    const key = JSON.stringify([s.participants, s.groups, s.session.spotlight, s.session.revealed, s.session.round, s.current_boards, s.boards.length, lang()]);
    if (key === this.groupsKey) return;
    this.groupsKey = key;
    const spot = s.session.spotlight;
    const personal = s.current_boards.some((b) => parseBoard(b).participant !== undefined);
    const groups: HTMLElement[] = [];
    for (let g = 1; g <= s.groups; g++) {
      const board = s.current_boards.find((b) => parseBoard(b).group === g) ?? null;
      const members = membersOf(s, g);
      const own = (pid: string) => s.current_boards.find((b) => parseBoard(b).participant === pid) ?? null;
      groups.push(
        h(
          "li",
          { class: "group" + (board && spot === board ? " spotlit" : ""), "data-group": g, "data-board": board ?? "" },
          h(
            "div",
            { class: "group-head" },
            h("h3", {}, wt("groups.group", { n: g }), h("span", { class: "count" }, ` · ${members.length}`)),
            board ? this.spotButton(s, board, `spotlight-g${g}`) : null,
          ),
          board ? h("div", { class: "thumb" }, this.thumb(s, board).svg as unknown as Node) : null,
          board ? (this.results?.boardBox(board) ?? null) : null,
          members.length
            ? h(
                "ul",
                { class: "members" + (personal ? " with-maps" : "") },
                ...members.map((p) => {
                  const sel = h("select", { "aria-label": wt("groups.moveTo", { name: p.name }), "data-participant": p.id, "data-focus": `move-${p.id}` }, ...Array.from({ length: s.groups }, (_, i) => h("option", { value: i + 1, selected: i + 1 === g }, wt("groups.group", { n: i + 1 }))));
                  sel.addEventListener("change", () => void this.control("move", { participant: p.id, group: Number(sel.value) }));
                  // While people draw alone or in pairs: each one's own map, as a thumbnail.
                  const mine = personal ? own(p.id) : null;
                  return h(
                    "li",
                    { "data-participant": p.id, "data-board": mine ?? "", class: mine && spot === mine ? "spotlit" : "" },
                    h("div", { class: "member-row" }, h("span", { class: "name", title: p.name }, p.name), sel),
                    mine ? h("div", { class: "thumb small" }, this.thumb(s, mine).svg as unknown as Node) : null,
                    mine ? this.spotButton(s, mine, `spotlight-p${p.id}`) : null,
                  );
                }),
              )
            : h("p", { class: "hint" }, wt("groups.empty")),
        ),
      );
    }
    keepingFocus(this.els.groups, () => this.els.groups.replaceChildren(...nodes(
      h("div", { class: "groups-head" }, h("h2", { id: "groups-h" }, wt("groups.heading")), h("span", { class: "hint", id: "groups-count" }, wt("groups.count", { n: s.participants.length, g: s.groups }))),
      s.participants.length ? null : h("p", { class: "waiting" }, wt("groups.waiting")),
      h("ol", { class: personal ? "group-list with-maps" : "group-list", id: "group-list" }, ...groups),
      this.otherRounds(s),
      this.deleteButton(s),
    )));
    for (const [board, v] of this.thumbs) {
      if (!s.current_boards.includes(board)) {
        v.dispose();
        this.thumbs.delete(board);
      }
    }
  }

  /** The analysis layer on the plenary screen: on or off, for everyone watching it. */
  private analysisToggle(s: WorkshopState): HTMLElement {
    const on = s.session.analysis;
    const b = this.button(on ? at("beamer.off") : at("beamer.on"), "analysis-toggle", "analysis", { on: !on }, on ? "on" : "");
    b.setAttribute("aria-pressed", String(on));
    b.title = at("layer.title");
    return h("p", { class: "analysis-state" }, b);
  }

  /** Earlier (and later) rounds' maps stay at hand: to the beamer, or into its overview. */
  private otherRounds(s: WorkshopState): HTMLElement | null {
    const other = otherRoundBoards(s).filter((e) => e.boards.length);
    if (!other.length) return null;
    const open = this.els.groups.querySelector<HTMLDetailsElement>("#other-boards")?.open ?? false;
    return h(
      "details",
      { class: "personal", id: "other-boards", open },
      h("summary", {}, wt("boards.other")),
      ...other.map((e) =>
        h(
          "section",
          { class: "other-round" },
          h("h3", {}, e.rounds.map((r) => s.programme[r]!.title).join(" + ")),
          h(
            "ul",
            {},
            ...e.boards.map((board) => {
              const own = parseBoard(board).participant;
              const revealed = s.session.revealed.includes(board);
              const reveal = own ? this.button(revealed ? wt("boards.hide") : wt("boards.reveal"), `reveal-${board.replaceAll(":", "-")}`, "reveal", { board, revealed: !revealed }, revealed ? "small on" : "small") : null;
              reveal?.setAttribute("aria-pressed", String(revealed));
              return h("li", { "data-board": board }, h("span", { class: "name" }, boardName(s, board)), this.spotButton(s, board, `spotlight-${board.replaceAll(":", "-")}`), reveal);
            }),
          ),
        ),
      ),
    );
  }

  private deleteButton(s: WorkshopState): HTMLElement {
    const b = h("button", { class: "danger small", id: "delete-workshop", type: "button" }, wt("danger.delete"));
    b.addEventListener("click", async () => {
      if (!(await (this.results?.confirmDelete() ?? Promise.resolve(window.confirm(wt("danger.confirm")))))) return;
      const r = await fetch(`/api/workshops/${encodeURIComponent(s.id)}`, { method: "DELETE", headers: { authorization: `Bearer ${this.token}` } });
      if (r.ok) {
        forget(s.id);
        this.go("/facilitator/new");
      } else this.els.toast.textContent = wt("error.control", { reason: String(r.status) });
    });
    return h("p", { class: "danger-zone" }, b);
  }

  private toggleEditor(): void {
    const s = this.state;
    if (this.editor || !s) {
      this.editor?.el.remove();
      this.editor = null;
    } else {
      this.editor = new ProgrammeEditor(s.programme, async (p: Programme) => {
        await this.link.control("programme", { programme: p });
      }, () => this.toggleEditor());
    }
    this.renderTop();
    if (this.editor) {
      // Full width under the three columns.
      this.els.main.append(this.editor.el);
      this.editor.el.scrollIntoView({ block: "start" });
    }
  }
}

const nodes = (...xs: (Node | null)[]): Node[] => xs.filter((x): x is Node => x !== null);

export function consolePage(root: HTMLElement, wsUrl: string, go: (path: string) => void): ConsolePage | null {
  // The key is in the link (#token); a bare /facilitator reopens the last workshop here.
  const token = tokenFromHash() ?? lastKept()?.token ?? null;
  if (!token) {
    go("/facilitator/new");
    return null;
  }
  if (!location.hash) history.replaceState(null, "", `/facilitator#${token}`);
  return new ConsolePage(root, token, wsUrl, go);
}
