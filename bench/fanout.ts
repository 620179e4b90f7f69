// 1. Fan-out deploy: one chart to N real KWOK clusters of a group at once,
// against the slowest of the same deploys to each cluster alone, in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/adapters/exec.js';
import { deploymentWorkflowId } from '../src/domain/ids.js';
import { toolPaths } from '../src/toolchain.js';
import { noteRestarts, processStartMs, type BenchContext } from './lib/context.js';
import { chartOf, deleteDeployment, deleteGroup, groupWith, kwokFleet, NAMESPACE, settledDeployment } from './lib/fleet.js';
import { activitySpans, eventTime, fetchHistory, firstEventAfter } from './lib/history.js';
import { CpuMeter } from './lib/proc.js';
import { Section } from './lib/report.js';
import type { BenchWorker } from './lib/stack.js';
import { median, round } from './lib/stats.js';

const GROUP = 'fanout';

/** Where one deploy's time went, in ms, along its slowest target. */
interface Deploy {
  targets: number;
  total: number;
  /** POST accepted and the deployment workflow started (API validation included). */
  apiToStart: number;
  /** Workflow start to the helm activities scheduled (workflow task latency). */
  startToScheduled: number;
  /** Temporal task latency: scheduled to picked up by the worker, on the slowest target. */
  queueWait: number;
  /** The helm activity on the slowest target, from start to completion. */
  activity: number;
  /** Last activity completed to the result recorded by the workflow. */
  record: number;
  /** Median wall time of each kind of process the activities started (kwokctl get kubeconfig, helm upgrade, ...). */
  processes: Record<string, number>;
  processesPerTarget: number;
  /** Share of all cores busy on the machine during the deploy. */
  machineBusy: number;
  /** CPU seconds of the worker and the helm processes it ran, per target. */
  cpuPerTarget: number;
}

/**
 * The limit on any machine: the same installs with no orchestration at all, `xargs -P n helm upgrade
 * --install` straight to each cluster's kubeconfig, timed around the one xargs; then uninstalled.
 */
async function bareHelm(ctx: BenchContext, members: string[], release: string): Promise<number> {
  const { stack } = ctx;
  const dir = join(stack.dir, release);
  mkdirSync(dir, { recursive: true });
  const lines = await Promise.all(
    members.map(async (cluster) => {
      const kubeconfig = join(dir, `${cluster}.kubeconfig`);
      writeFileSync(kubeconfig, await stack.kwok().kubeconfig({ org: 'kwok', name: cluster }), { mode: 0o600 });
      return `${release} ${kubeconfig}`;
    }),
  );
  const list = join(dir, 'targets');
  writeFileSync(list, `${lines.join('\n')}\n`);
  const env = { HELM_DRIVER: 'secret', HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config'), HELM_DATA_HOME: join(dir, 'data') };
  const helm = toolPaths().helm;
  // Each line is $1 (release) and $2 (kubeconfig) of one sh.
  const each = (command: string) => ['-P', String(members.length), '-L', '1', 'sh', '-c', command, 'sh'];
  const started = performance.now();
  await run('xargs', ['-a', list, ...each(`"${helm}" upgrade --install "$1" "${chartOf(stack)}" --namespace ${NAMESPACE} --create-namespace --set message="$1" --kubeconfig "$2" >/dev/null`)], { env });
  const seconds = (performance.now() - started) / 1000;
  await run('xargs', ['-a', list, ...each(`"${helm}" uninstall "$1" --namespace ${NAMESPACE} --kubeconfig "$2" --wait >/dev/null`)], { env });
  return seconds;
}

async function deploy(ctx: BenchContext, worker: BenchWorker, members: string[], release: string): Promise<Deploy> {
  const { stack } = ctx;
  await groupWith(stack, GROUP, members);
  await worker.stats(true);
  const cpu = new CpuMeter({ worker: worker.pid });
  const t0 = Date.now();
  await stack.expect(202, 'kwok', 'POST', `/clustergroups/${GROUP}/deployments`, { releaseName: release, chart: chartOf(stack), namespace: NAMESPACE, values: { message: release } });
  await settledDeployment(stack, GROUP, release);
  const usage = cpu.read();
  const stats = await worker.stats(true);
  const history = await fetchHistory(stack.client, deploymentWorkflowId('kwok', GROUP, release));
  const spans = activitySpans(history).filter((s) => s.type === 'helmApply');
  if (spans.length !== members.length) throw new Error(`deployment ${release}: ${spans.length} helm activities for ${members.length} targets (retries?)`);
  const last = spans.reduce((a, b) => (b.closed! > a.closed! ? b : a));
  const started = eventTime(history.events![0]!);
  const recorded = eventTime(firstEventAfter(history, last.closed!, (e) => !!e.workflowTaskCompletedEventAttributes)!);
  await deleteDeployment(stack, GROUP, release);
  const spawned = Object.values(stats.spawns).reduce((n, list) => n + list.length, 0);
  return {
    targets: members.length,
    total: recorded - t0,
    apiToStart: started - t0,
    startToScheduled: Math.min(...spans.map((s) => s.scheduled)) - started,
    queueWait: last.started! - last.scheduled,
    activity: last.closed! - last.started!,
    record: recorded - last.closed!,
    processes: Object.fromEntries(Object.entries(stats.spawns).map(([name, ms]) => [name, median(ms)])),
    processesPerTarget: spawned / members.length,
    machineBusy: usage.machineBusy,
    cpuPerTarget: usage.cpuSeconds.worker! / members.length,
  };
}

export async function fanout(ctx: BenchContext): Promise<Section> {
  const sizes = ctx.smoke ? [1, 2] : [1, 3, 10];
  const largest = Math.max(...sizes);
  const section = new Section('fanout', '1. Fan-out deploy', { clusters: largest, sizes, repeats: ctx.repeats, chart: 'test/fixtures/charts/hello' });
  const worker = await ctx.stack.startWorker({ providers: ['kwok'], helm: true });
  try {
    const clusters = await kwokFleet(ctx.stack, largest, ctx.log);
    const helmStart = processStartMs(toolPaths().helm, ['version', '--short']);
    const singles: Deploy[][] = [];
    const fanned: Record<number, Deploy[]> = Object.fromEntries(sizes.map((n) => [n, []]));
    const bare: number[] = [];
    let seq = 0;
    for (let rep = 0; rep < ctx.repeats; rep++) {
      ctx.log(`fan-out run ${rep + 1}/${ctx.repeats}: ${clusters.length} single deploys, then ${sizes.join(', ')} at once`);
      const alone: Deploy[] = [];
      for (const cluster of clusters) alone.push(await deploy(ctx, worker, [cluster], `solo-${++seq}`));
      singles.push(alone);
      for (const n of sizes) fanned[n]!.push(await deploy(ctx, worker, clusters.slice(0, n), `fan-${n}-${++seq}`));
      bare.push(await bareHelm(ctx, clusters, `bare-${++seq}`));
    }
    await deleteGroup(ctx.stack, GROUP);

    const slowestSingle = (rep: number, n: number) => singles[rep]!.slice(0, n).reduce((a, b) => (b.total > a.total ? b : a));
    for (const n of sizes) {
      const ratios = fanned[n]!.map((d, rep) => d.total / slowestSingle(rep, n).total);
      section.figure(`T(all ${n}) / T(slowest single)`, 'ratio', ratios, n === largest && !ctx.smoke ? 1.5 : undefined);
    }
    section.figure(`T(all ${largest}) / T(xargs -P ${largest} helm upgrade --install, no orchestration)`, 'ratio', fanned[largest]!.map((d, rep) => d.total / 1000 / bare[rep]!), ctx.smoke ? undefined : 1.2);
    section.figure(`T(xargs -P ${largest} helm upgrade --install)`, 's', bare);
    for (const n of sizes) {
      section.figure(`T(all ${n})`, 's', fanned[n]!.map((d) => d.total / 1000));
      section.figure(`T(slowest single of ${n})`, 's', fanned[n]!.map((_, rep) => slowestSingle(rep, n).total / 1000));
    }

    // Where the extra time of the largest fan-out goes: each part of the slowest target's path, alone and fanned out.
    const solo = singles.map((_, rep) => slowestSingle(rep, largest));
    const fan = fanned[largest]!;
    const part = (name: string, pick: (d: Deploy) => number) =>
      `${name}: ${round(median(solo.map(pick)))} → ${round(median(fan.map(pick)))} ms`;
    const processNames = [...new Set(fan.flatMap((d) => Object.keys(d.processes)))].sort();
    section.note(
      `Along the slowest target, slowest single deploy → ${largest} at once (medians over ${ctx.repeats} runs): ` +
        [
          part('total', (d) => d.total),
          part('API to workflow start', (d) => d.apiToStart),
          part('workflow start to activities scheduled', (d) => d.startToScheduled),
          part('Temporal task latency (scheduled → started)', (d) => d.queueWait),
          part('helm activity', (d) => d.activity),
          part('result recorded', (d) => d.record),
        ].join('; ') +
        '.',
    );
    section.note(
      `Processes the activity starts, median wall time each, alone → ${largest} at once: ` +
        processNames.map((p) => part(p, (d) => d.processes[p] ?? Number.NaN)).join('; ') +
        `; ${round(median(fan.map((d) => d.processesPerTarget)))} processes per target. ` +
        `Starting one (helm version, idle machine): ${round(helmStart)} ms.`,
    );
    const cpuPerTarget = median(fan.map((d) => d.cpuPerTarget));
    section.note(
      `CPU: a target costs the worker and its helm ${round(cpuPerTarget)} CPU-s (alone: ${round(median(solo.map((d) => d.cpuPerTarget)))}), besides what the KWOK API servers spend; ` +
        `${largest} targets on ${cpus().length} cores need at least ${round((largest * cpuPerTarget) / cpus().length)} s of the ${round(median(fan.map((d) => d.total)) / 1000)} s. ` +
        `Machine CPU busy during the deploy: alone ${round(100 * median(solo.map((d) => d.machineBusy)))} %, ${largest} at once ${round(100 * median(fan.map((d) => d.machineBusy)))} %.`,
    );
    section.raw.singles = singles;
    section.raw.fanned = fanned;
    section.raw.bare = bare;
    section.raw.helmStartMs = helmStart;
    return section;
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }
}
