/** The join page: join code (prefilled from /join/CODE) and a nickname. */
import { h } from "./dom";
import { lang, setLang, t } from "./i18n";
import { loadSession, saveSession, type Session } from "./session";

export function joinPage(root: HTMLElement, code: string, go: (path: string) => void): void {
  const err = h("p", { class: "error", role: "alert", id: "join-error" });
  const codeInput = h("input", {
    id: "join-code",
    name: "code",
    value: code,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    required: true,
    maxlength: 20,
    "aria-describedby": "join-code-hint",
  });
  const nickInput = h("input", { id: "join-nickname", name: "nickname", autocomplete: "nickname", required: true, maxlength: 40, "aria-describedby": "join-nickname-hint" });
  const submit = h("button", { type: "submit", class: "primary", id: "join-submit" }, t("join.submit"));
  const form = h(
    "form",
    { class: "join-form", novalidate: true },
    h("label", { for: "join-code" }, t("join.code")),
    codeInput,
    h("p", { class: "hint", id: "join-code-hint" }, t("join.codeHint")),
    h("label", { for: "join-nickname" }, t("join.nickname")),
    nickInput,
    h("p", { class: "hint", id: "join-nickname-hint" }, t("join.nicknameHint")),
    err,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const c = codeInput.value.trim();
    const nickname = nickInput.value.trim();
    if (!c || !nickname) {
      err.textContent = t("join.err.invalid");
      (c ? nickInput : codeInput).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("join.busy");
    err.textContent = "";
    try {
      const r = await fetch("/api/join", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: c, nickname }) });
      const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
      if (!r.ok) {
        const codeName = String(body.error ?? "");
        err.textContent =
          codeName === "not_found" ? t("join.err.not_found") : codeName === "invalid_message" ? t("join.err.invalid") : t("join.err.other", { reason: String(body.reason ?? r.status) });
        return;
      }
      const ws = (body.workshop ?? {}) as Record<string, unknown>;
      const p = (body.participant ?? {}) as Record<string, unknown>;
      const s: Session = {
        token: String(body.token),
        board: String(body.board),
        workshop: String(ws.id ?? ""),
        participant: String(p.id ?? ""),
        nickname: String(p.name ?? nickname),
        code: c,
        title: typeof ws.title === "string" ? ws.title : "",
      };
      saveSession(s);
      go("/board");
    } catch {
      err.textContent = t("join.err.network");
    } finally {
      submit.disabled = false;
      submit.textContent = t("join.submit");
    }
  });
  const existing = loadSession();
  const rejoin =
    existing && (!code || code.toUpperCase().replace(/[^A-Z0-9]/g, "") === existing.code.toUpperCase().replace(/[^A-Z0-9]/g, ""))
      ? h("p", {}, h("a", { href: "/board", class: "button", id: "rejoin", onclick: ((e: Event) => (e.preventDefault(), go("/board"))) as EventListener }, t("join.rejoin", { name: existing.nickname })))
      : null;
  const langBtn = h("button", { type: "button", class: "lang", lang: lang() === "nl" ? "en" : "nl" }, t("lang.switch"));
  langBtn.addEventListener("click", () => {
    setLang(lang() === "nl" ? "en" : "nl");
    joinPage(root, codeInput.value, go);
  });
  const start = h("a", { href: "/facilitator/new", id: "start-link", onclick: ((e: Event) => (e.preventDefault(), go("/facilitator/new"))) as EventListener }, t("start.link1"));
  root.replaceChildren(
    h(
      "main",
      { class: "join-page" },
      h("div", { class: "join-card" }, h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), t("app.name")), h("h1", {}, t("join.title")), rejoin, form, h("div", { class: "join-foot" }, langBtn, start)),
    ),
  );
  (code ? nickInput : codeInput).focus();
}
