// An open-loop load generator: requests leave at a constant rate whatever the
// server does, and each latency counts from when its request was due, so a slow
// answer cannot hide the queue behind it (no coordinated omission).
//
// Why not autocannon: its rate limit gives each connection a budget per second,
// so all connections send together at every second's start, a burst of `rate`
// concurrent requests rather than one request every 1/rate seconds.
import { quantile } from './stats.js';

export interface LoadRequest {
  method: string;
  path: string;
  body?: string;
}

export interface LoadOptions {
  baseUrl: string;
  rate: number;
  seconds: number;
  /** Load sent first and not measured, so a run measures the steady state, not a cold start. */
  warmupSeconds: number;
  timeoutMs: number;
  headers: Record<string, string>;
  request: (i: number) => LoadRequest;
}

export interface LoadResult {
  /** Latency percentiles of the answered requests (any status), ms from when each was due. */
  p50: number;
  p99: number;
  max: number;
  /** p99 of the answers of each HTTP status, ms (a refusal's latency apart from an accept's). */
  p99ByStatus: Record<string, number>;
  sent: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** No answer within timeoutMs. */
  timeouts: number;
  /** Connection failures. */
  failures: number;
  /** Timeouts, failures and answers other than 2xx. */
  errors: number;
  /** What the first non-2xx answer, timeout or failure was, to say why in the report. */
  firstError?: string;
  responseBytes: number;
  wallSeconds: number;
}

export async function constantRate(opts: LoadOptions): Promise<LoadResult> {
  const interval = 1000 / opts.rate;
  const warmup = Math.round(opts.rate * opts.warmupSeconds);
  const total = Math.round(opts.rate * opts.seconds);
  const latencies: number[] = [];
  const byStatus: Record<string, number[]> = {};
  const statuses: Record<string, number> = {};
  let timeouts = 0;
  let failures = 0;
  let bytes = 0;
  let firstError: string | undefined;
  const inFlight: Promise<void>[] = [];

  // Warm-up requests are sent and answered like the others, and then forgotten.
  const send = async (i: number, due: number, measured: boolean) => {
    const { method, path, body } = opts.request(i);
    try {
      const response = await fetch(`${opts.baseUrl}${path}`, { method, headers: opts.headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(opts.timeoutMs) });
      const text = await response.text();
      if (!measured) return;
      const latency = performance.now() - due;
      latencies.push(latency);
      (byStatus[response.status] ??= []).push(latency);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      bytes += text.length;
      if (response.status >= 300) firstError ??= `${method} ${path}: ${response.status} ${text.slice(0, 300)}`;
    } catch (err) {
      if (!measured) return;
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      if (timedOut) timeouts++;
      else failures++;
      firstError ??= `${method} ${path}: ${timedOut ? `no answer within ${opts.timeoutMs} ms` : String(err)}`;
    }
  };

  const first = performance.now();
  const start = first + warmup * interval;
  for (let i = 0; i < warmup + total; i++) {
    const due = first + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(i, due, i >= warmup));
  }
  await Promise.all(inFlight);
  const sorted = latencies.sort((a, b) => a - b);
  const answered2xx = Object.entries(statuses).reduce((n, [status, count]) => (status.startsWith('2') ? n + count : n), 0);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    p99ByStatus: Object.fromEntries(Object.entries(byStatus).map(([status, ms]) => [status, quantile(ms.sort((a, b) => a - b), 0.99)])),
    sent: total,
    statuses,
    timeouts,
    failures,
    errors: total - answered2xx,
    ...(firstError ? { firstError } : {}),
    responseBytes: latencies.length ? bytes / latencies.length : 0,
    wallSeconds: (performance.now() - start) / 1000,
  };
}
