/** Median and spread of repeated measurements: what every figure of the benchmarks reports. */
export interface Summary {
  n: number;
  median: number;
  /** First and third quartiles: the spread a table shows. */
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** The q-quantile (0..1) of sorted values, interpolating between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).median;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A number with about three significant digits: 0.123, 12.3, 1234. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/** `median [p25–p75]`, or the single value when there was one run. */
export function formatSummary(s: Summary): string {
  if (s.n === 1 || s.p25 === s.p75) return String(round(s.median));
  return `${round(s.median)} [${round(s.p25)}–${round(s.p75)}]`;
}
