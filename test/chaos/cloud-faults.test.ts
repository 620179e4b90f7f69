import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { report } from './entities.js';

// A cloud that refuses 30% of calls with throttling or a 5xx, through the API
// and the real workflows: retries absorb it all. Non-retryable refusals
// (an instance type the zone does not offer, an exhausted quota) end in
// ERROR with the cloud's words, and deleting leaves nothing behind.

const FAILURE_RATE = 0.3;
const CLUSTERS = 50;
const POOLS = ['web', 'batch'];
// Calls of a fault-free run per cluster: network, control plane, wait, one per pool; one per pool, control plane, network.
const CALLS_PER_CLUSTER = 3 + POOLS.length + POOLS.length + 2;
const base = '/api/v1/orgs/acme';
const cloud = new SimCloud({ latencyMs: 50, failureRate: FAILURE_RATE });
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: cloud.activities() } });
});
afterAll(() => stack?.stop());

const cluster = (name: string, pools: string[]) => ({
  name,
  provider: 'sim',
  nodePools: pools.map((pool) => ({ name: pool, instanceType: 'standard-2', count: 1 })),
});

/** The org's clusters in `status`, from the list (one request per poll, however many clusters). */
async function listed(status: string): Promise<string[]> {
  const res = await stack.api('GET', `${base}/clusters?status=${status}`);
  return res.body.items.map((c: { name: string }) => c.name);
}

async function untilAll(names: string[], status: string): Promise<void> {
  await eventually(async () => {
    const found = new Set(await listed(status));
    return names.every((n) => found.has(n)) ? true : undefined;
  }, `${names.length} clusters ${status}`, 600_000);
}

const inCloud = (names: string[]) => cloud.inventory().filter((r) => names.some((n) => r.cluster === `acme/${n}`));
const totalCalls = () => [...cloud.calls.values()].reduce((a, b) => a + b, 0);

it(`${CLUSTERS} clusters provision and are deleted while ${FAILURE_RATE * 100}% of cloud calls fail: none in ERROR, no orphan`, async () => {
  const names = Array.from({ length: CLUSTERS }, (_, i) => `flaky-${i + 1}`);
  for (const name of names) expect((await stack.api('POST', `${base}/clusters`, { body: cluster(name, POOLS) })).status).toBe(202);
  await untilAll(names, 'RUNNING');
  const inError = await listed('ERROR');
  expect(inError).toEqual([]);
  for (const name of names) expect([name, cloud.resources({ org: 'acme', name })]).toEqual([name, { networks: 1, controlPlanes: 1, nodePools: 2 }]);
  expect(cloud.creates('duplicate')).toEqual([]);
  const faultsWhileProvisioning = cloud.stats.transientFaults;

  for (const name of names) expect((await stack.api('DELETE', `${base}/clusters/${name}`)).status).toBe(202);
  await untilAll(names, 'DELETED');
  const left = inCloud(names);
  expect(left).toEqual([]);

  // The faults happened, in both phases, and each refused call was made again.
  const faultsWhileDeleting = cloud.stats.transientFaults - faultsWhileProvisioning;
  expect([faultsWhileProvisioning > 0, faultsWhileDeleting > 0]).toEqual([true, true]);
  expect(totalCalls() - CLUSTERS * CALLS_PER_CLUSTER).toBeGreaterThanOrEqual(cloud.stats.transientFaults);
  report(`${CLUSTERS} clusters through a cloud failing ${FAILURE_RATE * 100}% of calls (throttling, 503)`, {
    clusters: CLUSTERS,
    'cloud calls': totalCalls(),
    'transient faults injected (provision, delete)': `${faultsWhileProvisioning}, ${faultsWhileDeleting}`,
    'calls retried (beyond a fault-free run)': totalCalls() - CLUSTERS * CALLS_PER_CLUSTER,
    'clusters in ERROR': inError.length,
    'duplicate creates': cloud.creates('duplicate').length,
    'resources left in the cloud': left.length,
  });
}, 900_000);

describe('non-retryable cloud errors', () => {
  afterEach(() => cloud.clear());

  it.each([
    ['an instance type the zone does not offer', 'gpu', 'InvalidInstanceType: gpu-8 is not offered in zone us-sim-1a (simulated)'],
    ['an exhausted quota', 'big', 'QuotaExceeded: the vCPU quota of the region is exhausted (simulated)'],
  ])('%s: ERROR with the cloud’s message, then a delete or a forced delete leaves nothing', async (what, pool, message) => {
    const rejectedBefore = cloud.stats.rejected;
    cloud.inject('createNodePool', { kind: 'reject', pool, message });
    // The other pool is created meanwhile: deleting must find and remove it.
    const names = [1, 2, 3, 4].map((i) => `${pool}-refused-${i}`);
    for (const name of names) expect((await stack.api('POST', `${base}/clusters`, { body: cluster(name, ['web', pool]) })).status).toBe(202);
    await untilAll(names, 'ERROR');
    for (const name of names) {
      const view = (await stack.api('GET', `${base}/clusters/${name}`)).body;
      expect([name, view.status, view.message]).toEqual([name, 'ERROR', `provision failed: create node pool ${pool} failed: ${message}`]);
    }
    cloud.clear();

    // Half deleted as usual, half forced.
    for (const [i, name] of names.entries()) {
      expect((await stack.api('DELETE', `${base}/clusters/${name}${i % 2 ? '?force=true' : ''}`)).status).toBe(202);
    }
    await untilAll(names, 'DELETED');
    const left = inCloud(names);
    expect(left).toEqual([]);
    // Each cluster's pool was refused once: not retried.
    const refused = cloud.stats.rejected - rejectedBefore;
    expect(refused).toBe(names.length);
    report(`non-retryable cloud error: ${what}`, { clusters: names.length, 'calls refused (non-retryable)': refused, 'resources left in the cloud': left.length });
  }, 600_000);
});
