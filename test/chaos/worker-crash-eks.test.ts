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
import { MotoBarrier, type AwsKillPoint } from '../helpers/moto-barrier.js';
import { killProcess, startFlotillaProcess } from '../helpers/processes.js';
import { eventually } from '../helpers/stack.js';
import { chaosClient, clusterStateWhen, report, settledIn, startCluster } from './entities.js';
import { TestTemporal } from './temporal-server.js';

// EKS against moto, the worker a process of its own (`src/worker.ts`) whose
// AWS endpoint is a proxy that holds one call (test/helpers/moto-barrier.ts).
// Run k SIGKILLs the worker at the k-th kill point of the provision, then of
// the deletion: an activity's first AWS call held as it arrives (the activity
// under way, nothing of it done), or its call that changes the cloud held once
// moto applied it (done, the worker never told). The worker is started again
// and the cloud, read through moto's EKS and EC2 APIs, must hold one cluster,
// one node group per pool and one VPC, then nothing; the held activity must
// have been retried. Runs go in parallel, each in its own namespace with its
// own worker and proxy, on a Temporal dev server of this test's own.

const NAME = 'crash';
const POOLS = [
  { name: 'a', instanceType: 'm5.large', count: 1 },
  { name: 'b', instanceType: 'c5.xlarge', count: 2, spot: true },
];

interface EksKillPoint extends AwsKillPoint {
  activity: string;
}
/** An activity's two kill points: `first`, its first call, as it arrives; `change`, once applied. Calls are counted from the operation's start. */
const killPoints = (activity: string, first: [string, number], change: [string, number]): EksKillPoint[] => [
  { activity, operation: first[0], nth: first[1], phase: 'received' },
  { activity, operation: change[0], nth: change[1], phase: 'applied' },
];
const PROVISION_POINTS = [
  ...killPoints('ensureNetwork', ['DescribeVpcs', 1], ['CreateVpc', 1]),
  ...killPoints('createControlPlane', ['DescribeCluster', 1], ['CreateCluster', 1]),
  // It only reads (createControlPlane made the first DescribeCluster): held before and after moto answers.
  ...killPoints('awaitControlPlane', ['DescribeCluster', 2], ['DescribeCluster', 2]),
  ...POOLS.flatMap((p) => killPoints('createNodePool', [`DescribeNodegroup ${p.name}`, 1], [`CreateNodegroup ${p.name}`, 1])),
];
const DELETE_POINTS = [
  ...POOLS.flatMap((p) => killPoints('deleteNodePool', [`DescribeNodegroup ${p.name}`, 1], [`DeleteNodegroup ${p.name}`, 1])),
  ...killPoints('deleteControlPlane', ['DescribeCluster', 1], ['DeleteCluster', 1]),
  // Its first call detaches the node role's policies; the VPC goes last.
  ...killPoints('deleteNetwork', ['ListAttachedRolePolicies', 1], ['DeleteVpc', 1]),
];
const RUNS = Array.from({ length: Math.max(PROVISION_POINTS.length, DELETE_POINTS.length) }, (_, i) => i + 1);
const keys = { AWS_ACCESS_KEY_ID: 'AKIACHAOSTEST', AWS_SECRET_ACCESS_KEY: 'chaos-test-secret' };

let moto: Awaited<ReturnType<typeof startMoto>>;
let temporal: TestTemporal;
let eks: EKSClient;
let ec2: EC2Client;
const workers = new Set<ChildProcess>();

function startWorker(namespace: string, awsEndpoint: string): ChildProcess {
  const worker = startFlotillaProcess(
    'src/worker.ts',
    {
      ...keys,
      AWS_ENDPOINT_URL: awsEndpoint,
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

/** Per activity type, its attempts beyond the first in a step workflow's history. */
async function retries(client: Client, workflowId: string): Promise<Map<string, number>> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events!;
  const typeOf = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!]));
  const found = new Map<string, number>();
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    if (!started) continue;
    const type = typeOf.get(String(started.scheduledEventId))!;
    found.set(type, (found.get(type) ?? 0) + (started.attempt ?? 1) - 1);
  }
  return found;
}

async function cloudOf(org: string) {
  const clusters = ((await eks.send(new ListClustersCommand({}))).clusters ?? []).filter((c) => c.startsWith(`${org}-`));
  const nodegroups = clusters.length ? ((await eks.send(new ListNodegroupsCommand({ clusterName: `${org}-${NAME}` }))).nodegroups ?? []).sort() : [];
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:flotilla.io/cluster', Values: [`${org}/${NAME}`] }] }))).Vpcs ?? [];
  const subnets = vpcs.length ? ((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcs.map((v) => v.VpcId!) }] }))).Subnets ?? []) : [];
  return { clusters, nodegroups, vpcs: vpcs.length, subnets: subnets.length };
}

interface RunResult {
  /** Kill points held: provision, deletion. */
  held: number[];
  retries: number;
  /** Clusters, node groups, VPCs and subnets beyond one set once RUNNING; all of them left after the deletion. */
  extra: number;
  left: number;
}

/** Run k: kill at the k-th point of the provision, then of the deletion (when they have that many). */
async function crashRun(k: number): Promise<RunResult> {
  const namespace = namespaceOf(k);
  const org = `k${k}`;
  const client = await chaosClient({ address: temporal.address, namespace });
  const barrier = await MotoBarrier.start(moto.endpoint);
  let worker: ChildProcess | undefined;
  const steps = { provision: provisionWorkflowId(org, NAME), delete: deleteWorkflowId(org, NAME, 'delete') };
  const held = [0, 0];
  /** Waits until the worker's call is held at `point`, checks its activity is under way, kills the worker there and starts another. */
  const crashAt = async (point: EksKillPoint, workflowId: string) => {
    const where = `run ${k}: ${point.operation} #${point.nth} ${point.phase}`;
    await eventually(async () => (barrier.held ? true : undefined), where, 600_000);
    const pending = (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? [];
    expect([where, pending.map((a) => a.activityType!.name)]).toEqual([where, expect.arrayContaining([point.activity])]);
    await killProcess(worker!);
    barrier.release();
    worker = startWorker(namespace, barrier.url);
  };
  /** The held activity ran again after the kill. */
  const expectRetried = async (point: EksKillPoint, workflowId: string) => {
    const retried = (await retries(client, workflowId)).get(point.activity) ?? 0;
    expect([k, point.activity, retried > 0]).toEqual([k, point.activity, true]);
  };
  try {
    worker = startWorker(namespace, barrier.url);
    const provisionPoint = PROVISION_POINTS[k - 1];
    if (provisionPoint) barrier.arm(provisionPoint);
    const spec = withDefaults({ name: NAME, provider: 'eks', region: 'us-east-1', nodePools: POOLS });
    await startCluster(client, org, spec);
    if (provisionPoint) {
      await crashAt(provisionPoint, steps.provision);
      held[0]++;
    }
    const state = await clusterStateWhen(client, org, NAME, settledIn('RUNNING'), 'RUNNING', 600_000);
    expect(state.currentCounts).toEqual({ a: 1, b: 2 });
    const running = await cloudOf(org);
    const extra = running.clusters.length - 1 + running.nodegroups.length - POOLS.length + running.vpcs - 1 + running.subnets - 4;
    expect([k, running]).toEqual([k, { clusters: [`${org}-${NAME}`], nodegroups: ['a', 'b'], vpcs: 1, subnets: 4 }]);
    if (provisionPoint) await expectRetried(provisionPoint, steps.provision);

    const deletePoint = DELETE_POINTS[k - 1];
    if (deletePoint) barrier.arm(deletePoint);
    const handle = client.workflow.getHandle(clusterWorkflowId(org, NAME));
    await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
    if (deletePoint) {
      await crashAt(deletePoint, steps.delete);
      held[1]++;
    }
    expect((await handle.result()).status).toBe('DELETED');
    const after = await cloudOf(org);
    const left = after.clusters.length + after.nodegroups.length + after.vpcs + after.subnets;
    expect([k, after]).toEqual([k, { clusters: [], nodegroups: [], vpcs: 0, subnets: 0 }]);
    if (deletePoint) await expectRetried(deletePoint, steps.delete);

    // Attempts beyond the first of every activity: the retries the crashes caused.
    const counted = await Promise.all([steps.provision, steps.delete].map((id) => retries(client, id)));
    return { held, retries: counted.flatMap((m) => [...m.values()]).reduce((a, b) => a + b, 0), extra, left };
  } finally {
    if (worker) await killProcess(worker);
    await barrier.close();
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

it('provisions and deletes an EKS cluster with the worker killed at each activity’s held AWS call, in turn', async () => {
  const started = Date.now();
  // Every run to its end, so that none is left polling when one fails.
  const settled = await Promise.allSettled(RUNS.map(crashRun));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const results = settled.map((s) => (s as PromiseFulfilledResult<RunResult>).value);
  const sum = (of: (r: RunResult) => number) => results.reduce((total, r) => total + of(r), 0);
  report('worker SIGKILLed with each EKS activity’s AWS call held (moto)', {
    'kill points held (provision + delete)': `${sum((r) => r.held[0]!)} + ${sum((r) => r.held[1]!)}`,
    'runs (one cluster, one namespace each)': RUNS.length,
    'node pools per cluster': POOLS.length,
    'activity attempts beyond the first (retries after a kill)': sum((r) => r.retries),
    'clusters, node groups, VPCs, subnets beyond one set once RUNNING': sum((r) => r.extra),
    'left after deletion': sum((r) => r.left),
    seconds: ((Date.now() - started) / 1000).toFixed(0),
  });
}, 1_200_000);
