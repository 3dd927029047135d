/**
 * Text widths for laying out labels without reading the DOM (no forced layout while 50
 * boards render): a canvas measures with the page's own font. Outside a browser (Vitest)
 * an estimate of 0.6 em per character stands in.
 */
const cache = new Map<string, number>();
let ctx: CanvasRenderingContext2D | null | undefined;
let family = "";

function context(): CanvasRenderingContext2D | null {
  if (ctx === undefined) {
    const browser = typeof document !== "undefined" && typeof document.createElement === "function" && typeof getComputedStyle === "function";
    ctx = browser ? (document.createElement("canvas").getContext?.("2d") ?? null) : null;
    family = browser ? getComputedStyle(document.documentElement).fontFamily || "sans-serif" : "sans-serif";
  }
  return ctx;
}

/** Width in px of `text` set in `px` pixels at font weight `weight`. */
export function textWidth(text: string, px: number, weight = 600): number {
  const key = `${weight}|${px}|${text}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const c = context();
  let w = text.length * px * 0.6;
  if (c) {
    c.font = `${weight} ${px}px ${family}`;
    w = c.measureText(text).width;
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(key, w);
  return w;
}
