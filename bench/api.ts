// 4. API latency under a steady request rate (autocannon), with a fleet of sim
// clusters behind it: reads of one cluster and of the list, and accepted
// node pool scale requests, each at 50 and 100 requests/s.
import autocannon from 'autocannon';
import { noteRestarts, type BenchContext } from './lib/context.js';
import { CpuMeter } from './lib/proc.js';
import { Section } from './lib/report.js';
import { createSimClusters, statusClause, waitForClusters } from './lib/sim-fleet.js';
import { tokenOf } from './lib/stack.js';
import { median, round } from './lib/stats.js';

interface Endpoint {
  name: string;
  goalP99Ms: number;
  request: (i: number) => { method: string; path: string; body?: string };
}

interface Load {
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  achievedRate: number;
  apiCoreShare: number;
  responseBytes: number;
}

export async function api(ctx: BenchContext): Promise<Section> {
  const { stack } = ctx;
  const clusters = ctx.smoke ? 20 : 500;
  const seconds = ctx.smoke ? 2 : 30;
  const rates = [50, 100];
  const section = new Section('api', '4. API latency', { clusters, rates, secondsPerRun: seconds, repeats: ctx.repeats, tool: 'autocannon 8, latencies corrected for coordinated omission' });
  const names = Array.from({ length: clusters }, (_, i) => `a${String(i).padStart(3, '0')}`);
  const base = '/api/v1/orgs/api';
  const endpoints: Endpoint[] = [
    { name: 'GET /clusters/{name}', goalP99Ms: 50, request: (i) => ({ method: 'GET', path: `${base}/clusters/${names[i % clusters]}` }) },
    // The default page (50), and all of them in one answer (the largest page there is).
    { name: `GET /clusters (first page of ${clusters})`, goalP99Ms: 50, request: () => ({ method: 'GET', path: `${base}/clusters` }) },
    { name: `GET /clusters?limit=${clusters}`, goalP99Ms: 50, request: () => ({ method: 'GET', path: `${base}/clusters?limit=${clusters}` }) },
    {
      name: 'PUT /clusters/{name}/nodepools/{pool} (accepted scale)',
      goalP99Ms: 100,
      request: (i) => ({ method: 'PUT', path: `${base}/clusters/${names[i % clusters]}/nodepools/a`, body: JSON.stringify({ count: 1 + (Math.floor(i / clusters) % 3) }) }),
    },
  ];

  const worker = await stack.startWorker({ providers: ['sim'] });
  const results: Record<string, Load[]> = {};
  try {
    ctx.log(`provisioning ${clusters} sim clusters for the API to serve`);
    await createSimClusters(stack, 'api', names);
    await waitForClusters(stack, 'api', statusClause('RUNNING'), clusters, 30 * 60_000);

    for (let rep = 0; rep < ctx.repeats; rep++) {
      for (const rate of rates) {
        for (const endpoint of endpoints) {
          ctx.log(`api run ${rep + 1}/${ctx.repeats}: ${endpoint.name} at ${rate}/s for ${seconds} s`);
          let i = 0;
          const cpu = new CpuMeter({ api: stack.api.pid! });
          const result = await autocannon({
            url: stack.apiUrl,
            // One connection per request a second: a request may take up to a second before the rate suffers.
            connections: rate,
            overallRate: rate,
            duration: seconds,
            timeout: 10,
            headers: { authorization: `Bearer ${tokenOf('api')}`, 'content-type': 'application/json' },
            requests: [{ setupRequest: (req) => ({ ...req, ...endpoint.request(i++) }) }],
          });
          // No answer within the run (a very slow server) leaves no latency to report, not a latency of 0.
          const answered = result.requests.total > 0;
          (results[`${endpoint.name} @ ${rate}/s`] ??= []).push({
            p50: answered ? result.latency.p50 : Number.NaN,
            p99: answered ? result.latency.p99 : Number.NaN,
            errors: result.errors + result.timeouts + result.non2xx,
            achievedRate: result.requests.total / result.duration,
            apiCoreShare: cpu.read().coreShare.api!,
            responseBytes: result.throughput.average / Math.max(1, result.requests.average),
          });
        }
      }
    }
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }

  for (const rate of rates) {
    for (const endpoint of endpoints) {
      const runs = results[`${endpoint.name} @ ${rate}/s`]!;
      const goal = ctx.smoke ? undefined : endpoint.goalP99Ms;
      section.figure(`${endpoint.name} @ ${rate}/s: p50`, 'ms', runs.map((r) => r.p50));
      section.figure(`${endpoint.name} @ ${rate}/s: p99`, 'ms', runs.map((r) => r.p99), goal);
      section.figure(`${endpoint.name} @ ${rate}/s: errors`, 'requests', runs.map((r) => r.errors), ctx.smoke ? undefined : 0);
    }
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
