// 4. API latency under a steady request rate (open loop, bench/lib/load.ts),
// with a fleet of sim clusters behind it: reads of one cluster and of the list,
// and accepted node pool scale requests, each at 50 and 100 requests/s.
import { noteRestarts, type BenchContext } from './lib/context.js';
import { constantRate } from './lib/load.js';
import { CpuMeter } from './lib/proc.js';
import { Section } from './lib/report.js';
import { createSimClusters, statusClause, waitForClusters } from './lib/sim-fleet.js';
import { tokenOf, type BenchStack, type Org } from './lib/stack.js';
import type { LoadRequest } from './lib/load.js';
import { median, round } from './lib/stats.js';

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
  statuses: Record<string, number>;
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
    { name: 'PUT /clusters/{name}/nodepools/{pool} (accepted scale)', goalP99Ms: 100, request: scaleRequests('api', names) },
  ];

  // Accepts queue behind the operations they start: lower rates find where their goal holds.
  const acceptRamp = ctx.smoke ? [] : [2, 5, 10];
  const plan = [...rates.flatMap((rate) => endpoints.map((endpoint) => ({ rate, endpoint }))), ...acceptRamp.map((rate) => ({ rate, endpoint: endpoints[3]! }))];
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
        // Accepted requests leave operations running: the next run starts when they are done.
        await waitForClusters(stack, 'api', statusClause('RUNNING'), clusters, 30 * 60_000);
      }
    }
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }

  for (const run of plan) {
    const runs = results[key(run)]!;
    const goal = ctx.smoke || !rates.includes(run.rate) ? undefined : run.endpoint.goalP99Ms;
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
    statuses: result.statuses,
    achievedRate: (result.sent - result.timeouts - result.failures) / result.wallSeconds,
    apiCoreShare: cpu.read().coreShare.api!,
    responseBytes: result.responseBytes,
    ...(result.firstError ? { firstError: result.firstError } : {}),
  };
}
