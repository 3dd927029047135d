/** Small helpers to build SVG: text always goes in as text nodes, never as markup. */
export const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

export function setAttrs(e: Element, attrs: Record<string, string | number | null>): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null) e.removeAttribute(k);
    else if (e.getAttribute(k) !== String(v)) e.setAttribute(k, String(v));
  }
}

export function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** A short line in a legend: the colour, width and dash of a mark on the map (decorative:
 * the text beside it says what it is). */
export function lineSample(colour: string, dash: string | null, width = 4, length = 60): SVGSVGElement {
  const h = width * 4;
  const s = svg("svg", { viewBox: `0 0 ${length} ${h}`, "aria-hidden": "true" });
  const p = svg("path", { d: `M4,${h / 2}H${length - 4}`, stroke: colour, "stroke-width": width, "stroke-linecap": "round" }, s);
  if (dash) p.setAttribute("stroke-dasharray", dash);
  return s;
}
