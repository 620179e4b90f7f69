import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { clusterView, type ClusterState } from '../../src/domain/cluster-state.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { FailureType } from '../../src/domain/problems.js';
import { upgradeClusterUpdate } from '../../src/workflows/messages.js';
import { stateWhen } from '../helpers/cluster-state.js';
import { runningCluster, simSuite } from '../helpers/sim-suite.js';

const ORG = 'upg';
const suite = simSuite();
const { sim } = suite;

const started = (name: string) =>
  runningCluster(
    suite.stack,
    ORG,
    withDefaults({
      name,
      provider: 'sim',
      kubernetesVersion: '1.35',
      nodePools: [
        { name: 'web', instanceType: 'standard-2', count: 2 },
        { name: 'batch', instanceType: 'standard-4', count: 1 },
      ],
    }),
  );

const idle = (s: ClusterState) => s.operations.every((op) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.state));

function upgrade(handle: WorkflowHandle, requestId: string, kubernetesVersion: string) {
  return handle.executeUpdate(upgradeClusterUpdate, { args: [{ requestId, kubernetesVersion }], updateId: requestId });
}

async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

/** The versions the sim cloud's control plane and pools of a cluster run (undefined: as created). */
function cloudVersions(name: string): Record<string, string | undefined> {
  return Object.fromEntries(
    sim
      .inventory()
      .filter((r) => r.cluster === `${ORG}/${name}` && r.kind !== 'network')
      .map((r) => [r.kind === 'controlPlane' ? 'controlPlane' : r.name, r.version]),
  );
}

describe('cluster upgrades (sim provider, real dev server)', () => {
  it('upgrades the control plane, then each pool in turn, each a step; the cluster and its pools report the new version', async () => {
    const handle = await started('up-ok');
    const accepted = await upgrade(handle, 'up-1', '1.36');
    expect(accepted).toMatchObject({ type: 'upgrade', state: 'QUEUED', workflowId: `cluster/${ORG}/up-ok/upgrade/up-1` });
    const state = await stateWhen(handle, (s) => idle(s) && s.operations.length === 2, 'upgrade done');
    const op = state.operations[1]!;
    expect(op).toMatchObject({ type: 'upgrade', kubernetesVersion: '1.36', state: 'SUCCEEDED' });
    expect(op.steps.map((s) => [s.name, s.state])).toEqual([
      ['upgrade control plane to 1.36', 'DONE'],
      ['upgrade node pool web to 1.36 (surge, drain, replace)', 'DONE'],
      ['upgrade node pool batch to 1.36 (surge, drain, replace)', 'DONE'],
    ]);
    expect(state.status).toBe('RUNNING');
    const view = clusterView(state);
    expect(view.kubernetesVersion).toBe('1.36');
    expect(view.nodePools.map((p) => [p.name, p.kubernetesVersion])).toEqual([
      ['web', '1.36'],
      ['batch', '1.36'],
    ]);
    expect(cloudVersions('up-ok')).toEqual({ controlPlane: '1.36', web: '1.36', batch: '1.36' });
  });

  it('refuses a skipped minor and a downgrade (invalid, naming kubernetesVersion) and the same version (conflict), writing nothing to history', async () => {
    const handle = await started('up-refused');
    const skip = await rejection(upgrade(handle, 'skip', '1.37'));
    expect(skip.type).toBe(FailureType.invalid);
    expect(skip.details?.[0]).toEqual([{ path: ['kubernetesVersion'], message: expect.stringMatching(/skips a minor: upgrade one minor at a time, to 1\.36 first/) }]);
    const down = await rejection(upgrade(handle, 'down', '1.34'));
    expect(down.type).toBe(FailureType.invalid);
    expect(down.message).toMatch(/downgrades are not supported/);
    const same = await rejection(upgrade(handle, 'same', '1.35'));
    expect(same.type).toBe(FailureType.conflict);
    expect(same.message).toMatch(/already at Kubernetes 1\.35/);
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
  });

  it('a pool that fails leaves the cluster WARNING, the operation FAILED where it stopped, versions as far as they got; the same version again finishes it', async () => {
    const handle = await started('up-fail');
    sim.inject('upgradeNodePool', { kind: 'reject', pool: 'batch', message: 'PodEvictionFailure: Reached max retries while trying to evict pods (simulated)' });
    await upgrade(handle, 'up-1', '1.36');
    const failed = await stateWhen(handle, (s) => idle(s) && s.operations.length === 2, 'upgrade failed');
    expect(failed.status).toBe('WARNING');
    expect(failed.message).toMatch(/^upgrade failed: upgrade node pool batch to 1\.36 \(surge, drain, replace\) failed: PodEvictionFailure/);
    expect(failed.operations[1]!.state).toBe('FAILED');
    expect(failed.operations[1]!.steps.map((s) => s.state)).toEqual(['DONE', 'DONE', 'FAILED']);
    const view = clusterView(failed);
    expect(view.kubernetesVersion).toBe('1.36');
    expect(view.nodePools.map((p) => [p.name, p.kubernetesVersion])).toEqual([
      ['web', '1.36'],
      ['batch', '1.35'],
    ]);
    expect(cloudVersions('up-fail')).toEqual({ controlPlane: '1.36', web: '1.36', batch: undefined });

    // A further minor waits until every pool has caught up with the control plane.
    expect((await rejection(upgrade(handle, 'too-far', '1.37'))).type).toBe(FailureType.invalid);
    sim.clear();
    await upgrade(handle, 'up-2', '1.36');
    const done = await stateWhen(handle, (s) => idle(s) && s.operations.length === 3, 'upgrade finished');
    expect(done.operations[2]!.state).toBe('SUCCEEDED');
    expect(done.status).toBe('RUNNING');
    expect(done.nodePoolVersions).toBeUndefined();
    expect(cloudVersions('up-fail')).toEqual({ controlPlane: '1.36', web: '1.36', batch: '1.36' });
    expect((await rejection(upgrade(handle, 'again', '1.36'))).type).toBe(FailureType.conflict);
  });
});
