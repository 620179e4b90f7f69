import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { tracingSinks } from '../../src/observability/tracing.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';
import { flotillaDataConverter } from '../../src/temporal/codec.js';
import { clusterEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { withoutStackTraceHook } from '../../src/temporal/workflow-threads.js';
import { eventually, startStack, testCodec, type Stack } from '../helpers/stack.js';

// The SDK's stack-trace promise hook is off in the workflow threads of Flotilla's workers
// (src/temporal/workflow-threads.ts): the __stack_trace query (the Web UI's Stack Trace tab)
// fails there, and answers where a worker was created the SDK's way.
const NOT_ENABLED = /Workflow stack traces are not enabled on this worker/;
let stack: Stack;
let connection: NativeConnection;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud().activities() } });
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

const stackTrace = (workflowId: string) => stack.client.workflow.getHandle(workflowId).query<string>('__stack_trace');

it("has no stack traces on the stack's worker (createWorkers)", async () => {
  const name = 'no-stack-trace';
  const created = await stack.api('POST', '/api/v1/orgs/acme/clusters', { body: { name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] } });
  expect(created.status).toBe(202);
  await eventually(async () => ((await stack.api('GET', `/api/v1/orgs/acme/clusters/${name}`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING');
  await expect(stackTrace(clusterWorkflowId('acme', name))).rejects.toThrow(NOT_ENABLED);
  await stack.api('DELETE', `/api/v1/orgs/acme/clusters/${name}?force=true`);
});

it('answers the stack trace query on a worker created without withoutStackTraceHook, not on one created with it', async () => {
  const options = (taskQueue: string): WorkerOptions => ({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! },
    dataConverter: flotillaDataConverter(testCodec()),
    sinks: { ...new WorkerMetrics().sinks(), ...tracingSinks(undefined) },
  });
  // Each worker runs a cluster entity of its own, asked for its stack trace while it waits.
  const queryOn = (create: (o: WorkerOptions) => Promise<Worker>, name: string) => {
    const taskQueue = `${name}-${randomUUID()}`;
    return create(options(taskQueue)).then((worker) =>
      worker.runUntil(async () => {
        const spec = withDefaults({ name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] });
        const entity = clusterEntity({ org: 'acme', spec, requestId: `create-${name}` });
        const handle = await startEntity(stack.client, { ...entity, options: { ...entity.options, taskQueue } });
        try {
          return await stackTrace(handle.workflowId);
        } finally {
          await handle.terminate('test over');
        }
      }),
    );
  };
  expect(await queryOn((o) => Worker.create(o), 'hooked')).toMatch(/\S/);
  await expect(queryOn((o) => withoutStackTraceHook(() => Worker.create(o)), 'unhooked')).rejects.toThrow(NOT_ENABLED);
});
