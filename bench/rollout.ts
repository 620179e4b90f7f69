// 5. Rollout in waves: a deployment over sim clusters in waves of two, each target behind its
// health gate, and the orchestration's own time between one wave's last healthy target and the
// next wave's first apply. Helm is faked in the worker (test/helpers/fake-helm.ts: releases in
// memory, healthy at once), so the gap measured is the entity's and Temporal's alone.
import { deploymentWorkflowId } from '../src/domain/ids.js';
import { noteRestarts, type BenchContext } from './lib/context.js';
import { chartOf, deleteDeployment, deleteGroup, groupWith, NAMESPACE, settledDeployment, waitForCluster } from './lib/fleet.js';
import { activitySpans, fetchHistory, type ActivitySpan } from './lib/history.js';
import { Section } from './lib/report.js';
import { createSimClusters, deleteClusters } from './lib/sim-fleet.js';
import { median, round } from './lib/stats.js';

const GROUP = 'rollout';
const WAVE_SIZE = 2;

/** Per wave boundary, ms from the wave's last health gate passed to the next wave's first helm apply scheduled. */
export function gapsBetweenWaves(spans: readonly ActivitySpan[], waveSize: number): number[] {
  const inWaves = (type: string) => {
    const sorted = spans.filter((s) => s.type === type).sort((a, b) => a.scheduled - b.scheduled);
    return Array.from({ length: Math.ceil(sorted.length / waveSize) }, (_, i) => sorted.slice(i * waveSize, (i + 1) * waveSize));
  };
  const applies = inWaves('helmApply');
  const gates = inWaves('helmAwaitHealthy');
  return gates.slice(0, -1).map((wave, i) => Math.min(...applies[i + 1]!.map((s) => s.scheduled)) - Math.max(...wave.map((s) => s.closed!)));
}

export async function rollout(ctx: BenchContext): Promise<Section> {
  const { stack } = ctx;
  const size = ctx.smoke ? 4 : 10;
  const names = Array.from({ length: size }, (_, i) => `roll-${i}`);
  const section = new Section('rollout', '5. Rollout in waves', { clusters: size, waveSize: WAVE_SIZE, repeats: ctx.repeats, clustersAre: 'sim', helm: 'faked in the worker, healthy at once' });
  const worker = await stack.startWorker({ providers: ['sim'], fakeHelm: true });
  try {
    await createSimClusters(stack, 'kwok', names);
    for (const name of names) await waitForCluster(stack, 'kwok', name, 'RUNNING');
    await groupWith(stack, GROUP, names);
    const waves = Array.from({ length: size / WAVE_SIZE }, (_, i) => ({ clusters: names.slice(i * WAVE_SIZE, (i + 1) * WAVE_SIZE) }));
    const gaps: number[] = [];
    const totals: number[] = [];
    for (let rep = 0; rep < ctx.repeats; rep++) {
      const release = `waves-${rep + 1}`;
      ctx.log(`rollout ${rep + 1}/${ctx.repeats}: ${size} sim clusters in ${waves.length} waves of ${WAVE_SIZE}`);
      const t0 = Date.now();
      // The fake never reads the chart; one under the chart root passes the API's checks.
      await stack.expect(202, 'kwok', 'POST', `/clustergroups/${GROUP}/deployments`, { releaseName: release, chart: chartOf(stack), namespace: NAMESPACE, rollout: { waves } });
      await settledDeployment(stack, GROUP, release);
      totals.push(Date.now() - t0);
      const between = gapsBetweenWaves(activitySpans(await fetchHistory(stack.client, deploymentWorkflowId('kwok', GROUP, release))), WAVE_SIZE);
      if (between.length !== waves.length - 1) throw new Error(`rollout ${release}: ${between.length} wave boundaries, not ${waves.length - 1}`);
      gaps.push(...between);
      await deleteDeployment(stack, GROUP, release);
    }
    section.figure('between waves: last healthy → next apply', 'ms', gaps, 1000);
    section.figure(`whole rollout of ${size}`, 's', totals.map((t) => t / 1000));
    section.note(
      `${gaps.length} wave boundaries over ${ctx.repeats} rollout(s): median ${round(median(gaps))} ms, worst ${round(Math.max(...gaps))} ms ` +
        '(the health gate activity completing, a workflow task recording it and scheduling the next wave\'s applies, on a shared dev server).',
    );
    section.raw.gapsMs = gaps;
    await deleteGroup(stack, GROUP);
    await deleteClusters(stack, 'kwok', names);
    return section;
  } finally {
    await worker.stop();
    noteRestarts(section, worker);
  }
}
