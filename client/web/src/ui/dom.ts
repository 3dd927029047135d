/**
 * Build HTML elements. Children that are strings become text nodes: never markup.
 * A `style` is set through the CSSOM (`element.style`), never as an attribute: the hub's
 * Content-Security-Policy (style-src 'self') refuses style attributes, not the CSSOM.
 */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | null | undefined | EventListener> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = String(v);
    else if (k === "style") e.style.cssText = String(v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/**
 * Rebuild what `container` shows with `build`, keeping keyboard focus: when a control in it
 * had focus, the new control with the same key (its data-focus, else its id) gets it back;
 * when that control is gone (it did its job), the one its data-focus-fallback names.
 */
export function keepingFocus(container: HTMLElement, build: () => void): void {
  const before = document.activeElement;
  const inside = before instanceof HTMLElement && before !== container && container.contains(before);
  const keys = inside ? [focusKey(before), before.dataset.focusFallback ?? ""].filter(Boolean) : [];
  build();
  if (!keys.length || document.activeElement === before) return;
  const all = [...container.querySelectorAll<HTMLElement>("[data-focus], [id]")];
  for (const key of keys) {
    const el = all.find((e) => focusKey(e) === key);
    if (el) {
      el.focus({ preventScroll: true });
      return;
    }
  }
}

const focusKey = (el: HTMLElement): string => el.dataset.focus || el.id;

const ICONS: Record<string, string> = {
  select: "M6 3l12 9-5.5 1.2L15 20l-2.6 1.2-2.6-6.6L6 18z",
  actor: "M12 4a8 8 0 100 16 8 8 0 000-16zm-1 4h2v3h3v2h-3v3h-2v-3H8v-2h3z",
  relation: "M6 4a3 3 0 110 6 3 3 0 010-6zm12 10a3 3 0 110 6 3 3 0 010-6zM8.3 8.9l8 6.3-1.1 1.5-8-6.3z",
  note: "M4 4h16v11l-5 5H4zm11 11v4l4-4z",
  ink: "M3 21l1.5-5L15 5.5l3.5 3.5L8 19.5zM16.5 4l1.5-1.5 3.5 3.5L20 7.5z",
  zoomIn: "M10 3a7 7 0 015.6 11.2l5.2 5.2-1.4 1.4-5.2-5.2A7 7 0 1110 3zm0 2a5 5 0 100 10 5 5 0 000-10zm-1 2h2v2h2v2h-2v2H9v-2H7V9h2z",
  zoomOut: "M10 3a7 7 0 015.6 11.2l5.2 5.2-1.4 1.4-5.2-5.2A7 7 0 1110 3zm0 2a5 5 0 100 10 5 5 0 000-10zM7 9h6v2H7z",
  fit: "M3 3h6v2H5v4H3zm12 0h6v6h-2V5h-4zM3 15h2v4h4v2H3zm16 0h2v6h-6v-2h4z",
  undo: "M8 5L3 10l5 5v-3.5h6a4 4 0 010 8h-3v2h3a6 6 0 000-12H8z",
  redo: "M16 5l5 5-5 5v-3.5h-6a4 4 0 000 8h3v2h-3a6 6 0 010-12h6z",
  panel: "M3 4h18v16H3zm2 2v12h9V6zm11 0v12h3V6z",
};

export function icon(name: keyof typeof ICONS | string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const s = document.createElementNS(ns, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("class", "icon");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", ICONS[name] ?? "");
  s.appendChild(p);
  return s;
}
