import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import type { Client } from '@temporalio/client';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { withDefaults } from '../../src/domain/cluster.js';
import { clusterWorkflowId, deleteWorkflowId, provisionWorkflowId } from '../../src/domain/ids.js';
import { deleteClusterUpdate } from '../../src/workflows/messages.js';
import { startMoto } from '../helpers/moto.js';
import { killProcess, startFlotillaProcess } from '../helpers/processes.js';
import { eventually } from '../helpers/stack.js';
import { chaosClient, clusterStateWhen, report, settledIn, startCluster } from './entities.js';
import { TestTemporal } from './temporal-server.js';

// EKS against moto, the worker a process of its own (`src/worker.ts`). Run k
// SIGKILLs the worker right after the k-th activity boundary of the provision
// (then of the deletion) appears in the step workflow's history: an activity
// scheduled (its call under way) or completed (the next not yet scheduled).
// The worker is started again and the cloud, read through moto's EKS and EC2
// APIs, must hold one cluster, one node group per pool and one VPC, then
// nothing. Runs go in parallel, each in its own namespace with its own worker,
// on a Temporal dev server of this test's own.

const NAME = 'crash';
const POOLS = [
  { name: 'a', instanceType: 'm5.large', count: 1 },
  { name: 'b', instanceType: 'c5.xlarge', count: 2, spot: true },
];
// Every activity's ActivityTaskScheduled and ActivityTaskCompleted event.
const PROVISION_BOUNDARIES = 2 * (3 + POOLS.length);
const DELETE_BOUNDARIES = 2 * (POOLS.length + 2);
const RUNS = Array.from({ length: Math.max(PROVISION_BOUNDARIES, DELETE_BOUNDARIES) }, (_, i) => i + 1);
const keys = { AWS_ACCESS_KEY_ID: 'AKIACHAOSTEST', AWS_SECRET_ACCESS_KEY: 'chaos-test-secret' };

let moto: Awaited<ReturnType<typeof startMoto>>;
let temporal: TestTemporal;
let eks: EKSClient;
let ec2: EC2Client;
const workers = new Set<ChildProcess>();

function startWorker(namespace: string): ChildProcess {
  const worker = startFlotillaProcess(
    'src/worker.ts',
    {
      ...keys,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      FLOTILLA_TASK_QUEUES: 'flotilla,provider-eks',
      FLOTILLA_DATA_DIR: mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'chaos-eks-')),
      LOG_LEVEL: 'warn',
    },
    `chaos-eks-worker-${namespace}`,
  );
  workers.add(worker);
  worker.once('exit', () => workers.delete(worker));
  return worker;
}

/** Activity boundaries so far in a step workflow's history (none while it does not exist yet). */
async function boundaries(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events!.filter((e) => e.activityTaskScheduledEventAttributes || e.activityTaskCompletedEventAttributes).length;
}

async function cloudOf(org: string) {
  const clusters = ((await eks.send(new ListClustersCommand({}))).clusters ?? []).filter((c) => c.startsWith(`${org}-`));
  const nodegroups = clusters.length ? ((await eks.send(new ListNodegroupsCommand({ clusterName: `${org}-${NAME}` }))).nodegroups ?? []).sort() : [];
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:flotilla.io/cluster', Values: [`${org}/${NAME}`] }] }))).Vpcs ?? [];
  const subnets = vpcs.length ? ((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcs.map((v) => v.VpcId!) }] }))).Subnets ?? []) : [];
  return { clusters, nodegroups, vpcs: vpcs.length, subnets: subnets.length };
}

/** Run k: kill at the k-th boundary of the provision, then of the deletion (when they have that many). */
async function crashRun(k: number): Promise<{ retries: number }> {
  const namespace = namespaceOf(k);
  const org = `k${k}`;
  const client = await chaosClient({ address: temporal.address, namespace });
  let worker: ChildProcess | undefined;
  const crashAfter = async (workflowId: string) => {
    await eventually(async () => ((await boundaries(client, workflowId)) >= k ? true : undefined), `${workflowId}: boundary ${k}`, 600_000);
    await killProcess(worker!);
    worker = startWorker(namespace);
  };
  try {
    worker = startWorker(namespace);
    const spec = withDefaults({ name: NAME, provider: 'eks', region: 'us-east-1', nodePools: POOLS });
    await startCluster(client, org, spec);
    if (k <= PROVISION_BOUNDARIES) await crashAfter(provisionWorkflowId(org, NAME));
    const state = await clusterStateWhen(client, org, NAME, settledIn('RUNNING'), 'RUNNING', 600_000);
    expect(state.currentCounts).toEqual({ a: 1, b: 2 });
    expect([k, await cloudOf(org)]).toEqual([k, { clusters: [`${org}-${NAME}`], nodegroups: ['a', 'b'], vpcs: 1, subnets: 4 }]);

    const handle = client.workflow.getHandle(clusterWorkflowId(org, NAME));
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
    if (k <= DELETE_BOUNDARIES) await crashAfter(deleteWorkflowId(org, NAME, 'delete'));
    expect((await handle.result()).status).toBe('DELETED');
    expect([k, await cloudOf(org)]).toEqual([k, { clusters: [], nodegroups: [], vpcs: 0, subnets: 0 }]);

    // Attempts beyond the first of every activity: the retries the crashes caused.
    const histories = await Promise.all([provisionWorkflowId(org, NAME), deleteWorkflowId(org, NAME, 'delete')].map((id) => client.workflow.getHandle(id).fetchHistory()));
    const retries = histories.flatMap((h) => h.events!).reduce((sum, e) => sum + Math.max(0, (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1), 0);
    return { retries };
  } finally {
    if (worker) await killProcess(worker);
    await client.connection.close();
  }
}

const namespaceOf = (k: number) => `chaos-eks-${k}`;

beforeAll(async () => {
  temporal = await TestTemporal.start(mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'chaos-eks-temporal-')), RUNS.map(namespaceOf));
  moto = await startMoto();
  const sdk = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: keys.AWS_ACCESS_KEY_ID, secretAccessKey: keys.AWS_SECRET_ACCESS_KEY } };
  eks = new EKSClient(sdk);
  ec2 = new EC2Client(sdk);
});
afterAll(async () => {
  await Promise.all([...workers].map((w) => killProcess(w)));
  await moto?.stop();
  await temporal?.stop();
});

it('provisions and deletes an EKS cluster with the worker killed at every activity boundary, in turn', async () => {
  const started = Date.now();
  // Every run to its end, so that none is left polling when one fails.
  const settled = await Promise.allSettled(RUNS.map(crashRun));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const results = settled.map((s) => (s as PromiseFulfilledResult<{ retries: number }>).value);
  report('worker SIGKILLed at every EKS activity boundary (moto)', {
    'kill points (provision + delete)': `${PROVISION_BOUNDARIES} + ${DELETE_BOUNDARIES}`,
    'runs (one cluster, one namespace each)': RUNS.length,
    'node pools per cluster': POOLS.length,
    'activity attempts beyond the first (retries after a kill)': results.reduce((sum, r) => sum + r.retries, 0),
    'duplicate or leftover clusters, node groups, VPCs': 0,
    seconds: ((Date.now() - started) / 1000).toFixed(0),
  });
}, 1_200_000);
