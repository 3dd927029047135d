/**
 * Start a workshop (until the facilitator console exists): title and number of groups in,
 * join code and join link out. The facilitator token is kept in this browser for later.
 */
import { h } from "./dom";
import { t } from "./i18n";
import { wt } from "../workshop/i18n";

export function startPage(root: HTMLElement, go: (path: string) => void): void {
  const title = h("input", { id: "ws-title", maxlength: 200, value: "" });
  const groups = h("input", { id: "ws-groups", type: "number", min: 1, max: 16, value: 1, inputmode: "numeric" });
  const err = h("p", { class: "error", role: "alert" });
  const out = h("div", { id: "ws-result", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", id: "ws-submit" }, t("start.submit"));
  const form = h("form", { class: "join-form" }, h("label", { for: "ws-title" }, t("start.name")), title, h("label", { for: "ws-groups" }, t("start.groups")), groups, err, submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    try {
      const r = await fetch("/api/workshops", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: title.value.trim() || t("board.title"), groups: Math.max(1, Math.min(16, Number(groups.value) || 1)) }),
      });
      const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
      if (!r.ok) {
        err.textContent = t("join.err.other", { reason: String(body.reason ?? r.status) });
        return;
      }
      const code = String(body.join_code);
      try {
        localStorage.setItem("schakel.facilitator", JSON.stringify({ workshop: (body.workshop as Record<string, unknown>)?.id, token: body.facilitator_token, viewer: body.viewer_url }));
      } catch {
        /* no storage */
      }
      const link = `${location.origin}/join/${encodeURIComponent(code)}`;
      const join = h("a", { href: `/join/${encodeURIComponent(code)}`, class: "button", id: "ws-join" }, t("start.joinNow"));
      join.addEventListener("click", (ev) => {
        ev.preventDefault();
        go(`/join/${encodeURIComponent(code)}`);
      });
      const console_ = h("a", { href: `/facilitator#${encodeURIComponent(String(body.facilitator_token))}`, class: "button", id: "ws-console" }, wt("console.title"));
      out.replaceChildren(h("p", {}, t("start.code")), h("p", { class: "big-code", id: "ws-code" }, code), h("p", {}, t("start.link"), " ", h("a", { href: link }, link)), h("p", { class: "row" }, join, " ", console_));
      form.hidden = true;
    } catch {
      err.textContent = t("join.err.network");
    }
  });
  root.replaceChildren(h("main", { class: "join-page" }, h("div", { class: "join-card" }, h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), t("app.name")), h("h1", {}, t("start.title")), h("p", {}, h("a", { href: "/facilitator/new", id: "console-start" }, wt("start.link"))), form, out)));
  title.focus();
}
