// 2. Orchestration overhead: many sim clusters (fixed latency per cloud call)
// provisioned and deleted at once, against the time the simulated latency and
// the worker's concurrency limits leave no way around.
import { clusterWorkflowId } from '../src/domain/ids.js';
import { activitySlots, noteRestarts, pool, type BenchContext } from './lib/context.js';
import { eventTime, fetchHistory, firstEventAfter, historySize, latencies, type Latencies } from './lib/history.js';
import { CpuMeter, peakRss, resetPeakRss } from './lib/proc.js';
import { Section } from './lib/report.js';
import { createSimClusters, deleteClusters, POOLS, statusClause, waitForClusters } from './lib/sim-fleet.js';
import type { BenchWorker } from './lib/stack.js';
import { median, round } from './lib/stats.js';

const ACTIVITY_SLOTS = activitySlots();
const MiB = 2 ** 20;

/** Cloud calls of one cluster, all and along the critical path (pools run in parallel). */
const CALLS = {
  provision: { all: 3 + POOLS.length, critical: 4 }, // network, control plane, await, pools
  delete: { all: POOLS.length + 2, critical: 3 }, // pools, control plane, network
};
type Phase = keyof typeof CALLS;

export interface PhaseRun {
  clusters: number;
  wallSeconds: number;
  boundSeconds: number;
  workerPeakRssMiB: number;
  cpu: ReturnType<CpuMeter['read']>;
  /** Per cluster, the entity's events of this phase plus the child workflow's. */
  events: number;
  historyBytes: number;
  payloadBytes: number;
  /** Medians over every workflow task and activity of the phase (entities and children), ms. */
  latency: Record<keyof Latencies, number>;
  /** Workflow tasks per cluster in the phase (entity and child). */
  workflowTasks: number;
}

/** The least wall time possible: the latency along the critical path, or all calls spread over the activity slots. */
function bound(phase: Phase, clusters: number, latencyMs: number): number {
  return (Math.max(CALLS[phase].critical, Math.ceil((clusters * CALLS[phase].all) / ACTIVITY_SLOTS)) * latencyMs) / 1000;
}

/** Entity history sizes after provisioning, so the delete phase counts only what it added. */
export type Sizes = Map<string, ReturnType<typeof historySize>>;

/** Provisions (or deletes) the named sim clusters of org `orch` at once and measures it from their histories. */
export async function phase(ctx: BenchContext, worker: BenchWorker, kind: Phase, names: string[], latencyMs: number, before: Sizes): Promise<PhaseRun> {
  const { stack } = ctx;
  resetPeakRss(worker.pid);
  const cpu = new CpuMeter({ worker: worker.pid, temporal: stack.devServer.pid, api: stack.api.pid! });
  const deletedBefore = kind === 'delete' ? (await stack.client.workflow.count(`FlotillaOrg = 'orch' AND ${statusClause('DELETED')}`)).count : 0;
  const t0 = Date.now();
  if (kind === 'provision') await createSimClusters(stack, 'orch', names);
  else await deleteClusters(stack, 'orch', names);
  // Earlier batches are all deleted: RUNNING ones are this batch's, DELETED ones add up.
  await waitForClusters(stack, 'orch', statusClause(kind === 'provision' ? 'RUNNING' : 'DELETED'), deletedBefore + names.length, 30 * 60_000);
  const usage = cpu.read();
  const workerPeakRssMiB = peakRss(worker.pid) / MiB;

  // When each cluster was done, and what its histories hold, from the histories themselves.
  const perCluster = await pool(names, 20, async (name) => {
    const entity = await fetchHistory(stack.client, clusterWorkflowId('orch', name));
    const children = (entity.events ?? []).flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
    const childId = children.find((id) => id.includes(kind === 'provision' ? '/provision' : '/delete/'))!;
    const childHistory = await fetchHistory(stack.client, childId);
    const child = historySize(childHistory);
    const whole = historySize(entity);
    const prior = before.get(name) ?? { events: 0, bytes: 0, payloadBytes: 0 };
    if (kind === 'provision') before.set(name, whole);
    let done: number;
    if (kind === 'provision') {
      const childDone = entity.events!.find((e) => e.childWorkflowExecutionCompletedEventAttributes)!;
      done = eventTime(firstEventAfter(entity, eventTime(childDone), (e) => !!e.workflowTaskCompletedEventAttributes)!);
    } else {
      done = eventTime(entity.events![entity.events!.length - 1]!);
    }
    // The entity's tasks of this phase: those after the phase began.
    const mine = { events: (entity.events ?? []).filter((e) => eventTime(e) >= t0) };
    return {
      done,
      latency: [latencies(mine), latencies(childHistory)],
      events: whole.events - prior.events + child.events,
      historyBytes: whole.bytes - prior.bytes + child.bytes,
      payloadBytes: whole.payloadBytes - prior.payloadBytes + child.payloadBytes,
    };
  });
  return {
    clusters: names.length,
    wallSeconds: (Math.max(...perCluster.map((c) => c.done)) - t0) / 1000,
    boundSeconds: bound(kind, names.length, latencyMs),
    workerPeakRssMiB,
    cpu: usage,
    events: median(perCluster.map((c) => c.events)),
    historyBytes: median(perCluster.map((c) => c.historyBytes)),
    payloadBytes: median(perCluster.map((c) => c.payloadBytes)),
    latency: Object.fromEntries(
      (['workflowTaskQueue', 'workflowTaskRun', 'activityQueue', 'activityRun'] as const).map((k) => [k, median(perCluster.flatMap((c) => c.latency.flatMap((l) => l[k])))]),
    ) as PhaseRun['latency'],
    workflowTasks: median(perCluster.map((c) => c.latency.reduce((n, l) => n + l.workflowTaskRun.length, 0))),
  };
}

export async function orchestration(ctx: BenchContext): Promise<Section> {
  // BENCH_ORCHESTRATION_CLUSTERS: one fleet size only (no knee), for a before/after pair on a busy machine.
  const sized = Number(process.env.BENCH_ORCHESTRATION_CLUSTERS) || undefined;
  const clusters = sized ?? (ctx.smoke ? 10 : 500);
  const latencyMs = ctx.smoke ? 200 : 1000;
  // Smaller fleets, once each, to show where throughput stops growing with the number of clusters.
  const knee = ctx.smoke || sized ? [] : [50, 125, 250];
  const section = new Section('orchestration', '2. Orchestration overhead (sim provider)', {
    clusters,
    poolsPerCluster: POOLS.length,
    latencyMsPerCloudCall: latencyMs,
    activitySlots: ACTIVITY_SLOTS,
    repeats: ctx.repeats,
    knee,
  });
  const worker = await ctx.stack.startWorker({ providers: ['sim'], simLatencyMs: latencyMs });
  const runs: Record<Phase, PhaseRun[]> = { provision: [], delete: [] };
  const kneeRuns: Record<Phase, PhaseRun[]> = { provision: [], delete: [] };
  let batch = 0;
  const round1 = async (size: number, into: Record<Phase, PhaseRun[]>) => {
    const names = Array.from({ length: size }, (_, i) => `o${++batch}-${i}`);
    const sizes: Sizes = new Map();
    ctx.log(`provisioning ${size} sim clusters (${latencyMs} ms per cloud call)`);
    into.provision.push(await phase(ctx, worker, 'provision', names, latencyMs, sizes));
    ctx.log(`deleting them`);
    into.delete.push(await phase(ctx, worker, 'delete', names, latencyMs, sizes));
  };
  try {
    for (let rep = 0; rep < ctx.repeats; rep++) await round1(clusters, runs);
    for (const size of knee) await round1(size, kneeRuns);
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }

  for (const kind of ['provision', 'delete'] as const) {
    const r = runs[kind];
    section.figure(`${kind}: wall / bound`, 'ratio', r.map((x) => x.wallSeconds / x.boundSeconds), ctx.smoke ? undefined : 1.2);
    section.figure(`${kind}: wall time`, 's', r.map((x) => x.wallSeconds));
    section.figure(`${kind}: clusters per minute`, '/min', r.map((x) => (60 * x.clusters) / x.wallSeconds));
    section.figure(`${kind}: worker peak RSS`, 'MiB', r.map((x) => x.workerPeakRssMiB), ctx.smoke ? undefined : 1024);
    section.figure(`${kind}: history events per cluster`, 'events', r.map((x) => x.events));
    section.figure(`${kind}: history bytes per cluster`, 'KiB', r.map((x) => x.historyBytes / 1024));
    section.figure(`${kind}: payload bytes per cluster`, 'KiB', r.map((x) => x.payloadBytes / 1024));
    section.figure(`${kind}: dev server CPU`, '% of a core', r.map((x) => 100 * x.cpu.coreShare.temporal!));
    section.figure(`${kind}: worker CPU`, '% of a core', r.map((x) => 100 * x.cpu.coreShare.worker!));
  }
  const b = (kind: Phase) =>
    `${kind}: ${CALLS[kind].critical} calls on the critical path × ${latencyMs} ms = ${round((CALLS[kind].critical * latencyMs) / 1000)} s; ` +
    `${clusters} clusters × ${CALLS[kind].all} calls × ${latencyMs} ms / ${ACTIVITY_SLOTS} activity slots = ${round((clusters * CALLS[kind].all * latencyMs) / ACTIVITY_SLOTS / 1000)} s`;
  section.note(`Bound (the larger of the two): ${b('provision')}; ${b('delete')}.`);
  for (const kind of ['provision', 'delete'] as const) {
    const l = (k: keyof Latencies) => round(median(runs[kind].map((x) => x.latency[k])));
    const l2 = (phase: Phase) => round(median(runs[phase].map((x) => x.workflowTasks)));
    section.note(
      `Where ${kind} time goes (median per task, ms): workflow task waits ${l('workflowTaskQueue')} for a worker and takes ${l('workflowTaskRun')}; ` +
        `activity waits ${l('activityQueue')} and takes ${l('activityRun')} (of which ${latencyMs} simulated). ` +
        `A cluster's ${kind} takes ${l2(kind)} workflow tasks (entity and child) and ${CALLS[kind].all} activities, ${CALLS[kind].critical} of them in a row.`,
    );
  }
  section.note(
    `Machine CPU busy (all cores) during provisioning: ${round(100 * median(runs.provision.map((x) => x.cpu.machineBusy)))} %; ` +
      `API process: ${round(100 * median(runs.provision.map((x) => x.cpu.coreShare.api!)))} % of a core.`,
  );
  if (knee.length) {
    const rows = [...kneeRuns.provision, ...runs.provision.slice(0, 1)].map(
      (x) => `${x.clusters} clusters: ${round(x.wallSeconds)} s, ${round((60 * x.clusters) / x.wallSeconds)}/min, ${round(x.wallSeconds / x.boundSeconds)} × bound`,
    );
    section.note(`Knee (provisioning, one run each): ${rows.join('; ')}.`);
    section.raw.knee = kneeRuns;
  }
  section.raw.runs = runs;
  return section;
}
