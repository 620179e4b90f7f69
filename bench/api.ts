// 4. API latency under a steady request rate (open loop, bench/lib/load.ts),
// with a fleet of sim clusters behind it: reads of one cluster and of the list
// at 50 and 100 requests/s (`api`); node pool scale requests (accepts) at the
// goal's rate and past the API's capacity for them (`accepts`).
import { noteRestarts, type BenchContext } from './lib/context.js';
import { watchApi, type ApiView } from './lib/api-view.js';
import { constantRate } from './lib/load.js';
import { CpuMeter } from './lib/proc.js';
import { Section } from './lib/report.js';
import { createSimClusters, statusClause, waitForClusters } from './lib/sim-fleet.js';
import { tokenOf, type BenchStack, type Org } from './lib/stack.js';
import type { LoadRequest } from './lib/load.js';
import { median, quantile, round } from './lib/stats.js';
import { eventTime, fetchHistory, latencies } from './lib/history.js';
import { clusterWorkflowId } from '../src/domain/ids.js';

interface Endpoint {
  name: string;
  goalP99Ms: number;
  request: (i: number) => LoadRequest;
}

export interface Load {
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  /** No answer within the timeout, or the connection failed. */
  unanswered: number;
  statuses: Record<string, number>;
  p99ByStatus: Record<string, number>;
  firstError?: string;
  achievedRate: number;
  apiCoreShare: number;
  responseBytes: number;
}

export async function api(ctx: BenchContext): Promise<Section> {
  const { stack } = ctx;
  const clusters = ctx.smoke ? 20 : 500;
  const seconds = ctx.smoke ? 2 : 30;
  const warmupSeconds = ctx.smoke ? 1 : 5;
  const rates = [50, 100];
  const section = new Section('api', '4. API latency', {
    clusters,
    rates,
    secondsPerRun: seconds,
    warmupSeconds,
    repeats: ctx.repeats,
    tool: 'open-loop constant rate (bench/lib/load.ts), latency from when each request was due',
  });
  const names = Array.from({ length: clusters }, (_, i) => `a${String(i).padStart(3, '0')}`);
  const base = '/api/v1/orgs/api';
  const endpoints: Endpoint[] = [
    { name: 'GET /clusters/{name}', goalP99Ms: 50, request: (i) => ({ method: 'GET', path: `${base}/clusters/${names[i % clusters]}` }) },
    // The default page (50), and all of them in one answer (the largest page there is).
    { name: `GET /clusters (first page of ${clusters})`, goalP99Ms: 50, request: () => ({ method: 'GET', path: `${base}/clusters` }) },
    { name: `GET /clusters?limit=${clusters}`, goalP99Ms: 50, request: () => ({ method: 'GET', path: `${base}/clusters?limit=${clusters}` }) },
  ];
  const plan = rates.flatMap((rate) => endpoints.map((endpoint) => ({ rate, endpoint })));
  const key = (run: (typeof plan)[number]) => `${run.endpoint.name} @ ${run.rate}/s`;

  const worker = await stack.startWorker({ providers: ['sim'] });
  const results: Record<string, Load[]> = {};
  try {
    ctx.log(`provisioning ${clusters} sim clusters for the API to serve`);
    await createSimClusters(stack, 'api', names);
    await waitForClusters(stack, 'api', statusClause('RUNNING'), clusters, 30 * 60_000);

    for (let rep = 0; rep < ctx.repeats; rep++) {
      for (const run of plan) {
        ctx.log(`api run ${rep + 1}/${ctx.repeats}: ${key(run)} for ${seconds} s`);
        (results[key(run)] ??= []).push(await measureLoad(ctx, 'api', run.rate, seconds, warmupSeconds, run.endpoint.request));
      }
    }
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }

  for (const run of plan) {
    const runs = results[key(run)]!;
    const goal = ctx.smoke ? undefined : run.endpoint.goalP99Ms;
    section.figure(`${key(run)}: p50`, 'ms', runs.map((r) => r.p50));
    section.figure(`${key(run)}: p99`, 'ms', runs.map((r) => r.p99), goal);
    section.figure(`${key(run)}: errors`, 'requests', runs.map((r) => r.errors), ctx.smoke ? undefined : 0);
  }
  section.note(
    'Achieved rate and API process CPU per run (medians): ' +
      Object.entries(results)
        .map(([name, runs]) => `${name}: ${round(median(runs.map((r) => r.achievedRate)))}/s, ${round(100 * median(runs.map((r) => r.apiCoreShare)))} % of a core, ~${round(median(runs.map((r) => r.responseBytes)) / 1024)} KiB per answer`)
        .join('; ') +
      '.',
  );
  Object.assign(section.raw, { results });
  return section;
}

/**
 * Accepts: node pool scale requests at the goal's rate on the goal's fleet (p99 and what went
 * unanswered), where an accept's time goes (the entities' workflow tasks meanwhile, from their
 * histories), and a rate past the API's capacity for accepts, where it should answer 429 fast.
 */
export async function accepts(ctx: BenchContext): Promise<Section> {
  const { stack } = ctx;
  // The goal's fleet is 500; FLOTILLA_BENCH_ACCEPT_CLUSTERS makes it smaller where provisioning 500 does not fit.
  const clusters = ctx.smoke ? 20 : Number(process.env.FLOTILLA_BENCH_ACCEPT_CLUSTERS ?? 500);
  const seconds = ctx.smoke ? 2 : 30;
  const warmupSeconds = ctx.smoke ? 1 : 5;
  const rate = 50;
  const pastCapacity = { rate: ctx.smoke ? 100 : 400, seconds: ctx.smoke ? 1 : 10 };
  const section = new Section('accepts', '4b. API accepts', {
    clusters,
    rate,
    secondsPerRun: seconds,
    warmupSeconds,
    pastCapacity,
    repeats: ctx.repeats,
    tool: 'open-loop constant rate (bench/lib/load.ts), latency from when each request was due, 10 s timeout',
  });
  // Names of their own: the api section's fleet may still be there in the same org.
  const names = Array.from({ length: clusters }, (_, i) => `p${String(i).padStart(3, '0')}`);
  const scale = scaleRequests('api', names);
  const worker = await stack.startWorker({ providers: ['sim'] });
  const atRate: Load[] = [];
  const past: Load[] = [];
  const entityTasks: { queue: number[]; run: number[] }[] = [];
  const atRateViews: ApiView[] = [];
  const pastViews: ApiView[] = [];
  try {
    ctx.log(`provisioning ${clusters} sim clusters`);
    // Few creates at once: on a loaded machine, 25 at once outlast the create's update deadline.
    await createSimClusters(stack, 'api', names, 5);
    await waitForClusters(stack, 'api', statusClause('RUNNING'), clusters, 30 * 60_000);
    let sent = 0;
    // Each run's requests continue the sequence, so every one is a change (1 → 2 → 3 → 1 nodes).
    const continuing = (i: number) => scale(sent + i);
    for (let rep = 0; rep < ctx.repeats; rep++) {
      // Each repeat starts on an idle fleet; within one, the rate past capacity comes right after the
      // goal's rate, with the operations it started still queued: that is when capacity runs out.
      if (rep > 0) await waitForClusters(stack, 'api', statusClause('RUNNING'), clusters, 30 * 60_000);
      ctx.log(`accepts run ${rep + 1}/${ctx.repeats}: ${rate}/s for ${seconds} s`);
      const started = Date.now();
      let view = await watchApi(stack.apiUrl, 'PUT');
      atRate.push(await measureLoad(ctx, 'api', rate, seconds, warmupSeconds, continuing));
      atRateViews.push(await view());
      sent += Math.round(rate * (seconds + warmupSeconds));
      entityTasks.push(await entityTaskTimes(stack, names.slice(0, Math.min(50, clusters)), started));
      ctx.log(`accepts run ${rep + 1}/${ctx.repeats}: past capacity, ${pastCapacity.rate}/s for ${pastCapacity.seconds} s`);
      view = await watchApi(stack.apiUrl, 'PUT');
      past.push(await measureLoad(ctx, 'api', pastCapacity.rate, pastCapacity.seconds, 0, continuing));
      pastViews.push(await view());
      sent += Math.round(pastCapacity.rate * pastCapacity.seconds);
    }
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }
  const name = `PUT /clusters/{name}/nodepools/{pool} @ ${rate}/s on ${clusters} clusters`;
  section.figure(`${name}: p50`, 'ms', atRate.map((r) => r.p50));
  section.figure(`${name}: p99`, 'ms', atRate.map((r) => r.p99), ctx.smoke ? undefined : 100);
  section.figure(`${name}: unanswered in 10 s`, 'requests', atRate.map((r) => r.unanswered), ctx.smoke ? undefined : 0);
  section.figure(`${name}: answers other than 202`, 'requests', atRate.map((r) => r.errors - r.unanswered));
  // Where the time went, by who waited (bench/lib/api-view.ts); the API's view includes the warm-up.
  section.figure(`${name}: 202s the API itself answered within 100 ms`, '%', atRateViews.map((v) => 100 * (v.answers['202']?.within100ms ?? Number.NaN)));
  section.figure(`${name}: API event loop delay p99`, 'ms', atRateViews.map((v) => v.apiEventLoopP99Ms));
  section.figure(`${name}: load generator event loop delay p99`, 'ms', atRateViews.map((v) => v.generatorEventLoopP99Ms));
  section.figure(`${name}: entity workflow task wait p99`, 'ms', entityTasks.map((t) => quantile(t.queue, 0.99)));
  section.figure(`${name}: entity workflow task run p99`, 'ms', entityTasks.map((t) => quantile(t.run, 0.99)));
  const pastName = `PUT … @ ${pastCapacity.rate}/s (past capacity)`;
  section.figure(`${pastName}: 429 answers`, 'requests', past.map((r) => r.statuses['429'] ?? 0));
  section.figure(`${pastName}: p99 of the 429 answers`, 'ms', past.map((r) => r.p99ByStatus['429'] ?? Number.NaN), ctx.smoke ? undefined : 100);
  section.figure(`${pastName}: p99 of the 202 answers`, 'ms', past.map((r) => r.p99ByStatus['202'] ?? Number.NaN));
  section.figure(`${pastName}: 429s the API itself answered within 100 ms`, '%', pastViews.map((v) => 100 * (v.answers['429']?.within100ms ?? Number.NaN)));
  section.figure(`${pastName}: API event loop delay p99`, 'ms', pastViews.map((v) => v.apiEventLoopP99Ms));
  section.figure(`${pastName}: load generator event loop delay p99`, 'ms', pastViews.map((v) => v.generatorEventLoopP99Ms));
  section.figure(`${pastName}: unanswered in 10 s`, 'requests', past.map((r) => r.unanswered), ctx.smoke ? undefined : 0);
  section.note(
    `Answers by status: at ${rate}/s ${atRate.map((r) => JSON.stringify(r.statuses)).join(', ')}; past capacity ${past.map((r) => JSON.stringify(r.statuses)).join(', ')}. ` +
      `Achieved rate ${atRate.map((r) => round(r.achievedRate)).join(', ')}/s; API process ${atRate.map((r) => round(100 * r.apiCoreShare)).join(', ')} % of a core. ` +
      `Entity workflow tasks while the ${rate}/s runs lasted (first 50 clusters' histories): median wait ${entityTasks.map((t) => round(quantile(t.queue, 0.5))).join(', ')} ms, median run ${entityTasks.map((t) => round(quantile(t.run, 0.5))).join(', ')} ms.`,
  );
  Object.assign(section.raw, { atRate, past, entityTasks, atRateViews, pastViews });
  return section;
}

/** Wait (scheduled → started) and run (started → completed) times, sorted, of the entities' workflow tasks since `since`. */
async function entityTaskTimes(stack: BenchStack, names: readonly string[], since: number): Promise<{ queue: number[]; run: number[] }> {
  const queue: number[] = [];
  const run: number[] = [];
  for (const name of names) {
    const history = await fetchHistory(stack.client, clusterWorkflowId('api', name));
    const times = latencies({ events: history.events?.filter((e) => eventTime(e) >= since) ?? [] });
    // A task scheduled before the window has no scheduling event in the slice: left out.
    queue.push(...times.workflowTaskQueue.filter(Number.isFinite));
    run.push(...times.workflowTaskRun.filter(Number.isFinite));
  }
  return { queue: queue.sort((a, b) => a - b), run: run.sort((a, b) => a - b) };
}

/** Node pool scale requests to the named clusters in turn (pool `a`, 1 to 3 nodes): each is accepted and starts an operation. */
export function scaleRequests(org: Org, names: readonly string[]): (i: number) => LoadRequest {
  return (i) => ({ method: 'PUT', path: `/api/v1/orgs/${org}/clusters/${names[i % names.length]}/nodepools/a`, body: JSON.stringify({ count: 1 + (Math.floor(i / names.length) % 3) }) });
}

/** One open-loop run against the stack's API as the org, 10 s timeout, with the API process's CPU over it. */
export async function measureLoad(
  ctx: { stack: BenchStack; log: (message: string) => void },
  org: Org,
  rate: number,
  seconds: number,
  warmupSeconds: number,
  request: (i: number) => LoadRequest,
): Promise<Load> {
  const cpu = new CpuMeter({ api: ctx.stack.api.pid! });
  const result = await constantRate({
    baseUrl: ctx.stack.apiUrl,
    rate,
    seconds,
    warmupSeconds,
    timeoutMs: 10_000,
    headers: { authorization: `Bearer ${tokenOf(org)}`, 'content-type': 'application/json' },
    request,
  });
  if (result.firstError) ctx.log(`  ${result.errors} errors, the first: ${result.firstError}`);
  return {
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    unanswered: result.timeouts + result.failures,
    statuses: result.statuses,
    p99ByStatus: result.p99ByStatus,
    achievedRate: (result.sent - result.timeouts - result.failures) / result.wallSeconds,
    apiCoreShare: cpu.read().coreShare.api!,
    responseBytes: result.responseBytes,
    ...(result.firstError ? { firstError: result.firstError } : {}),
  };
}
