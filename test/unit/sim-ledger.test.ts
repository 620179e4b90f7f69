import { MockActivityEnvironment } from '@temporalio/testing';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';

// The sim cloud counts what a real cloud would have done: a create that comes
// again with the token of the create that made its resource is answered with
// that resource; any other create of an existing resource makes a second one
// and is a duplicate in the ledger. So the chaos suite's "no duplicate" check
// (no `duplicate` in the ledger, one of each resource) can fail.

const ref = clusterRef('ledger', withDefaults({ name: 'one', provider: 'sim', nodePools: [] }));
const step = (workflowId: string) => new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run' } });

/** A cloud whose next call of each kind takes effect and then loses its answer, as when the worker dies. */
function cloudLosingAnswers(): SimCloud {
  const cloud = new SimCloud();
  const lost = new Set<string>();
  cloud.observer = (call, phase) => {
    if (phase !== 'applied' || lost.has(call.activity)) return;
    lost.add(call.activity);
    throw new Error('connection lost');
  };
  return cloud;
}

it('answers a retry of the same step (same token) with what its first attempt made', async () => {
  const cloud = cloudLosingAnswers();
  const activities = cloud.activities();
  const provision = step('provision-one');
  await expect(provision.run(activities.ensureNetwork, ref)).rejects.toThrow('connection lost');
  await provision.run(activities.ensureNetwork, ref);
  expect(cloud.creates().map((c) => c.outcome)).toEqual(['made', 'replayed']);
  expect(cloud.resources(ref)).toEqual({ networks: 1, controlPlanes: 0, nodePools: 0 });
});

it('records a duplicate when a create whose answer was lost is replayed without its token', async () => {
  const cloud = cloudLosingAnswers();
  await expect(step('provision-one').run(cloud.activities().ensureNetwork, ref)).rejects.toThrow('connection lost');
  // The same call sent again by a client that sends no token.
  const [made] = cloud.creates();
  expect(made!.token).toMatch(/^[0-9a-f]{64}$/);
  await cloud.perform({ activity: 'ensureNetwork', args: [ref] }, new AbortController().signal);
  expect(cloud.creates('duplicate')).toEqual([{ kind: 'network', cluster: 'ledger/one', name: 'one', token: undefined, outcome: 'duplicate' }]);
  expect(cloud.resources(ref)).toEqual({ networks: 2, controlPlanes: 0, nodePools: 0 });
});

it('records a duplicate when another workflow step (another token) creates what exists', async () => {
  const cloud = new SimCloud();
  await step('provision-one').run(cloud.activities().ensureNetwork, ref);
  await step('provision-one-again').run(cloud.activities().ensureNetwork, ref);
  expect(cloud.creates().map((c) => c.outcome)).toEqual(['made', 'duplicate']);
  expect(cloud.resources(ref).networks).toBe(2);
});
