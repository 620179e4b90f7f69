import YAML from 'yaml';

/** wide: a table with more columns, where a command has them; name: only the names, one a line (for scripts). */
export const FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type Format = (typeof FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** What a resource is called: a cluster's or group's name, a release, a secret's or an operation's ID. */
function nameOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { name, releaseName, operationId, id } = item as Record<string, unknown>;
  const found = [name, releaseName, operationId, id].find((v) => typeof v === 'string');
  return found as string | undefined;
}

/** Prints `data` as JSON or YAML as it is, its names (-o name), or as the table `render` makes of it (`wide` for -o wide). */
export function print(format: Format, data: unknown, render: (wide: boolean) => string): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(YAML.stringify(data));
  else if (format === 'name') {
    const names = (Array.isArray(data) ? data : [data]).map(nameOf).filter((n) => n !== undefined);
    process.stdout.write(names.map((n) => `${n}\n`).join(''));
  }
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
