import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ClusterState } from '../../src/domain/cluster-state.js';
import { withDefaults, type NodePoolSpec } from '../../src/domain/cluster.js';
import { FailureType } from '../../src/domain/problems.js';
import { clusterEntity, startEntity, withStart } from '../../src/temporal/entity-starts.js';
import { clusterWorkflow } from '../../src/workflows/cluster.js';
import {
  addNodePoolUpdate,
  clusterStateQuery,
  deleteClusterUpdate,
  removeNodePoolUpdate,
  updateNodePoolUpdate,
} from '../../src/workflows/messages.js';
import { stateWhen } from '../helpers/cluster-state.js';
import { simSuite } from '../helpers/sim-suite.js';
import { eventually } from '../helpers/stack.js';

const ORG = 'wf';
const suite = simSuite();
const { sim } = suite;

const pools = (): NodePoolSpec[] => [
  { name: 'web', instanceType: 'standard-2', count: 2, minCount: 1, maxCount: 5 },
  { name: 'batch', instanceType: 'standard-4', count: 1, labels: { tier: 'batch' }, taints: [{ key: 'batch', value: 'true', effect: 'NoSchedule' }] },
];

async function startCluster(name: string, historyLimit?: number): Promise<WorkflowHandleWithFirstExecutionRunId<typeof clusterWorkflow>> {
  const spec = withDefaults({ name, provider: 'sim', nodePools: pools() });
  return startEntity(suite.stack.client, clusterEntity({ org: ORG, spec, requestId: `create-${name}`, ...(historyLimit ? { historyLimit } : {}) }));
}


const allDone = (s: ClusterState) => s.operations.every((op) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.state));

async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('cluster entity workflow (sim provider, real dev server)', () => {
  it('provisions every pool and reaches RUNNING, visible by search attributes', async () => {
    const handle = await startCluster('alpha');
    const state = await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
    expect(state.currentCounts).toEqual({ web: 2, batch: 1 });
    expect(state.operations[0]).toMatchObject({ id: 'cluster.alpha.1', type: 'provision', state: 'SUCCEEDED', workflowId: 'cluster/wf/alpha/provision' });
    expect(state.operations[0]!.steps.map((s) => s.name)).toEqual([
      'ensure network',
      'create control plane',
      'await control plane',
      'create node pool web',
      'create node pool batch',
    ]);
    expect(sim.resources({ org: ORG, name: 'alpha' })).toEqual({ networks: 1, controlPlanes: 1, nodePools: 2 });
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of suite.stack.client.workflow.list({ query: `FlotillaOrg='${ORG}' AND FlotillaStatus='RUNNING' AND WorkflowId='cluster/wf/alpha'` })) ids.push(wf.workflowId);
      return ids.length ? ids : undefined;
    }, 'visibility');
    expect(found).toEqual(['cluster/wf/alpha']);
  });

  it('queues concurrent changes in arrival order, and both changes on different pools apply', async () => {
    const handle = await startCluster('bravo');
    const [scaleWeb, scaleBatch] = await Promise.all([
      handle.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'scale-web', pool: 'web', changes: { count: 4 } }], updateId: 'scale-web' }),
      handle.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'scale-batch', pool: 'batch', changes: { count: 3, labels: { tier: 'bulk' } } }], updateId: 'scale-batch' }),
    ]);
    // Accepted while provisioning: queued behind it, never refused as busy.
    expect([scaleWeb.state, scaleBatch.state]).toEqual(['QUEUED', 'QUEUED']);
    const state = await stateWhen(handle, (s) => s.status === 'RUNNING' && allDone(s), 'both changes');
    expect(state.operations.map((op) => [op.type, op.state])).toEqual([
      ['provision', 'SUCCEEDED'],
      ['updateNodePool', 'SUCCEEDED'],
      ['updateNodePool', 'SUCCEEDED'],
    ]);
    const starts = state.operations.map((op) => op.startedAt!);
    expect([...starts].sort()).toEqual(starts);
    expect(state.currentCounts).toEqual({ web: 4, batch: 3 });
    expect(state.spec.nodePools.find((p) => p.name === 'batch')!.labels).toEqual({ tier: 'bulk' });
  });

  it('applies a retried request (same update ID) once', async () => {
    const handle = await startCluster('charlie');
    await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
    const before = sim.calls.get('createNodePool') ?? 0;
    const request = { requestId: 'add-gpu-1', pool: { name: 'gpu', instanceType: 'gpu-8', count: 1 } };
    const first = await handle.executeUpdate(addNodePoolUpdate, { args: [request], updateId: request.requestId });
    const again = await handle.executeUpdate(addNodePoolUpdate, { args: [request], updateId: request.requestId });
    expect(again.id).toBe(first.id);
    const state = await stateWhen(handle, allDone, 'add done');
    expect(state.operations.filter((op) => op.type === 'addNodePool')).toHaveLength(1);
    expect((sim.calls.get('createNodePool') ?? 0) - before).toBe(1);
  });

  it('rejects bad requests in validators, writing nothing to history', async () => {
    const handle = await startCluster('delta');
    await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
    const missing = await rejection(handle.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'r1', pool: 'nope', changes: { count: 1 } }] }));
    expect(missing.type).toBe(FailureType.notFound);
    const tooMany = await rejection(handle.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'r2', pool: 'web', changes: { count: 9 } }] }));
    expect(tooMany.type).toBe(FailureType.invalid);
    expect(tooMany.details?.[0]).toEqual([expect.objectContaining({ path: ['count'], message: expect.stringMatching(/maxCount 5/) })]);
    const exists = await rejection(handle.executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'r3', pool: pools()[0]! }] }));
    expect(exists.type).toBe(FailureType.conflict);
    // Instance types are checked against the catalogue by the API and the provider activities, not here:
    // the workflow bundle does not carry the catalogue (docs/economics.md; test/api/economics-api.test.ts).

    const history = await handle.fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(0);
  });

  it('goes to ERROR naming the failed step, refuses changes, and force-deletes leaving nothing', async () => {
    sim.inject('createNodePool', { kind: 'reject', message: 'Quota exceeded for resource CPUS (simulated)' });
    const handle = await startCluster('echo');
    // Accepted while creating; cancelled when the create fails, so it cannot mask the ERROR.
    await handle.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'early', pool: 'web', changes: { count: 3 } }] });
    const failed = await stateWhen(handle, (s) => s.status === 'ERROR' && allDone(s), 'ERROR');
    expect(failed.operations.map((op) => [op.type, op.state])).toEqual([
      ['provision', 'FAILED'],
      ['updateNodePool', 'CANCELLED'],
    ]);
    expect(failed.message).toMatch(/^provision failed: create node pool (web|batch) failed: Quota exceeded for resource CPUS/);
    expect(failed.operations[0]!.steps.some((s) => s.state === 'FAILED' && /Quota exceeded/.test(s.message ?? ''))).toBe(true);
    sim.clear();

    const refused = await rejection(handle.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'r1', pool: 'web', changes: { count: 3 } }] }));
    expect(refused.type).toBe(FailureType.conflict);

    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'del', force: true }] });
    const view = await handle.result();
    expect(view.status).toBe('DELETED');
    expect(sim.resources({ org: ORG, name: 'echo' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });

  it('force-deletes a cluster stuck in CREATING, cancelling the stuck step and the queue', async () => {
    sim.inject('awaitControlPlane', { kind: 'hang' });
    const handle = await startCluster('foxtrot');
    await stateWhen(handle, (s) => s.operations[0]!.state === 'RUNNING', 'provision running');
    await handle.executeUpdate(removeNodePoolUpdate, { args: [{ requestId: 'rm', pool: 'batch' }] });
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }] });
    const view = await handle.result();
    expect(view.status).toBe('DELETED');
    const state = await handle.query(clusterStateQuery);
    expect(state.operations.map((op) => [op.type, op.state])).toEqual([
      ['provision', 'CANCELLED'],
      ['removeNodePool', 'CANCELLED'],
      ['delete', 'SUCCEEDED'],
    ]);
    expect(sim.resources({ org: ORG, name: 'foxtrot' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });

  it('force-deletes a cluster stuck in DELETING', async () => {
    const handle = await startCluster('india');
    await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
    sim.inject('deleteControlPlane', { kind: 'hang' });
    // The sim counts every cluster's calls: wait for this delete's own call, or the hang may be cleared before it comes.
    const before = sim.calls.get('deleteControlPlane') ?? 0;
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'plain' }] });
    await stateWhen(handle, (s) => s.status === 'DELETING' && s.operations.at(-1)!.steps.length === 0, 'DELETING');
    await eventually(async () => ((sim.calls.get('deleteControlPlane') ?? 0) > before ? true : undefined), 'delete stuck');
    sim.clear();
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }] });
    expect((await handle.result()).status).toBe('DELETED');
    const state = await handle.query(clusterStateQuery);
    expect(state.operations.slice(-2).map((op) => [op.type, op.type === 'delete' && op.force, op.state])).toEqual([
      ['delete', false, 'CANCELLED'],
      ['delete', true, 'SUCCEEDED'],
    ]);
    expect(sim.resources({ org: ORG, name: 'india' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });

  it('provisions the spec it was created with: changes that arrive with its first task queue behind it, and a delete leaves nothing', async () => {
    // Update-with-start delivers the change in the entity's first workflow task, before the provision starts
    // (as a change sent right after the start does when the worker is slow to pick the workflow up).
    const spec = withDefaults({ name: 'early', provider: 'sim', nodePools: pools() });
    await suite.stack.client.workflow.executeUpdateWithStart(addNodePoolUpdate, {
      args: [{ requestId: 'add-gpu', pool: { name: 'gpu', instanceType: 'gpu-8', count: 1 } }],
      startWorkflowOperation: withStart(clusterEntity({ org: ORG, spec, requestId: 'create-early' })),
    });
    const handle = suite.stack.client.workflow.getHandle('cluster/wf/early');
    await handle.executeUpdate(removeNodePoolUpdate, { args: [{ requestId: 'remove-batch', pool: 'batch' }] });
    const state = await stateWhen(handle, (s) => s.status === 'RUNNING' && allDone(s), 'RUNNING, idle');
    expect(state.operations.map((op) => [op.type, op.state])).toEqual([
      ['provision', 'SUCCEEDED'],
      ['addNodePool', 'SUCCEEDED'],
      ['removeNodePool', 'SUCCEEDED'],
    ]);
    expect(state.operations[0]!.steps.map((s) => s.name)).toContain('create node pool batch');
    expect(state.operations[0]!.steps.map((s) => s.name)).not.toContain('create node pool gpu');
    expect(state.currentCounts).toEqual({ web: 2, gpu: 1 });
    // Every pool made once: a second one would outlive the delete, which then waits on it forever.
    expect(sim.creates('duplicate').filter((c) => c.cluster === `${ORG}/early`)).toEqual([]);
    expect(sim.resources({ org: ORG, name: 'early' })).toEqual({ networks: 1, controlPlanes: 1, nodePools: 2 });
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
    expect(await handle.result()).toMatchObject({ status: 'DELETED' });
    expect(sim.resources({ org: ORG, name: 'early' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });

  it('deletes in reverse order and completes as DELETED; a plain delete joins a pending one', async () => {
    const handle = await startCluster('golf');
    await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
    const first = await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'd1' }] });
    const second = await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'd2' }] }).catch(() => undefined);
    if (second) expect(second.id).toBe(first.id);
    const view = await handle.result();
    expect(view).toMatchObject({ status: 'DELETED', nodePools: [expect.objectContaining({ currentCount: null }), expect.anything()] });
    const state = await handle.query(clusterStateQuery);
    expect(state.operations.at(-1)!.steps.map((s) => s.name)).toEqual(['delete node pool web', 'delete node pool batch', 'delete control plane', 'delete network']);
    expect(sim.resources({ org: ORG, name: 'golf' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });

  it('continues as new when its history grows, keeping state and request IDs', async () => {
    const handle = await startCluster('hotel', 60);
    await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
    for (let count = 1; count <= 5; count++) {
      const requestId = `scale-${count}`;
      await suite.stack.client.workflow
        .getHandle(handle.workflowId)
        .executeUpdate(updateNodePoolUpdate, { args: [{ requestId, pool: 'web', changes: { count } }], updateId: requestId });
      await stateWhen(handle, allDone, `scale ${count}`);
    }
    const latest = await suite.stack.client.workflow.getHandle(handle.workflowId).describe();
    expect(latest.runId).not.toBe(handle.firstExecutionRunId);
    const state = await stateWhen(handle, allDone, 'final');
    expect(state.currentCounts.web).toBe(5);
    expect(state.operations.filter((op) => op.type === 'updateNodePool')).toHaveLength(5);
    // A retry of a request made before continue-as-new still maps to its operation.
    const retried = await suite.stack.client.workflow
      .getHandle(handle.workflowId)
      .executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'scale-1', pool: 'web', changes: { count: 1 } }], updateId: 'scale-1' });
    expect(retried.state).toBe('SUCCEEDED');
    expect((await stateWhen(handle, allDone, 'unchanged')).currentCounts.web).toBe(5);
  });
});
