// The cost of an `await` against the number of enabled AsyncLocalStorage
// instances, in this process's Node.js: the workflow thread holds several per
// cached workflow (the SDK's cancellation, update and event-group scopes, the
// tracing context), and disables them only when the workflow leaves the cache.
// Run with --expose-gc. Prints one JSON line: { node, execArgv, rows }.
// `npm run bench:node-compare` runs it on each Node; alone:
//   node --expose-gc --import tsx bench/als-await.ts [instances,...]
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AlsAwaitRow {
  instances: number;
  /** Median over batches of one `await Promise.resolve()`, µs. */
  usPerAwait: number;
  /** Heap growth per promise that stays pending, bytes. */
  bytesPerPendingPromise: number;
}

export interface AlsAwaitResult {
  node: string;
  execArgv: string[];
  rows: AlsAwaitRow[];
}

export const ALS_COUNTS = [0, 1, 10, 100, 300, 1000, 3000];
const BATCHES = 5;
const BATCH_MS = 150;
// At 3,000 instances on async hooks a pending promise holds ~150 KB: 1,000 of them are enough to weigh.
const PENDING = 1000;

async function awaits(n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await Promise.resolve(i);
  return performance.now() - started;
}

async function usPerAwait(): Promise<number> {
  // Batches long enough to time, whatever an await costs.
  const probe = Math.max(await awaits(200), 0.01) / 200;
  const n = Math.max(50, Math.min(1_000_000, Math.round(BATCH_MS / probe)));
  const perAwait: number[] = [];
  for (let b = 0; b < BATCHES; b++) perAwait.push((1000 * (await awaits(n))) / n);
  return perAwait.sort((a, b) => a - b)[Math.floor(BATCHES / 2)]!;
}

function bytesPerPendingPromise(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: PENDING }, () => new Promise<never>(() => {}));
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / kept.length;
  kept.length = 0;
  return bytes;
}

/** Each count in a fresh set of instances, entered (and so enabled) in the current async context, then disabled. */
export async function measure(counts: readonly number[]): Promise<AlsAwaitRow[]> {
  const rows: AlsAwaitRow[] = [];
  for (const instances of counts) {
    const storages = Array.from({ length: instances }, () => new AsyncLocalStorage<object>());
    for (const als of storages) als.enterWith({});
    rows.push({ instances, usPerAwait: await usPerAwait(), bytesPerPendingPromise: bytesPerPendingPromise() });
    for (const als of storages) als.disable();
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const counts = process.argv[2] ? process.argv[2].split(',').map(Number) : ALS_COUNTS;
  const rows = await measure(counts);
  console.log(JSON.stringify({ node: process.version, execArgv: process.execArgv.filter((a) => a !== '--expose-gc' && a !== '--import' && a !== 'tsx'), rows } satisfies AlsAwaitResult));
}
