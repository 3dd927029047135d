/** A QR code as an SVG element (modules drawn as one path; no markup strings). */
import qrcode from "qrcode-generator";

export function qrSvg(text: string, label: string, margin = 2): SVGSVGElement {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 2 * margin;
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + margin},${r + margin}h1v1h-1z`;
  }
  const ns = "http://www.w3.org/2000/svg";
  const s = document.createElementNS(ns, "svg");
  s.setAttribute("viewBox", `0 0 ${size} ${size}`);
  s.setAttribute("role", "img");
  s.setAttribute("aria-label", label);
  s.setAttribute("shape-rendering", "crispEdges");
  s.classList.add("qr");
  const bg = document.createElementNS(ns, "rect");
  bg.setAttribute("width", String(size));
  bg.setAttribute("height", String(size));
  bg.setAttribute("fill", "#fff");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", d);
  p.setAttribute("fill", "#000");
  s.append(bg, p);
  return s;
}

/** "K7MQ4PXR" → "K7MQ-4PXR" (easier to read aloud and to type). */
export function spacedCode(code: string): string {
  return code.length >= 6 && code.length % 2 === 0 ? `${code.slice(0, code.length / 2)}-${code.slice(code.length / 2)}` : code;
}
