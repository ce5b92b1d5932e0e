// Small statistics and formatting helpers.

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** { median, min, max, n, values } over the finite numbers of `xs`; nulls are kept in values. */
export function summary(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return {
    median: median(v),
    min: v.length ? Math.min(...v) : null,
    max: v.length ? Math.max(...v) : null,
    n: v.length,
    values: xs.map((x) => (typeof x === 'number' && Number.isFinite(x) ? round(x) : null)),
  };
}

/** Pairwise a[i] / b[i] (null when either is missing or b is 0). */
export function ratios(a, b) {
  return a.map((x, i) => {
    const y = b[i];
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y) || y === 0) return null;
    return x / y;
  });
}

export function round(x, digits = 4) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x * 10) / 10;
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

/** Human formatting for tables: bytes as B/KB/MB, ms with sensible precision. */
export function fmt(x, unit) {
  if (x == null || (typeof x === 'number' && !Number.isFinite(x))) return 'n/a';
  if (unit === 'B' || unit === 'B/min' || unit === 'B/s') {
    const suffix = unit === 'B' ? '' : unit.slice(1);
    const a = Math.abs(x);
    if (a >= 1e6) return `${(x / 1e6).toFixed(2)} MB${suffix}`;
    if (a >= 1e4) return `${(x / 1e3).toFixed(1)} kB${suffix}`;
    if (a >= 1e3) return `${(x / 1e3).toFixed(2)} kB${suffix}`;
    return `${Math.round(x)} B${suffix}`;
  }
  if (unit === '×') return x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
  return unit && unit !== 'count' ? `${s} ${unit}` : s;
}

export function fmtSummary(s, unit) {
  if (!s || s.median == null) return 'n/a';
  if (s.n === 1 || s.min === s.max) return fmt(s.median, unit);
  return `${fmt(s.median, unit)} (${fmt(s.min, unit)}–${fmt(s.max, unit)})`;
}
