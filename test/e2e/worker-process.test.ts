import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { serveSimCloud } from '../../src/adapters/providers/sim/remote.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { provisionWorkflowId } from '../../src/domain/ids.js';
import { flotillaDataConverter } from '../../src/temporal/codec.js';
import { clusterEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { clusterStateQuery } from '../../src/workflows/messages.js';
import { scrape, valueOf } from '../helpers/metrics.js';
import { freePort } from '../helpers/ports.js';
import { killProcess, startFlotillaProcess } from '../helpers/processes.js';
import { eventually, testCodec } from '../helpers/stack.js';

// A worker as deployed (`src/worker.ts` in its own process), serving the
// workflows and the sim provider: its JSON logs carry the workflow and
// activity context, it serves Flotilla's metrics and the SDK's, and SIGTERM
// lets the activity in flight finish before it exits.
const ORG = 'worker-process';
const STOPPING = 'worker stopping: no new tasks; activities in flight may finish';
const { EventType, PendingActivityState } = proto.temporal.api.enums.v1;
let connection: Connection;
let client: Client;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection, dataConverter: flotillaDataConverter(testCodec()) });
});
afterAll(async () => {
  for (const worker of workers) await killProcess(worker);
  await connection?.close();
});

function startWorker(name: string, env: NodeJS.ProcessEnv): ChildProcess {
  const worker = startFlotillaProcess(
    'src/worker.ts',
    { FLOTILLA_TASK_QUEUES: 'flotilla,provider-sim', FLOTILLA_DATA_DIR: mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, `${name}-`)), ...env },
    name,
  );
  workers.push(worker);
  return worker;
}

/** The JSON lines the worker wrote so far. */
function logLines(name: string): Record<string, any>[] {
  return readFileSync(join(process.env.FLOTILLA_TEST_DIR!, `${name}.log`), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

function stop(worker: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    worker.once('exit', (code) => resolve(code));
    worker.kill('SIGTERM');
  });
}

function startCluster(name: string) {
  const spec = withDefaults({ name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] });
  return startEntity(client, clusterEntity({ org: ORG, spec, requestId: `create-${name}` }));
}

it('writes JSON logs with workflow and activity context and serves Flotilla and SDK metrics', async () => {
  const [metricsPort, sdkPort] = [await freePort(), await freePort()];
  const worker = startWorker('observed-worker', { LOG_LEVEL: 'debug', FLOTILLA_METRICS_PORT: String(metricsPort), FLOTILLA_WORKER_METRICS_PORT: String(sdkPort) });
  const handle = await startCluster('observed');
  try {
    await eventually(async () => ((await handle.query(clusterStateQuery)).status === 'RUNNING' ? true : undefined), 'RUNNING', 120_000);

    // Workflow code's `log` (the entity's operation line) with the run's identity.
    const operation = await eventually(async () => logLines('observed-worker').find((l) => l.msg === 'cluster operation finished' && l.workflowId === handle.workflowId), 'the operation line');
    expect(operation).toMatchObject({ level: 'info', sdkComponent: 'workflow', workflowType: 'clusterWorkflow', taskQueue: 'flotilla', operationId: 'cluster.observed.1', outcome: 'succeeded' });
    expect(operation.runId).toBe(handle.firstExecutionRunId);
    // An activity's lines with the activity and the run that scheduled it; the task token is censored.
    const activity = logLines('observed-worker').find((l) => l.msg === 'Activity completed' && l.activityType === 'ensureNetwork');
    expect(activity).toMatchObject({
      level: 'debug',
      sdkComponent: 'worker',
      taskQueue: 'provider-sim',
      workflowId: provisionWorkflowId(ORG, 'observed'),
      workflowType: 'provisionClusterWorkflow',
      attempt: 1,
      taskToken: '[REDACTED]',
    });
    expect(typeof activity!.workflowRunId).toBe('string');

    const flotilla = await eventually(async () => {
      const samples = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
      return valueOf(samples, 'flotilla_clusters', { status: 'RUNNING' }) >= 1 ? samples : undefined;
    }, 'clusters by status');
    expect(valueOf(flotilla, 'flotilla_operations_total', { provider: 'sim', type: 'provision', outcome: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(flotilla, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    const sdk = await scrape(`http://127.0.0.1:${sdkPort}/metrics`);
    // Prometheus naming: durations in seconds with the unit in the name, counters ending in _total.
    const ensureNetwork = sdk.filter((s) => s.name === 'temporal_activity_execution_latency_seconds_count' && s.labels.activity_type === 'ensureNetwork');
    expect(ensureNetwork.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(1);
    expect(sdk.some((s) => s.name === 'temporal_workflow_completed_total' && s.labels.workflow_type === 'provisionClusterWorkflow')).toBe(true);
    const bounds = [...new Set(sdk.filter((s) => s.name === 'temporal_activity_execution_latency_seconds_bucket').map((s) => s.labels.le))];
    // Bounds in seconds, not milliseconds: some below one.
    expect(bounds.filter((le) => Number(le) < 1)).not.toEqual([]);
    expect(sdk.filter((s) => /_milliseconds|_ms$/.test(s.name))).toEqual([]);

    expect(await stop(worker)).toBe(0);
    expect(logLines('observed-worker').map((l) => l.msg)).toEqual(expect.arrayContaining(['worker running', STOPPING, 'worker stopped']));
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});

it('lets the activity in flight finish on SIGTERM: it completes on its first attempt and the worker exits 0', async () => {
  // The sim cloud, served here, holds ensureNetwork's answer until released: SIGTERM lands in the middle of that call.
  const cloud = new SimCloud();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  cloud.observer = (call, phase) => {
    if (call.activity !== 'ensureNetwork' || phase !== 'applied') return;
    held = true;
    return released;
  };
  const served = await serveSimCloud(cloud);
  const worker = startWorker('draining-worker', { FLOTILLA_SIM_CLOUD: served.url });
  const handle = await startCluster('draining');
  const provision = client.workflow.getHandle(provisionWorkflowId(ORG, 'draining'));
  try {
    await eventually(async () => (held ? true : undefined), 'ensureNetwork held in the cloud', 120_000);
    const pending = (await provision.describe()).raw.pendingActivities ?? [];
    expect(pending.map((a) => [a.activityType?.name, a.state])).toEqual([['ensureNetwork', PendingActivityState.PENDING_ACTIVITY_STATE_STARTED]]);
    const exited = stop(worker);
    // The worker took the signal and waits for the call in flight instead of exiting.
    await eventually(async () => (logLines('draining-worker').some((l) => l.msg === STOPPING) ? true : undefined), 'the worker stopping');
    expect(worker.exitCode).toBeNull();
    release();
    expect(await exited).toBe(0);

    const events = (await provision.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ensureNetwork')!;
    const started = events.filter((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString());
    const completed = events.filter((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString());
    expect(started).toHaveLength(1);
    expect(started[0]!.activityTaskStartedEventAttributes!.attempt).toBe(1);
    expect(started[0]!.activityTaskStartedEventAttributes!.identity).toMatch(new RegExp(`^${worker.pid}@`));
    expect(completed).toHaveLength(1);
    expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED || e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)).toBe(false);
    expect(cloud.resources({ org: ORG, name: 'draining' }).networks).toBe(1);
  } finally {
    release();
    await served.close();
    await handle.terminate('test over').catch(() => undefined);
  }
});
