import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { withDefaults } from '../../src/domain/cluster.js';
import { clusterWorkflowId, provisionWorkflowId } from '../../src/domain/ids.js';
import { startTracing, tracingSinks, type Tracing } from '../../src/observability/tracing.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';
import { flotillaDataConverter } from '../../src/temporal/codec.js';
import { provisionClusterWorkflow } from '../../src/workflows/provision.js';
import { TRACING_PATCH } from '../../src/workflows/tracing-interceptors.js';
import { historyJson, jsonDataText, payloadsIn } from '../helpers/codec.js';
import { eventually, startStack, testCodec, type Stack } from '../helpers/stack.js';

// OpenTelemetry over OTLP/HTTP: a collector on loopback gets the spans of a
// cluster create, from the API's start of the workflow through the child
// workflow to the provider's activities, all in one trace.
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

const attribute = (span: OtlpSpan, key: string) => span.attributes?.find((a) => a.key === key)?.value.stringValue;

const spans: OtlpSpan[] = [];
const contentTypes = new Set<string>();
let collector: Server;
let tracing: Tracing;
let stack: Stack;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  expect(startTracing('flotilla-test', {})).toBeUndefined(); // off without an endpoint
  tracing = startTracing('flotilla-test', { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` })!;
  stack = await startStack({ providers: { sim: new SimCloud().activities() }, tracing });
});
afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
  await new Promise((resolve) => collector?.close(resolve));
});

it('exports the spans of a workflow the API started and of its activities, with one trace ID', async () => {
  const name = 'traced';
  expect((await stack.api('POST', '/api/v1/orgs/acme/clusters', { body: { name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] } })).status).toBe(202);
  await eventually(async () => {
    const res = await stack.api('GET', `/api/v1/orgs/acme/clusters/${name}`);
    return res.body.status === 'RUNNING' && !res.body.operation ? true : undefined;
  }, 'RUNNING');
  // The spans the workflow sink and the activities handed over are all buffered or sent by now.
  await tracing.spanProcessor.forceFlush();

  expect([...contentTypes]).toEqual(['application/json']);
  const named = (spanName: string) => spans.filter((s) => s.name === spanName);
  // A create is an update-with-start: the entity's start and its createCluster update, one span.
  const [start] = named('UpdateWithStartWorkflow:createCluster');
  expect(start).toBeDefined();
  const trace = spans.filter((s) => s.traceId === start!.traceId).map((s) => s.name);
  // (The entity's own RunWorkflow span ends when the cluster does, so it is not exported yet.)
  expect(trace).toEqual(
    expect.arrayContaining([
      'UpdateWithStartWorkflow:createCluster',
      'StartChildWorkflow:provisionClusterWorkflow',
      'RunWorkflow:provisionClusterWorkflow',
      'StartActivity:ensureNetwork',
      'RunActivity:ensureNetwork',
      'RunActivity:createNodePool',
    ]),
  );
  // The child's run is the child of its start; an activity's execution, of its scheduling.
  const inTrace = (spanName: string) => named(spanName).find((s) => s.traceId === start!.traceId)!;
  expect(inTrace('RunWorkflow:provisionClusterWorkflow').parentSpanId).toBe(inTrace('StartChildWorkflow:provisionClusterWorkflow').spanId);
  expect(inTrace('RunActivity:ensureNetwork').parentSpanId).toBe(inTrace('StartActivity:ensureNetwork').spanId);

  await stack.api('DELETE', `/api/v1/orgs/acme/clusters/${name}?force=true`);
});

it('traces no new run on a worker with tracing off: no spans, no tracing marker in its history', async () => {
  // The stack's worker with tracing on, but for the activity that says so (TRACING_ON_ACTIVITY): same bundle, same sink, exporting.
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const taskQueue = `untraced-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! },
    dataConverter: flotillaDataConverter(testCodec()),
    sinks: { ...new WorkerMetrics().sinks(), ...tracingSinks(tracing) },
  });
  const workflowId = `untraced-${randomUUID()}`;
  const spec = withDefaults({ name: 'untraced', provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] });
  try {
    // Started by a traced client: the trace context is in its headers, and still the run is not traced.
    const result = await worker.runUntil(stack.client.workflow.execute(provisionClusterWorkflow, { taskQueue, workflowId, args: [{ org: 'acme', spec }] }));
    expect(result.currentCounts).toEqual({ web: 1 });
  } finally {
    await connection.close();
  }
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const patches = payloadsIn(historyJson(history))
    .filter(({ path }) => path.includes('.markerRecordedEventAttributes.details.patch-data.'))
    .map(({ payload }) => JSON.parse(jsonDataText(payload)).id);
  expect(patches).toContain('pass-network-forward');
  expect(patches).not.toContain(TRACING_PATCH);
  await tracing.spanProcessor.forceFlush();
  // The traced provision's run exported its spans, with its workflow ID; this one none.
  expect(spans.some((s) => attribute(s, 'workflowId') === provisionWorkflowId('acme', 'traced'))).toBe(true);
  expect(spans.filter((s) => attribute(s, 'workflowId') === workflowId)).toEqual([]);
});

it('replays the traced runs without non-determinism', async () => {
  const sinks = { ...new WorkerMetrics().sinks(), ...tracingSinks(undefined) };
  for (const workflowId of [clusterWorkflowId('acme', 'traced'), provisionWorkflowId('acme', 'traced')]) {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! }, sinks, dataConverter: flotillaDataConverter(testCodec()) },
      history,
      workflowId,
    );
  }
});
