/** Grid layout of the plenary overview: the column count that gives the largest tiles. */
export function gridColumns(n: number, width: number, height: number, aspect = 4 / 3): number {
  if (n <= 1) return 1;
  let best = 1;
  let bestSize = 0;
  for (let c = 1; c <= n; c++) {
    const rows = Math.ceil(n / c);
    const w = width / c;
    const hgt = height / rows;
    // The tile's usable size: limited by its width or its height at the wanted aspect.
    const size = Math.min(w, hgt * aspect);
    if (size > bestSize + 0.5) {
      bestSize = size;
      best = c;
    }
  }
  return best;
}

/** The next board in `boards` after `current` (wrapping); from the overview: the first. */
export function step(boards: string[], current: string | null, delta: 1 | -1): string | null {
  if (!boards.length) return null;
  const i = current === null ? -1 : boards.indexOf(current);
  if (i < 0) return delta === 1 ? boards[0]! : boards[boards.length - 1]!;
  return boards[(i + delta + boards.length) % boards.length]!;
}
