import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterState } from '../../src/domain/cluster-state.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { provisionWorkflowId } from '../../src/domain/ids.js';
import { clusterStateQuery, deleteClusterUpdate } from '../../src/workflows/messages.js';
import { startMoto } from '../helpers/moto.js';
import { MotoBarrier } from '../helpers/moto-barrier.js';
import { flotillaDataConverter } from '../../src/temporal/codec.js';
import { clusterEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { eventually, testCodec } from '../helpers/stack.js';

// A worker process (`tsx src/worker.ts`, as deployed) is SIGKILLed in the
// middle of an EKS provision against moto, then started again: the run
// resumes and the cloud holds one cluster and one node group per pool. The
// worker reaches moto through a proxy that holds CreateCluster's answer, so
// the kill comes at that point however fast moto is.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const keys = { AWS_ACCESS_KEY_ID: 'AKIACRASHTEST', AWS_SECRET_ACCESS_KEY: 'crash-test-secret' };
let moto: Awaited<ReturnType<typeof startMoto>>;
let barrier: MotoBarrier;
let worker: ChildProcess | undefined;
let connection: Connection;
let client: Client;
let eks: EKSClient;
let ec2: EC2Client;

function startWorker(): ChildProcess {
  // node itself with tsx's loader: one process, so SIGKILL kills the worker, not a wrapper around it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      ...keys,
      AWS_ENDPOINT_URL: barrier.url,
      AWS_REGION: 'us-east-1',
      FLOTILLA_TASK_QUEUES: 'flotilla,provider-eks',
      FLOTILLA_DATA_DIR: mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'crash-')),
    },
    stdio: 'ignore',
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  moto = await startMoto();
  barrier = await MotoBarrier.start(moto.endpoint);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection, dataConverter: flotillaDataConverter(testCodec()) });
  const sdk = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: keys.AWS_ACCESS_KEY_ID, secretAccessKey: keys.AWS_SECRET_ACCESS_KEY } };
  eks = new EKSClient(sdk);
  ec2 = new EC2Client(sdk);
});
afterAll(async () => {
  if (worker && worker.exitCode === null) await kill(worker);
  await connection?.close();
  await barrier?.close();
  await moto?.stop();
});

it('resumes an EKS provision after the worker is killed, without a second cluster or node group', async () => {
  barrier.arm({ operation: 'CreateCluster', nth: 1, phase: 'applied' });
  worker = startWorker();
  const spec = withDefaults({
    name: 'crash',
    provider: 'eks',
    region: 'us-east-1',
    nodePools: [
      { name: 'a', instanceType: 'm5.large', count: 1 },
      { name: 'b', instanceType: 'c5.xlarge', count: 2, spot: true },
    ],
  });
  const handle = await startEntity(client, clusterEntity({ org: 'crash', spec, requestId: 'crash-create' }));

  // Killed once the cloud has made the cluster and before the worker heard so: mid-provision, no node group asked for.
  await eventually(async () => (barrier.held ? true : undefined), 'CreateCluster applied, its answer held', 120_000);
  await kill(worker);
  barrier.release();
  expect(barrier.held).toBe('CreateCluster #1');
  expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual(['crash-crash']);
  expect((await eks.send(new ListNodegroupsCommand({ clusterName: 'crash-crash' }))).nodegroups).toEqual([]);
  worker = startWorker();

  const state = await eventually(
    async () => {
      const s: ClusterState = await handle.query(clusterStateQuery);
      return s.status === 'RUNNING' ? s : undefined;
    },
    'RUNNING after restart',
    150_000,
  );
  expect(state.currentCounts).toEqual({ a: 1, b: 2 });
  expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual(['crash-crash']);
  expect(((await eks.send(new ListNodegroupsCommand({ clusterName: 'crash-crash' }))).nodegroups ?? []).sort()).toEqual(['a', 'b']);
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:flotilla.io/cluster', Values: ['crash/crash'] }] }))).Vpcs!;
  expect(vpcs).toHaveLength(1);
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcs[0]!.VpcId!] }] }))).Subnets!;
  expect(subnets).toHaveLength(4);
  // The control plane's create was cut and ran again, on the new worker.
  const events = (await client.workflow.getHandle(provisionWorkflowId('crash', 'crash')).fetchHistory()).events!;
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createControlPlane')!;
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId));
  expect(started!.activityTaskStartedEventAttributes!.attempt).toBe(2);

  await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'crash-delete' }] });
  expect((await handle.result()).status).toBe('DELETED');
  expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual([]);
});
