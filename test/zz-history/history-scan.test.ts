import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SimCloud } from '../../src/activities/providers/sim/index.js';
import { ENCRYPTED_ENCODING, parseCodecKeys } from '../../src/temporal/codec.js';
import { historyJson, jsonDataText, jsonMetadataText, payloadsIn } from '../helpers/codec.js';
import { MARKED_SECRETS, secretsIn } from '../helpers/secret-markers.js';
import { eventually, startStack, testCodec, TOKENS } from '../helpers/stack.js';

// Runs after every other suite (test/setup/sequencer.mjs): reads every
// history the suite left on the shared Temporal as a client without the codec
// sees it, and checks that it holds no secret and no payload in clear.

const { History } = proto.temporal.api.history.v1;
const { DescribeScheduleResponse } = proto.temporal.api.workflowservice.v1;

/**
 * Payloads the SDK does not pass through the codec: checked for secrets, not
 * for encryption. Headers (interceptors' context, e.g. trace IDs), search
 * attributes (the server indexes them), and the markers of `patched()`, which
 * the SDK's core writes with the patch's ID.
 */
const CLEAR_BY_DESIGN = [/\.header\.fields\./, /\.searchAttributes\.indexedFields\./, /\.markerRecordedEventAttributes\.details\.patch-data\./];
/** An activity cancelled before a worker started it: the server writes this text itself (payloads.EncodeString in its history service). */
const SERVER_CANCEL_NOTE = { path: /\.activityTaskCanceledEventAttributes\.details\./, text: '"ACTIVITY_ID_NOT_STARTED"' };
const clearByDesign = (path: string, text: string) =>
  CLEAR_BY_DESIGN.some((pattern) => pattern.test(`.${path}.`)) || (SERVER_CANCEL_NOTE.path.test(`.${path}.`) && text === SERVER_CANCEL_NOTE.text);
const namespace = 'default';
let connection: Connection;

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  // A workload of its own, so the scan has something to read when it runs alone: a cluster whose org holds a marked secret.
  const stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() } });
  try {
    const base = '/api/v1/orgs/acme';
    expect((await stack.api('POST', `${base}/secrets`, { body: { name: 'scan-aws', type: 'aws', values: MARKED_SECRETS.aws } })).status).toBe(201);
    expect((await stack.api('POST', `${base}/clusters`, { body: { name: 'history-scan', provider: 'sim', nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1 }] } })).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/history-scan`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING');
    expect((await stack.api('DELETE', `${base}/clusters/history-scan`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/history-scan`)).body.status === 'DELETED' ? true : undefined), 'DELETED');
  } finally {
    await stack.stop();
  }
});
afterAll(async () => {
  await connection?.close();
});

interface Finding {
  where: string;
  problem: string;
}

/** What must never show in clear: the suite's markers and tokens (secretsIn), the codec keys and the Web UI codec token. */
const extraSecrets = {
  ...Object.fromEntries(parseCodecKeys(process.env.FLOTILLA_CODEC_KEYS!).map((k) => [`codec key ${k.id}`, k.key.toString('base64')])),
  'codec UI token': testCodec().uiToken(),
};

/** Checks one history or schedule (as protobuf JSON); returns how many payloads it holds. */
function check(where: string, json: Record<string, unknown>, findings: Finding[]): number {
  const found = payloadsIn(json);
  const clearTexts: string[] = [];
  for (const { path, payload } of found) {
    const encoding = jsonMetadataText(payload, 'encoding');
    if (encoding === ENCRYPTED_ENCODING) continue;
    const text = jsonDataText(payload);
    clearTexts.push(text, ...Object.keys(payload.metadata ?? {}).map((k) => jsonMetadataText(payload, k) ?? ''));
    if (!clearByDesign(path, text)) findings.push({ where: `${where} ${path}`, problem: `payload in clear (${encoding})` });
  }
  // Everything else in clear: failure messages and stack traces, identities, task queues, IDs.
  for (const name of secretsIn([...strings(json), ...clearTexts].join('\n'), extraSecrets)) findings.push({ where, problem: `holds ${name}` });
  return found.length;
}

/** Every string in a JSON document, keys too. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (!node || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap(strings);
  return Object.entries(node).flatMap(([key, value]) => [key, ...strings(value)]);
}

async function* executions(): AsyncGenerator<proto.temporal.api.workflow.v1.IWorkflowExecutionInfo> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1000, nextPageToken });
    yield* page.executions ?? [];
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

async function rawHistory(execution: proto.temporal.api.common.v1.IWorkflowExecution): Promise<proto.temporal.api.history.v1.IHistoryEvent[]> {
  const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution, nextPageToken, maximumPageSize: 1000 });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

it('finds no secret and no payload in clear in any history or schedule the suite left', async () => {
  const findings: Finding[] = [];
  const types = new Map<string, number>();
  let histories = 0;
  let events = 0;
  let payloads = 0;
  for await (const info of executions()) {
    const where = `${info.type?.name} ${info.execution?.workflowId} ${info.execution?.runId}`;
    const history = await rawHistory(info.execution!);
    histories++;
    events += history.length;
    types.set(info.type!.name!, (types.get(info.type!.name!) ?? 0) + 1);
    payloads += check(where, historyJson(History.fromObject({ events: history })), findings);
  }

  let schedules = 0;
  for (const entry of (await connection.workflowService.listSchedules({ namespace, maximumPageSize: 1000 })).schedules ?? []) {
    const described = await connection.workflowService.describeSchedule({ namespace, scheduleId: entry.scheduleId });
    schedules++;
    payloads += check(`schedule ${entry.scheduleId}`, DescribeScheduleResponse.fromObject(described).toJSON(), findings);
  }

  console.log(
    `history scan: ${histories} histories (${[...types].map(([type, n]) => `${type} ${n}`).join(', ')}), ${events} events, ` +
      `${schedules} schedules, ${payloads} payloads; ${findings.length} findings`,
  );
  expect(findings).toEqual([]);
  expect(histories).toBeGreaterThan(0);
  expect(types.get('clusterWorkflow')).toBeGreaterThan(0);
  expect(payloads).toBeGreaterThan(histories);
});

it('would notice a payload in clear, a kubeconfig or a token (the check itself, on a made-up history)', () => {
  const clear = (text: string) => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(text).toString('base64') });
  const findings: Finding[] = [];
  check(
    'made-up',
    {
      events: [
        { workflowExecutionStartedEventAttributes: { input: { payloads: [clear(JSON.stringify('apiVersion: v1\nkind: Config\nusers: []'))] } } },
        { activityTaskFailedEventAttributes: { failure: { message: `401 for ${MARKED_SECRETS.azure.clientSecret}` } } },
        { workflowExecutionStartedEventAttributes: { header: { fields: { trace: clear(`{"token":"${TOKENS.acme}"}`) } } } },
      ],
    },
    findings,
  );
  expect(findings.map((f) => f.problem).sort()).toEqual(['holds a kubeconfig', 'holds acme API token', 'holds azureClientSecret', 'payload in clear (json/plain)']);
});
