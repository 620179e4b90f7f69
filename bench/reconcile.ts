// 3. Reconcile at scale: KWOK clusters × releases deployment targets, one
// reconcile pass with nothing to repair and one with 10 % drifted; the time
// split between helm reads and orchestration by running each alone.
import { checkTarget } from '../src/adapters/helm/check-target.js';
import { readCluster } from '../src/adapters/helm/cluster-reads.js';
import { manifestObjects } from '../src/adapters/helm/live-objects.js';
import { coreApi } from '../src/adapters/kube/client.js';
import { Helm } from '../src/adapters/helm/helm.js';
import { LOOPBACK_ENDPOINTS } from '../src/adapters/egress/endpoint-policy.js';
import { NO_EXTRAS } from '../src/adapters/kubeconfig/tenant.js';
import { tenantAccess } from '../src/adapters/tenant-access.js';
import type { DeploymentState, DeploymentView } from '../src/domain/groups.js';
import { deploymentWorkflowId } from '../src/domain/ids.js';
import { toolPaths } from '../src/toolchain.js';
import { eventually } from '../test/helpers/stack.js';
import { activitySlots, noteRestarts, pool, type BenchContext } from './lib/context.js';
import { chartOf, deploymentState, groupWith, kwokFleet, NAMESPACE, settledDeployment } from './lib/fleet.js';
import { activitySpans, fetchHistory } from './lib/history.js';
import { CpuMeter } from './lib/proc.js';
import { Section } from './lib/report.js';
import type { BenchStack, BenchWorker } from './lib/stack.js';
import { median, round } from './lib/stats.js';

const GROUP = 'fleet';
/** The most helm reads a worker runs at once. */
const ACTIVITY_SLOTS = activitySlots();

interface Pass {
  seconds: number;
  targets: number;
  /** Median ms of each helm activity that ran, and of the Temporal task latency before it. */
  helmCheckMs: number;
  queueWaitMs: number;
  /** Per-target reads the deployments made themselves (a pass reading per cluster makes none), and the median ms of each cluster's read. */
  helmChecks: number;
  clusterReadMs: number;
  repairs: number;
  /** Median ms of each kind of process the activities started. */
  processes: Record<string, number>;
  cpu: ReturnType<CpuMeter['read']>;
}

/** A seeded random choice, so a run drifts the same targets as the run before. */
function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  let s = seed >>> 0;
  const random = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

async function deploymentViews(stack: BenchStack): Promise<DeploymentView[]> {
  const views: DeploymentView[] = [];
  for await (const e of stack.client.workflow.list({ query: `FlotillaKind = 'deployment' AND FlotillaOrg = 'kwok' AND ExecutionStatus = 'Running'` })) {
    views.push(e.memo!.deployment as DeploymentView);
  }
  return views;
}

/** One reconcile pass through the API, timed from the request to the last deployment's check (and repair) recorded. */
async function pass(ctx: BenchContext, worker: BenchWorker, releases: string[], targets: number): Promise<Pass> {
  const { stack } = ctx;
  await worker.stats(true);
  const cpu = new CpuMeter({ worker: worker.pid, temporal: stack.devServer.pid });
  const t0 = Date.now();
  const since = new Date(t0).toISOString();
  await stack.expect(202, 'kwok', 'POST', '/reconcile');
  // Each deployment's memo says when its targets were last read: one visibility list a second tells when all were.
  await eventually(
    async () => {
      const views = await deploymentViews(stack);
      const done = views.length === releases.length && views.every((v) => v.lastResults.every((r) => r.lastCheckedAt >= since && r.status === 'DEPLOYED'));
      if (!done) await new Promise((r) => setTimeout(r, 1000));
      return done ? true : undefined;
    },
    'reconcile pass',
    30 * 60_000,
  );
  const usage = cpu.read();
  const stats = await worker.stats(true);
  // The exact end: when each deployment's check operation (repair included) finished, as its workflow recorded it.
  const states = await pool(releases, 20, (r) => deploymentState(stack, GROUP, r));
  const ends = states.map((s: DeploymentState) => {
    const check = s.operations.find((op) => op.type === 'check' && op.createdAt >= since && op.finishedAt);
    if (!check) throw new Error(`deployment ${s.spec.releaseName} has no finished check since ${since}`);
    return Date.parse(check.finishedAt!);
  });
  const spans = (await pool(releases, 20, (r) => fetchHistory(stack.client, deploymentWorkflowId('kwok', GROUP, r))))
    .flatMap(activitySpans)
    .filter((s) => s.type === 'helmCheck' && s.scheduled >= t0 && s.started);
  return {
    seconds: (Math.max(...ends) - t0) / 1000,
    targets,
    helmCheckMs: median(stats.activities.helmCheck ?? []),
    queueWaitMs: median(spans.map((s) => s.started! - s.scheduled)),
    helmChecks: (stats.activities.helmCheck ?? []).length,
    clusterReadMs: median(stats.activities.readClusterReleases ?? []),
    repairs: (stats.activities.helmApply ?? []).length,
    processes: Object.fromEntries(Object.entries(stats.spawns).map(([name, ms]) => [name, median(ms)])),
    cpu: usage,
  };
}

export async function reconcile(ctx: BenchContext): Promise<Section> {
  const { stack } = ctx;
  const nClusters = ctx.smoke ? 2 : 10;
  // FLOTILLA_BENCH_RELEASES: fewer releases than the goal's 100 when a shared machine cannot run 1,000 targets in time.
  const nReleases = ctx.smoke ? 2 : Number(process.env.FLOTILLA_BENCH_RELEASES ?? 100);
  const targets = nClusters * nReleases;
  const drifted = Math.max(1, Math.round(targets / 10));
  const section = new Section('reconcile', '3. Reconcile at scale', { clusters: nClusters, releases: nReleases, targets, drifted, repeats: ctx.repeats, autoSync: true });
  const releases = Array.from({ length: nReleases }, (_, i) => `rel-${String(i).padStart(3, '0')}`);
  const worker = await stack.startWorker({ providers: ['kwok'], helm: true });
  const clean: Pass[] = [];
  const drift: Pass[] = [];
  const orchestrationOnly: Pass[] = [];
  const helmOnly: number[] = [];
  const clusterReadsOnly: number[] = [];
  const recordOnly: number[] = [];
  let kinds: string[] = [];
  try {
    const clusters = await kwokFleet(stack, nClusters, ctx.log);
    await groupWith(stack, GROUP, clusters);
    ctx.log(`installing ${nReleases} releases on ${nClusters} clusters (${targets} targets; setup, not measured)`);
    let installed = 0;
    await pool(releases, 4, async (release) => {
      await stack.expect(202, 'kwok', 'POST', `/clustergroups/${GROUP}/deployments`, { releaseName: release, chart: chartOf(stack), namespace: NAMESPACE, values: { message: release }, autoSync: true });
      await settledDeployment(stack, GROUP, release, 30 * 60_000);
      if (++installed % 10 === 0) ctx.log(`${installed}/${nReleases} releases installed`);
    });

    const kwok = stack.kwok();
    const helm = new Helm(toolPaths().helm, `${stack.dir}/helm-bench`, tenantAccess(LOOPBACK_ENDPOINTS, NO_EXTRAS).egress);
    const pairs = releases.flatMap((release) => clusters.map((cluster) => ({ release, cluster })));
    for (let rep = 0; rep < ctx.repeats; rep++) {
      ctx.log(`reconcile run ${rep + 1}/${ctx.repeats}: a pass with nothing to repair`);
      clean.push(await pass(ctx, worker, releases, targets));

      ctx.log(`drifting ${drifted} targets by hand: every other one by deleting the release's ConfigMap (live drift), the others with helm`);
      const chosen = sample(pairs, drifted, 7 + rep);
      await pool(chosen, 4, async ({ release, cluster }, i) => {
        const kubeconfig = await kwok.kubeconfig({ org: 'kwok', name: cluster });
        if (i % 2 === 0) await coreApi(kubeconfig).deleteNamespacedConfigMap({ name: `${release}-config`, namespace: NAMESPACE });
        else await helm.upgradeInstall(kubeconfig, { name: release, namespace: NAMESPACE, chart: chartOf(stack), values: { message: `drifted-${rep}` } });
      });
      ctx.log(`reconcile run ${rep + 1}/${ctx.repeats}: a pass that repairs them`);
      drift.push(await pass(ctx, worker, releases, targets));

      // Helm alone: the same reads as the activities make, as many at once as the worker's slots, without Temporal.
      ctx.log(`reconcile run ${rep + 1}/${ctx.repeats}: the same ${targets} helm reads without Temporal`);
      const started = performance.now();
      const reads = await pool(pairs, ACTIVITY_SLOTS, async ({ release, cluster }) =>
        checkTarget(helm, await kwok.kubeconfig({ org: 'kwok', name: cluster }), { name: cluster, provider: 'kwok' }, { name: release, namespace: NAMESPACE }, { values: { message: release } }),
      );
      helmOnly.push((performance.now() - started) / 1000);
      const off = reads.filter((r) => r.status !== 'DEPLOYED');
      if (off.length) throw new Error(`${off.length} targets not DEPLOYED after the repair pass, e.g. ${JSON.stringify(off[0])}`);

      // The pass's reads per cluster, without Temporal: each cluster read once for all its releases, 10 clusters at once.
      const perClusterStarted = performance.now();
      await pool(clusters, 10, async (cluster) => readCluster(await kwok.kubeconfig({ org: 'kwok', name: cluster }), releases.map((name) => ({ name, namespace: NAMESPACE }))));
      clusterReadsOnly.push((performance.now() - perClusterStarted) / 1000);

      // Helm's record alone, without the live objects' lists: what comparing live objects adds.
      const recordStarted = performance.now();
      const records = await pool(pairs, ACTIVITY_SLOTS, async ({ release, cluster }) => helm.status(await kwok.kubeconfig({ org: 'kwok', name: cluster }), { name: release, namespace: NAMESPACE }));
      recordOnly.push((performance.now() - recordStarted) / 1000);
      kinds = [...new Set(manifestObjects(records[0]?.manifest ?? '').map((o) => o.kind))].sort();
    }

    // Orchestration alone: the same passes with helm reads that answer at once.
    worker.instantReads(true);
    for (let rep = 0; rep < ctx.repeats; rep++) {
      ctx.log(`reconcile run ${rep + 1}/${ctx.repeats}: the pass with instant helm reads (orchestration alone)`);
      orchestrationOnly.push(await pass(ctx, worker, releases, targets));
    }
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }

  // Issue 18: a clean pass over 1,000 targets in 15 s; 100 repairs in 50 s (about 0.5 s per release, Flux's figure).
  section.figure('pass, nothing to repair', 's', clean.map((p) => p.seconds), ctx.smoke ? undefined : 15);
  section.figure('pass, nothing to repair: targets per second', '/s', clean.map((p) => p.targets / p.seconds));
  section.figure(`pass, ${drifted} targets drifted (10 %)`, 's', drift.map((p) => p.seconds), ctx.smoke ? undefined : 50);
  section.figure(`pass, 10 % drifted: targets per second`, '/s', drift.map((p) => p.targets / p.seconds));
  section.figure(`the same ${targets} helm reads alone (${ACTIVITY_SLOTS} at a time)`, 's', helmOnly);
  section.figure('the same pass, reads answered at once (orchestration alone)', 's', orchestrationOnly.map((p) => p.seconds));
  section.figure(`the same ${targets} reads of Helm's record alone, no live objects (${ACTIVITY_SLOTS} at a time)`, 's', recordOnly);
  section.figure(`live objects compared: wall time added per target (${ACTIVITY_SLOTS} at a time)`, 'ms', helmOnly.map((s, i) => (1000 * (s - recordOnly[i]!)) / targets));
  section.figure(`the same reads per cluster alone (${nClusters} clusters, 10 at a time)`, 's', clusterReadsOnly);
  // Runs before reads per cluster read per target (helmCheck); after, per cluster (readClusterReleases).
  const perTarget = clean.filter((p) => p.helmChecks > 0);
  if (perTarget.length) {
    section.figure('helm read per target (activity)', 'ms', perTarget.map((p) => p.helmCheckMs));
    section.figure('Temporal task latency per read', 'ms', perTarget.map((p) => p.queueWaitMs));
  }
  const perCluster = clean.filter((p) => p.clusterReadMs > 0);
  if (perCluster.length) section.figure(`read per cluster (activity, ${nReleases} releases)`, 'ms', perCluster.map((p) => p.clusterReadMs));
  section.figure('per-target reads the deployments made in the clean pass', 'activities', clean.map((p) => p.helmChecks));

  const processes = [...new Set(clean.flatMap((p) => Object.keys(p.processes)))].sort();
  section.note(
    `Split of the clean pass (medians): ${round(median(clean.map((p) => p.seconds)))} s in all; helm reads alone ${round(median(helmOnly))} s; ` +
      `orchestration alone ${round(median(orchestrationOnly.map((p) => p.seconds)))} s. ` +
      (processes.length
        ? `Processes per read, median wall time each: ${processes.map((n) => `${n} ${round(median(clean.map((p) => p.processes[n] ?? Number.NaN)))} ms`).join(', ')}.`
        : 'A read starts no process.'),
  );
  section.note(
    `CPU during the clean pass: machine ${round(100 * median(clean.map((p) => p.cpu.machineBusy)))} % busy; worker (and any process it starts) ` +
      `${round(100 * median(clean.map((p) => p.cpu.coreShare.worker!)))} % of a core, ${round(median(clean.map((p) => p.cpu.cpuSeconds.worker!)))} CPU-s; dev server ` +
      `${round(100 * median(clean.map((p) => p.cpu.coreShare.temporal!)))} % of a core.`,
  );
  section.note(
    `Kubernetes reads per target: 1 list of the release's Secrets (Helm's record), then 1 list per kind of the manifest ` +
      `(${kinds.join(', ')}): ${1 + kinds.length} in all; discovery once per API version and cluster for the worker's life.`,
  );
  section.note(
    `The drifted pass repaired ${drifted} targets with ${round(median(drift.map((p) => p.repairs)))} helm upgrades.`,
  );
  Object.assign(section.raw, { clean, drift, orchestrationOnly, helmOnly, clusterReadsOnly, recordOnly });
  return section;
}
