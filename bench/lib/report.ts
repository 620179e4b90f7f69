import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatSummary, round, summarize, type Summary } from './stats.js';

/** One reported figure: the median and spread of its repeated measurements, and its goal if it has one. */
export interface Figure {
  name: string;
  unit: string;
  summary: Summary;
  /** The figure should be at most this. */
  goal?: number;
  met?: boolean;
}

export interface SectionResult {
  name: string;
  title: string;
  /** What was run: sizes, latencies, repeats. */
  params: Record<string, unknown>;
  figures: Figure[];
  /** Measured details that are not one number (breakdowns, knees), and what a missed goal comes from. */
  notes: string[];
  /** Raw per-run data, for whoever wants to look again. */
  raw: Record<string, unknown>;
}

/** What a benchmark module fills in. */
export class Section implements SectionResult {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  readonly raw: Record<string, unknown> = {};

  constructor(
    readonly name: string,
    readonly title: string,
    readonly params: Record<string, unknown>,
  ) {}

  figure(name: string, unit: string, values: number | readonly number[], goal?: number): Figure {
    const summary = summarize(typeof values === 'number' ? [values] : values);
    const figure: Figure = { name, unit, summary, ...(goal !== undefined ? { goal, met: summary.median <= goal } : {}) };
    this.figures.push(figure);
    return figure;
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

export interface Report {
  date: string;
  smoke: boolean;
  machine: Record<string, unknown>;
  sections: SectionResult[];
}

/** The table `npm run bench` prints (and BENCHMARKS.md carries): Markdown, readable in a terminal too. */
export function table(sections: readonly SectionResult[]): string {
  const rows = [['Benchmark', 'Figure', 'Median [p25–p75]', 'Unit', 'Goal', ''], ['---', '---', '---:', '---', '---:', '---']];
  for (const s of sections) {
    for (const f of s.figures) {
      rows.push([s.name, f.name, formatSummary(f.summary), f.unit, f.goal === undefined ? '' : `≤ ${round(f.goal)}`, f.met === undefined ? '' : f.met ? 'met' : 'MISSED']);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `| ${r.map((cell, i) => (cell.startsWith('---') ? '-'.repeat(widths[i]! - 1) + (cell.endsWith(':') ? ':' : '-') : cell.padEnd(widths[i]!))).join(' | ')} |`).join('\n');
}

export function notes(sections: readonly SectionResult[]): string {
  return sections
    .filter((s) => s.notes.length)
    .map((s) => [`${s.title}:`, ...s.notes.map((n) => `  - ${n}`)].join('\n'))
    .join('\n\n');
}

export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
