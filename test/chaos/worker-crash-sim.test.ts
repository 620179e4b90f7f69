import type { Client } from '@temporalio/client';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SimCloud } from '../../src/activities/providers/sim/index.js';
import { serveSimCloud } from '../../src/activities/providers/sim/remote.js';
import { withDefaults, type ClusterSpec } from '../../src/domain/cluster.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { deleteClusterUpdate } from '../../src/workflows/messages.js';
import { killProcess, startFlotillaProcess } from '../helpers/processes.js';
import { CrashBarrier, killPoints, type KillPoint } from './crash-barrier.js';
import { chaosClient, clusterStateWhen, report, settledIn, startCluster } from './entities.js';

// The sim cloud runs in this test process, the worker (`src/worker.ts`) in its
// own: a SIGKILL takes the worker down in the middle of its calls and leaves
// the cloud as those calls left it. Each cluster is held at its own kill point
// (its k-th cloud call arrived, or took effect and is not answered yet), then
// the worker is killed once and started again: every kill point in one crash.

const ORG = 'chaos-sim';
const POOLS = ['web', 'batch', 'gpu'];
// Network, control plane, wait for it, one call per pool; deleting: one per pool, control plane, network.
const PROVISION_CALLS = 3 + POOLS.length;
const DELETE_CALLS = POOLS.length + 2;
const PROVISION_POINTS = killPoints(PROVISION_CALLS);
const DELETE_POINTS = killPoints(DELETE_CALLS);
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

/** Holds every cluster at its point, kills the worker there, drops the held calls and starts a new worker; returns when it killed. */
async function crashAt(points: Map<string, KillPoint>): Promise<number> {
  const barrier = new CrashBarrier(points);
  cloud.observer = barrier.observe;
  await barrier.allHeld;
  await killProcess(worker!);
  const killedAt = Date.now();
  cloud.observer = undefined;
  barrier.release();
  worker = startWorker();
  return killedAt;
}

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
  const provisionKilledAt = await crashed;

  for (const name of CLUSTERS) {
    const state = await clusterStateWhen(client, ORG, name, settledIn('RUNNING'), 'RUNNING after the crash');
    expect(state.operations.map((op) => [op.type, op.state])).toEqual([['provision', 'SUCCEEDED']]);
    expect(state.currentCounts).toEqual({ web: 1, batch: 2, gpu: 3 });
    expect([name, cloud.resources({ org: ORG, name })]).toEqual([name, { networks: 1, controlPlanes: 1, nodePools: POOLS.length }]);
  }
  expect(cloud.inventory()).toHaveLength(CLUSTERS.length * (2 + POOLS.length));
  const provisionRecovery = (Date.now() - provisionKilledAt) / 1000;
  const provisionCalls = totalCalls();

  const deletePoints = new Map(CLUSTERS.map((name, i) => [name, DELETE_POINTS[i % DELETE_POINTS.length]!]));
  const crashedAgain = crashAt(deletePoints);
  await Promise.all(
    CLUSTERS.map((name) => client.workflow.getHandle(clusterWorkflowId(ORG, name)).executeUpdate(deleteClusterUpdate, { args: [{ requestId: `delete-${name}` }] })),
  );
  const deleteKilledAt = await crashedAgain;
  for (const name of CLUSTERS) {
    const view = await client.workflow.getHandle(clusterWorkflowId(ORG, name)).result();
    expect([name, view.status]).toEqual([name, 'DELETED']);
  }
  expect(cloud.inventory()).toEqual([]);
  const deleteRecovery = (Date.now() - deleteKilledAt) / 1000;

  report('worker SIGKILLed at every sim cloud call boundary', {
    'kill points (provision + delete)': `${PROVISION_POINTS.length} + ${DELETE_POINTS.length}`,
    clusters: CLUSTERS.length,
    'node pools per cluster': POOLS.length,
    'cloud calls (provision, delete)': `${provisionCalls}, ${totalCalls() - provisionCalls}`,
    'calls beyond a crash-free run (retries)': totalCalls() - CLUSTERS.length * (PROVISION_CALLS + DELETE_CALLS),
    'creates that found their resource already made': cloud.stats.alreadyMade,
    'duplicate or leftover resources': 0,
    'seconds from the kill to all RUNNING, to all DELETED': `${provisionRecovery.toFixed(0)}, ${deleteRecovery.toFixed(0)}`,
  });
}, 900_000);
