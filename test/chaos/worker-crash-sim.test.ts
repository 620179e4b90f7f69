import type { Client } from '@temporalio/client';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { serveSimCloud } from '../../src/adapters/providers/sim/remote.js';
import { withDefaults, type ClusterSpec } from '../../src/domain/cluster.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { deleteClusterUpdate } from '../../src/workflows/messages.js';
import { killProcess, startFlotillaProcess } from '../helpers/processes.js';
import { CrashBarrier, killPoints, type Held, type KillPoint } from './crash-barrier.js';
import { chaosClient, clusterStateWhen, report, settledIn, startCluster } from './entities.js';

// The sim cloud runs in this test process, the worker (`src/worker.ts`) in its
// own: a SIGKILL takes the worker down in the middle of its calls and leaves
// the cloud as those calls left it. Each cluster is held at its own kill point
// (its k-th cloud call arrived, or took effect and is not answered yet), then
// the worker is killed once and started again: every kill point in one crash.
// The test checks that each cluster was held at its point, by the call
// expected there, and that the call was retried after the crash.

const ORG = 'chaos-sim';
const POOLS = ['web', 'batch', 'gpu'];
// The calls of a provision and of a deletion, in order (the pools' calls run in parallel).
const PROVISION_ORDER = ['ensureNetwork', 'createControlPlane', 'awaitControlPlane', ...POOLS.map(() => 'createNodePool')];
const DELETE_ORDER = [...POOLS.map(() => 'deleteNodePool'), 'deleteControlPlane', 'deleteNetwork'];
const CREATES = ['ensureNetwork', 'createControlPlane', 'createNodePool'];
const PROVISION_POINTS = killPoints(PROVISION_ORDER.length);
const DELETE_POINTS = killPoints(DELETE_ORDER.length);
const CLUSTERS = Array.from({ length: Math.max(PROVISION_POINTS.length, DELETE_POINTS.length) }, (_, i) => `c${i + 1}`);

const cloud = new SimCloud({ latencyMs: 300 });
let served: Awaited<ReturnType<typeof serveSimCloud>>;
let client: Client;
let worker: ChildProcess | undefined;
const dataDir = () => mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'chaos-sim-'));

function startWorker(): ChildProcess {
  return startFlotillaProcess(
    'src/worker.ts',
    { FLOTILLA_TASK_QUEUES: 'flotilla,provider-sim', FLOTILLA_SIM_CLOUD: served.url, FLOTILLA_DATA_DIR: dataDir(), LOG_LEVEL: 'warn' },
    'chaos-sim-worker',
  );
}

/**
 * Holds every cluster at its point, kills the worker there, drops the held
 * calls and starts a new worker; returns the barrier (which goes on counting
 * retries) and when it killed.
 */
async function crashAt(points: Map<string, KillPoint>): Promise<{ barrier: CrashBarrier; killedAt: number }> {
  const barrier = new CrashBarrier(points);
  cloud.observer = barrier.observe;
  await barrier.allHeld;
  const killed = worker!;
  await killProcess(killed);
  expect(killed.signalCode).toBe('SIGKILL');
  const killedAt = Date.now();
  barrier.release();
  worker = startWorker();
  return { barrier, killedAt };
}

/** Each cluster was held by the call its point falls on, and that call was made again after the crash. */
function expectHeldAndRetried(barrier: CrashBarrier, points: Map<string, KillPoint>, order: string[]): void {
  for (const [name, point] of points) {
    const held = barrier.held.get(name);
    expect([name, held && { ...held, retries: held.retries > 0 }]).toEqual([name, { ...point, activity: order[point.call - 1], token: expect.any(String), retries: true }]);
  }
}

/** Kill points the barrier really held clusters at: distinct (call, phase). */
const pointsReached = (barrier: CrashBarrier) => new Set([...barrier.held.values()].map((h: Held) => `${h.call}/${h.phase}`)).size;

const spec = (name: string): ClusterSpec =>
  withDefaults({ name, provider: 'sim', nodePools: POOLS.map((pool, i) => ({ name: pool, instanceType: 'standard-2', count: i + 1 })) });
const totalCalls = () => [...cloud.calls.values()].reduce((a, b) => a + b, 0);

beforeAll(async () => {
  served = await serveSimCloud(cloud);
  client = await chaosClient();
  worker = startWorker();
});
afterAll(async () => {
  if (worker) await killProcess(worker);
  await client?.connection.close();
  await served?.close();
});

it('provisions and deletes with the worker killed at every cloud call boundary: one of each resource, then none', async () => {
  const provisionPoints = new Map(CLUSTERS.map((name, i) => [name, PROVISION_POINTS[i % PROVISION_POINTS.length]!]));
  const crashed = crashAt(provisionPoints);
  await Promise.all(CLUSTERS.map((name) => startCluster(client, ORG, spec(name))));
  const { barrier: provisionBarrier, killedAt: provisionKilledAt } = await crashed;

  for (const name of CLUSTERS) {
    const state = await clusterStateWhen(client, ORG, name, settledIn('RUNNING'), 'RUNNING after the crash');
    expect(state.operations.map((op) => [op.type, op.state])).toEqual([['provision', 'SUCCEEDED']]);
    expect(state.currentCounts).toEqual({ web: 1, batch: 2, gpu: 3 });
    expect([name, cloud.resources({ org: ORG, name })]).toEqual([name, { networks: 1, controlPlanes: 1, nodePools: POOLS.length }]);
  }
  expect(cloud.inventory()).toHaveLength(CLUSTERS.length * (2 + POOLS.length));
  const provisionRecovery = (Date.now() - provisionKilledAt) / 1000;
  const provisionCalls = totalCalls();
  expectHeldAndRetried(provisionBarrier, provisionPoints, PROVISION_ORDER);
  // A create cut once it took effect came again with its token: the cloud answered with what it had made.
  for (const [name, held] of provisionBarrier.held) {
    if (held.phase === 'applied' && CREATES.includes(held.activity)) {
      expect([name, cloud.creates('replayed').some((c) => c.token === held.token)]).toEqual([name, true]);
    }
  }
  expect(cloud.creates('duplicate')).toEqual([]);

  const deletePoints = new Map(CLUSTERS.map((name, i) => [name, DELETE_POINTS[i % DELETE_POINTS.length]!]));
  const crashedAgain = crashAt(deletePoints);
  await Promise.all(
    CLUSTERS.map((name) => client.workflow.getHandle(clusterWorkflowId(ORG, name)).executeUpdate(deleteClusterUpdate, { args: [{ requestId: `delete-${name}` }] })),
  );
  const { barrier: deleteBarrier, killedAt: deleteKilledAt } = await crashedAgain;
  for (const name of CLUSTERS) {
    const view = await client.workflow.getHandle(clusterWorkflowId(ORG, name)).result();
    expect([name, view.status]).toEqual([name, 'DELETED']);
  }
  expect(cloud.inventory()).toEqual([]);
  const deleteRecovery = (Date.now() - deleteKilledAt) / 1000;
  expectHeldAndRetried(deleteBarrier, deletePoints, DELETE_ORDER);

  const retries = (barrier: CrashBarrier) => [...barrier.held.values()].reduce((sum, h) => sum + h.retries, 0);
  report('worker SIGKILLed at every sim cloud call boundary', {
    'kill points held, each by its cluster (provision + delete)': `${pointsReached(provisionBarrier)} + ${pointsReached(deleteBarrier)}`,
    clusters: CLUSTERS.length,
    'node pools per cluster': POOLS.length,
    'cloud calls (provision, delete)': `${provisionCalls}, ${totalCalls() - provisionCalls}`,
    'calls beyond a crash-free run': totalCalls() - CLUSTERS.length * (PROVISION_ORDER.length + DELETE_ORDER.length),
    'held calls made again after the crash (provision, delete)': `${retries(provisionBarrier)}, ${retries(deleteBarrier)}`,
    'creates answered with what their first attempt made (same token)': cloud.creates('replayed').length,
    'duplicate creates': cloud.creates('duplicate').length,
    'resources left after deletion': cloud.inventory().length,
    'seconds from the kill to all RUNNING, to all DELETED': `${provisionRecovery.toFixed(0)}, ${deleteRecovery.toFixed(0)}`,
  });
}, 900_000);
