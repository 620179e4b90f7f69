import YAML from 'yaml';

/** wide: a table with more columns, where a command has them. */
export const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Prints `data` as JSON or YAML as it is, or as the table `render` makes of it (`wide` for -o wide). */
export function print(format: Format, data: unknown, render: (wide: boolean) => string): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(YAML.stringify(data));
  else process.stdout.write(render(format === 'wide'));
}

/** US dollars as the clouds bill them: hourly to four places, monthly to two. */
export const dollars = (amount: number | undefined, places: number): string | undefined => (amount === undefined ? undefined : `$${amount.toFixed(places)}`);

const cell = (value: unknown): string => (value === undefined || value === null || value === '' ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/** Rows under upper-case headers, columns padded to their widest cell. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => cell(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** `Key:  value` lines, for one resource. */
export function details(pairs: readonly [string, unknown][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${cell(v)}`).join('\n') + '\n';
}
