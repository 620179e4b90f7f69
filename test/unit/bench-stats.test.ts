import { formatSummary, quantile, round, summarize } from '../../bench/lib/stats.js';
import { Section, table } from '../../bench/lib/report.js';

describe('benchmark statistics', () => {
  it('interpolates quantiles between neighbours', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.99)).toBe(10);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted runs: median, quartiles, extremes', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ n: 5, median: 3, p25: 2, p75: 4, min: 1, max: 5 });
  });

  it('rounds to about three significant digits', () => {
    expect([round(1234.5), round(12.345), round(0.012345), round(0)]).toEqual([1235, 12.3, 0.0123, 0]);
  });

  it('shows the spread only when runs differ', () => {
    expect(formatSummary(summarize([2]))).toBe('2');
    expect(formatSummary(summarize([1, 2, 3, 4, 5]))).toBe('3 [2–4]');
  });

  it('marks a figure against its goal by its median, and prints it in the table', () => {
    const s = new Section('x', 'X', {});
    expect(s.figure('ratio', 'ratio', [1.1, 1.4, 2], 1.5).met).toBe(true);
    expect(s.figure('p99', 'ms', [60, 70, 40], 50).met).toBe(false);
    expect(s.figure('info', 's', 3).met).toBeUndefined();
    const lines = table([s]).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^\| x +\| ratio +\| 1\.4 \[1\.25–1\.7\] +\| ratio \| ≤ 1\.5 \| met +\|$/);
    expect(lines[3]).toContain('MISSED');
  });
});
