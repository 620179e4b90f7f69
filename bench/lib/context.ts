import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config.js';
import type { Section } from './report.js';
import type { BenchWorker } from './stack.js';
import { median } from './stats.js';
import type { BenchStack } from './stack.js';

/** What every benchmark module gets from bench/run.ts. */
export interface BenchContext {
  stack: BenchStack;
  /** The seconds-long version `.ci/run` runs so the bench code cannot rot. */
  smoke: boolean;
  /** How many times each measurement is repeated. */
  repeats: number;
  log: (message: string) => void;
}

/** Median wall time (ms) of starting a command that does nothing much, e.g. `helm version`: the price of one process. */
export function processStartMs(command: string, args: string[], times = 10): number {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    spawnSync(command, args, { stdio: 'ignore' });
    ms.push(performance.now() - started);
  }
  return median(ms);
}

/** Runs fn over items with at most `limit` at a time. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
}

/** Activity slots of a worker as the workers are configured (FLOTILLA_MAX_CONCURRENT_ACTIVITIES, else the SDK's 100). */
export function activitySlots(): number {
  return loadConfig().worker.maxConcurrentActivities ?? 100;
}

/** Says so in the section when its worker died and was started again: its figures include the restart. */
export function noteRestarts(section: Section, worker: BenchWorker): void {
  if (worker.restarts) section.note(`The worker process died ${worker.restarts} time(s) (see its log) and was started again; the figures include that.`);
}
