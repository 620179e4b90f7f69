import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SdkFlags } from '@temporalio/workflow/lib/flags.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { clusterWorkflowId, provisionWorkflowId } from '../../src/domain/ids.js';
import { tracingSinks } from '../../src/observability/tracing.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';
import { flotillaDataConverter } from '../../src/temporal/codec.js';
import { clusterEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { addNodePoolUpdate, clusterHealthSignal, clusterStateQuery } from '../../src/workflows/messages.js';
import { TRACING_ON_ACTIVITY } from '../../src/workflows/tracing-switch.js';
import { REPLAY_CODEC_KEYS } from '../replay/codec-keys.js';
import { eventually, startStack, testCodec, type Stack } from '../helpers/stack.js';

// An update that arrives in the same workflow task as the outcome of a cluster
// operation's child workflow, in a run where the SDK lost the record of a flag
// (src/workflows/cluster.ts, ClusterEntity.handlersFirst; the workaround in
// src/workflows/tracing-interceptors.ts): the cluster's history must replay.
// Before the fix, replay failed with "Nondeterminism error: Update machine does
// not handle this event: UpsertWorkflowSearchAttributes", as the schemathesis
// test found (GET /operations/{id} of a deleted cluster replays its history).
//
// Both things land in one task because this test holds a task of the cluster
// in flight (its span export, a sink the worker awaits before it completes the
// task) while the provision's last call returns, the child completes and the
// update is admitted: the server hands all of it to the next task.
//
// FLOTILLA_RECORD_HISTORY=1 with FLOTILLA_CODEC_KEYS set to the replay key
// (test/replay/codec-keys.ts) saves the cluster's history to test/replay/histories.
// Two are there: one recorded with the code before the fix (it fails this
// test's order check; it replays only with the workaround), one after.

const ORG = 'race';
const EventType = proto.temporal.api.enums.v1.EventType;
const sim = new SimCloud({ latencyMs: 5 });
const taskQueue = `race-${randomUUID()}`;
const dataConverter = flotillaDataConverter(testCodec());
const workflowBundle = { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! };
let stack: Stack;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
/** When set, the next span export of that workflow waits (so does the completion of its task) until `release`. */
let hold: { workflowId: string; reached: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  // The provider's activities; the cluster runs on this test's own workflow worker.
  stack = await startStack({ providers: { sim: sim.activities() } });
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const production = tracingSinks(undefined);
  const exporter: typeof production = {
    exporter: {
      export: {
        fn: async (info, spans) => {
          if (hold && info.workflowId === hold.workflowId) {
            const held = hold;
            hold = undefined;
            held.reached();
            await held.release;
          }
          production.exporter.export.fn(info, spans);
        },
      },
    },
  };
  // Traced as production runs with tracing on are: the race needs the interceptors' extra ticks, and the hold their span export.
  const activities = { [TRACING_ON_ACTIVITY]: async () => {} };
  worker = await Worker.create({ connection, namespace: 'default', taskQueue, dataConverter, workflowBundle, activities, sinks: { ...new WorkerMetrics().sinks(), ...exporter } });
  running = worker.run();
});

afterAll(async () => {
  sim.observer = undefined;
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await connection?.close();
  await stack?.stop();
});

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const allSucceeded = async (handle: WorkflowHandle) => ((await handle.query(clusterStateQuery)).operations.every((op) => op.state === 'SUCCEEDED') ? true : undefined);

it('replays a cluster whose update was accepted in the same task as the provision child completed, after a rejected update', async () => {
  const name = 'child-update';
  const workflowId = clusterWorkflowId(ORG, name);

  // The provision's last call waits, once it took effect, until the test lets it answer.
  const lastCall = gate();
  const answer = gate();
  sim.observer = async (call, phase) => {
    if (call.activity === 'createNodePool' && call.args[0].name === name && phase === 'applied') {
      lastCall.open();
      await answer.wait;
    }
  };
  const spec = withDefaults({ name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] });
  const entity = clusterEntity({ org: ORG, spec, requestId: `create-${name}` });
  // On this test's own worker.
  const handle = await startEntity(stack.client, { ...entity, options: { ...entity.options, taskQueue } });
  await lastCall.wait;

  // A request the validator rejects: the worker uses the SDK flag in a speculative task the server
  // then discards, and the SDK never records the flag after that.
  const rejected = await handle
    .executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'dup', pool: { name: 'web', instanceType: 'standard-2', count: 1 } }] })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  expect(rejected).toBeDefined();

  // A signal makes a task of the cluster (a no-op while an operation runs); the task is held in flight.
  const reached = gate();
  const release = gate();
  hold = { workflowId, reached: reached.open, release: release.wait };
  await handle.signal(clusterHealthSignal, { ok: true });
  await reached.wait;

  // Meanwhile the provision completes and an update is admitted: both wait for the cluster's next task.
  answer.open();
  await stack.client.workflow.getHandle(provisionWorkflowId(ORG, name)).result();
  const updateId = 'add-gpu';
  const update = handle.startUpdate(addNodePoolUpdate, {
    args: [{ requestId: updateId, pool: { name: 'gpu', instanceType: 'gpu-8', count: 1 } }],
    updateId,
    waitForStage: WorkflowUpdateStage.ACCEPTED,
  });
  const admitted = proto.temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  await eventually(
    () =>
      stack.client.workflowService
        .pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { workflowId }, updateId }, identity: 'test', waitPolicy: { lifecycleStage: admitted } })
        .then(
          () => true,
          () => undefined,
        ),
    'update admitted',
  );
  release.open();
  expect((await (await update).result()).state).toBe('QUEUED');
  await eventually(() => allSucceeded(handle), 'both operations');

  const history = await handle.fetchHistory();
  if (process.env.FLOTILLA_RECORD_HISTORY) record(history, workflowId, handle.firstExecutionRunId);
  const events = history.events!;
  const types = events.map((e) => e.eventType);

  // The situation the bug needs: the child's completion and the update's acceptance in one task...
  const childDone = events.findIndex((e) => e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId === provisionWorkflowId(ORG, name));
  expect(types.slice(childDone + 1, childDone + 5)).toEqual([
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  ]);
  // ...and the SDK flag the worker used for the update (it traced the handler) never recorded, as a replay then sees it.
  const flag = SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods.id;
  expect(events.filter((e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.langUsedFlags?.includes(flag))).toEqual([]);

  // The fixed order: the update completes before the main loop writes the cluster's new status.
  const accepted = childDone + 4;
  const completed = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, accepted);
  const upsert = types.indexOf(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, accepted);
  expect(completed).toBeGreaterThan(accepted);
  expect(completed).toBeLessThan(upsert);

  const sinks = { ...new WorkerMetrics().sinks(), ...tracingSinks(undefined) };
  await expect(Worker.runReplayHistory({ workflowBundle, dataConverter, sinks }, history, workflowId)).resolves.toBeUndefined();
});

/** Saves a history for test/replay (encrypted with the replay key, as its recordings are). */
function record(history: proto.temporal.api.history.v1.IHistory, workflowId: string, runId: string): void {
  if (process.env.FLOTILLA_CODEC_KEYS !== REPLAY_CODEC_KEYS) throw new Error('record with FLOTILLA_CODEC_KEYS set to the replay key (test/replay/codec-keys.ts)');
  const file = `clusterWorkflow--${workflowId.replaceAll(/[/:]/g, '_')}--${runId}.json`;
  writeFileSync(fileURLToPath(new URL(`../replay/histories/${file}`, import.meta.url)), JSON.stringify(proto.temporal.api.history.v1.History.fromObject(history)));
}
