import type { ClusterState } from '../../src/domain/cluster-state.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { handedOverOperationId } from '../../src/domain/ids.js';
import { deleteClusterUpdate, updateNodePoolSignal } from '../../src/workflows/messages.js';
import { stateWhen } from '../helpers/cluster-state.js';
import { runningCluster, simSuite } from '../helpers/sim-suite.js';
import { eventually } from '../helpers/stack.js';

// PUT /clusters/{name}/nodepools/{pool} reaches the cluster entity as a signal (docs/architecture.md,
// decision 2): the entity checks it, queues it or records it FAILED with the reason, under the ID
// the API answered with.
const ORG = 'handover';
const suite = simSuite();
const { sim } = suite;

const started = (name: string) =>
  runningCluster(suite.stack, ORG, withDefaults({ name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 2, minCount: 1, maxCount: 5 }] }));

const settled = (s: ClusterState) => s.operations.every((op) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.state));

describe('node pool changes handed over by signal (sim provider, real dev server)', () => {
  it('queues and runs the change under the operation ID made from the request ID, once for a retried request', async () => {
    const handle = await started('sig-a');
    const before = sim.calls.get('updateNodePool') ?? 0;
    const request = { requestId: 'scale-web-4', pool: 'web', changes: { count: 4 } };
    await handle.signal(updateNodePoolSignal, request);
    await handle.signal(updateNodePoolSignal, request);
    const state = await stateWhen(handle, (s) => settled(s) && s.operations.length === 2, 'the change done');
    const id = handedOverOperationId('sig-a', 'scale-web-4');
    expect(id).toBe('cluster.sig-a.r.scale-web-4');
    expect(state.operations.map((op) => [op.id, op.type, op.state])).toEqual([
      ['cluster.sig-a.1', 'provision', 'SUCCEEDED'],
      [id, 'updateNodePool', 'SUCCEEDED'],
    ]);
    expect(state.operations[1]!.workflowId).toBe(`cluster/${ORG}/sig-a/nodepool/web/update/scale-web-4`);
    expect(state.requests['scale-web-4']).toBe(id);
    expect(state.currentCounts).toEqual({ web: 4 });
    expect((sim.calls.get('updateNodePool') ?? 0) - before).toBe(1);
  });

  it('records a request it refuses as a FAILED operation with the reason, and runs nothing for it', async () => {
    const handle = await started('sig-b');
    const before = sim.calls.get('updateNodePool') ?? 0;
    await handle.signal(updateNodePoolSignal, { requestId: 'too-many', pool: 'web', changes: { count: 9 } });
    await handle.signal(updateNodePoolSignal, { requestId: 'no-pool', pool: 'nope', changes: { count: 1 } });
    const state = await stateWhen(handle, (s) => s.operations.length === 3, 'both recorded');
    expect(state.operations.slice(1).map((op) => [op.id, op.state, op.error])).toEqual([
      ['cluster.sig-b.r.too-many', 'FAILED', expect.stringMatching(/^refused: invalid node pool change; count: .*maxCount 5/)],
      ['cluster.sig-b.r.no-pool', 'FAILED', "refused: node pool 'nope' not found"],
    ]);
    expect(state.operations.slice(1).every((op) => op.steps.length === 0 && op.finishedAt)).toBe(true);
    expect(state.status).toBe('RUNNING');
    expect(state.spec.nodePools).toEqual([expect.objectContaining({ name: 'web', count: 2 })]);
    expect((sim.calls.get('updateNodePool') ?? 0) - before).toBe(0);
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(1);
  });

  it('refuses a change that arrives behind a queued delete, which the memo the API checks does not show', async () => {
    const handle = await started('sig-c');
    // A change stuck in the cloud keeps the plain delete queued when the handed-over one arrives.
    sim.inject('updateNodePool', { kind: 'hang' });
    await handle.signal(updateNodePoolSignal, { requestId: 'stuck', pool: 'web', changes: { count: 3 } });
    const queued = await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }], updateId: 'delete' });
    expect(queued.state).toBe('QUEUED');
    await handle.signal(updateNodePoolSignal, { requestId: 'late', pool: 'web', changes: { count: 1 } });
    const state = await stateWhen(handle, (s) => s.operations.some((op) => op.id === 'cluster.sig-c.r.late'), 'the late change recorded');
    expect(state.operations.find((op) => op.id === 'cluster.sig-c.r.late')).toMatchObject({ state: 'FAILED', error: 'refused: cluster is being deleted' });
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }], updateId: 'force' });
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 'deleted');
  });
});
