// report.mjs: the numbers of the benchmarks' tables (bench/vs-janus.mjs,
// bench/live-room.mjs): quantiles, means, a least-squares line, and the
// fixed-decimal cells ("-" for a figure that is missing).  Pure functions.

/** The p-quantile (0..1) of xs, the nearest rank below (undefined for no values). */
export const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
/** The mean of xs, null for no values. */
export const mean = xs => xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null;

/** [intercept, slope] of the least-squares line through (xs[k], ys[k]); needs two distinct xs. */
export function leastSquares(xs, ys) {
  const mx = mean(xs), my = mean(ys);
  const slope = xs.reduce((a, x, k) => a + (x - mx) * (ys[k] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return [my - slope * mx, slope];
}

const fixed = digits => x => (x === undefined || x === null || Number.isNaN(x)) ? '-' : x.toFixed(digits);
export const f0 = fixed(0);
export const f1 = fixed(1);
export const f2 = fixed(2);
