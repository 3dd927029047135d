/** "Start a workshop": title, date, expected participants (→ groups), programme template. */
import { h } from "../ui/dom";
import { lang, setLang, t } from "../ui/i18n";
import { wt } from "../workshop/i18n";
import { groupsFor } from "../workshop/programme";
import { keep, lastKept } from "./store";

export function newWorkshopPage(root: HTMLElement, go: (path: string) => void): void {
  const err = h("p", { class: "error", role: "alert", id: "new-error" });
  const title = h("input", { id: "new-title", name: "title", required: true, maxlength: 200, autocomplete: "off", "aria-describedby": "new-title-hint" });
  const date = h("input", { id: "new-date", name: "date", type: "date", value: new Date().toISOString().slice(0, 10) });
  const people = h("input", { id: "new-people", name: "people", type: "number", min: 1, max: 200, value: 16, inputmode: "numeric", "aria-describedby": "new-people-hint" });
  const peopleHint = h("p", { class: "hint", id: "new-people-hint" });
  const showGroups = () => (peopleHint.textContent = wt("new.peopleHint", { groups: groupsFor(Number(people.value) || 1) }));
  people.addEventListener("input", showGroups);
  showGroups();
  const template = h(
    "select",
    { id: "new-template", name: "template" },
    h("option", { value: "default-nl", selected: lang() === "nl" }, wt("new.template.nl")),
    h("option", { value: "default-en", selected: lang() === "en" }, wt("new.template.en")),
  );
  const submit = h("button", { type: "submit", class: "primary", id: "new-submit" }, wt("new.submit"));
  const form = h(
    "form",
    { class: "join-form", novalidate: true },
    h("label", { for: "new-title" }, wt("new.name")),
    title,
    h("p", { class: "hint", id: "new-title-hint" }, wt("new.nameHint")),
    h("label", { for: "new-date" }, wt("new.date")),
    date,
    h("p", { class: "hint" }),
    h("label", { for: "new-people" }, wt("new.people")),
    people,
    peopleHint,
    h("label", { for: "new-template" }, wt("new.template")),
    template,
    h("p", { class: "hint" }),
    err,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = title.value.trim();
    if (!name) {
      err.textContent = wt("new.err.title");
      title.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = wt("new.busy");
    err.textContent = "";
    try {
      const r = await fetch("/api/workshops", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: name, date: date.value, groups: groupsFor(Number(people.value) || 1), template: template.value }),
      });
      const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
      if (!r.ok) {
        err.textContent = wt("new.err.other", { reason: String(body.reason ?? r.status) });
        return;
      }
      const ws = body.workshop as Record<string, unknown>;
      const token = String(body.facilitator_token);
      keep({ token, workshop: String(ws.id), title: String(ws.title), viewer_url: String(body.viewer_url), join_url: String(body.join_url), join_code: String(body.join_code) });
      go(`/facilitator#${token}`);
    } catch {
      err.textContent = t("join.err.network");
    } finally {
      submit.disabled = false;
      submit.textContent = wt("new.submit");
    }
  });
  const last = lastKept();
  const reopen = last ? h("p", {}, h("a", { href: `/facilitator#${last.token}`, class: "button", id: "reopen" }, wt("new.reopen", { title: last.title }))) : null;
  const langBtn = h("button", { type: "button", class: "lang", lang: lang() === "nl" ? "en" : "nl" }, t("lang.switch"));
  langBtn.addEventListener("click", () => {
    setLang(lang() === "nl" ? "en" : "nl");
    newWorkshopPage(root, go);
  });
  root.replaceChildren(
    h(
      "main",
      { class: "join-page" },
      h(
        "div",
        { class: "join-card" },
        h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), t("app.name")),
        h("h1", {}, wt("new.title")),
        h("p", { class: "hint" }, wt("new.intro")),
        reopen,
        form,
        langBtn,
      ),
    ),
  );
  title.focus();
}
