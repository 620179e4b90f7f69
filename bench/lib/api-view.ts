import { monitorEventLoopDelay } from 'node:perf_hooks';
import { scrape, type Sample } from '../../test/helpers/metrics.js';

/**
 * Where a load run's latency went, split by who waited: the API's own time per answer (its request
 * duration histogram, from the request read to the response written), the API's event loop, and the
 * load generator's own event loop (its latency counts from when a request was due, so its lag counts
 * too). The API's event loop figures cover the window since the previous scrape: prom-client resets
 * them at each collection.
 */
export interface ApiView {
  /** By status: answers the API timed, and the share of them it answered within 100 ms. */
  answers: Record<string, { count: number; within100ms: number; p99UpperBoundMs: number }>;
  apiEventLoopP99Ms: number;
  apiEventLoopMaxMs: number;
  generatorEventLoopP99Ms: number;
  generatorEventLoopMaxMs: number;
}

const DURATION = 'flotilla_http_request_duration_seconds';

/** Starts watching: returns the function that ends the window and reads it. */
export async function watchApi(apiUrl: string, method: string): Promise<() => Promise<ApiView>> {
  const before = await scrape(`${apiUrl}/metrics`); // also resets the API's event loop histogram
  const generator = monitorEventLoopDelay({ resolution: 10 });
  generator.enable();
  return async () => {
    generator.disable();
    const after = await scrape(`${apiUrl}/metrics`);
    const answers: ApiView['answers'] = {};
    for (const status of new Set(after.filter((s) => s.name === `${DURATION}_count` && s.labels.method === method).map((s) => s.labels.status!))) {
      const buckets = bucketDeltas(before, after, method, status);
      const count = buckets.at(-1)?.count ?? 0;
      if (!count) continue;
      const within = buckets.find((b) => b.le === 0.1)?.count ?? 0;
      const p99 = buckets.find((b) => b.count >= 0.99 * count)?.le ?? Number.POSITIVE_INFINITY;
      answers[status] = { count, within100ms: within / count, p99UpperBoundMs: 1000 * p99 };
    }
    const gauge = (name: string) => 1000 * (after.find((s) => s.name === name)?.value ?? Number.NaN);
    return {
      answers,
      apiEventLoopP99Ms: gauge('nodejs_eventloop_lag_p99_seconds'),
      apiEventLoopMaxMs: gauge('nodejs_eventloop_lag_max_seconds'),
      generatorEventLoopP99Ms: generator.percentile(99) / 1e6,
      generatorEventLoopMaxMs: generator.max / 1e6,
    };
  };
}

/** The cumulative buckets of the request duration histogram for one method and status, as counted in the window, summed over routes. */
function bucketDeltas(before: Sample[], after: Sample[], method: string, status: string): { le: number; count: number }[] {
  const sum = (samples: Sample[], le: string) =>
    samples.filter((s) => s.name === `${DURATION}_bucket` && s.labels.method === method && s.labels.status === status && s.labels.le === le).reduce((n, s) => n + s.value, 0);
  const bounds = [...new Set(after.filter((s) => s.name === `${DURATION}_bucket`).map((s) => s.labels.le!))];
  return bounds
    .map((le) => ({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: sum(after, le) - sum(before, le) }))
    .sort((a, b) => a.le - b.le);
}
