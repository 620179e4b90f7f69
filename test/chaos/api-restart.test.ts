import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import type { ClusterState } from '../../src/domain/cluster-state.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { clusterStateQuery } from '../../src/workflows/messages.js';
import { freePort } from '../helpers/ports.js';
import { killProcess, startFlotillaProcess } from '../helpers/processes.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';
import { report } from './entities.js';

// The API holds no state: it runs as its own process (`src/api/server.ts`)
// and is SIGKILLed twice in the middle of a stream of create and scale
// requests. A client retries what failed to connect with the same
// Idempotency-Key. Every request answered 2xx has its operation, which
// completes, and no request is applied twice. The API reaches Temporal through
// a relay the test stalls before each kill, and kills only once a request has
// been sent that the stalled API cannot answer: every kill cuts one in flight.

const CLUSTERS = 8;
const SCALES = 4;
const REQUESTS = CLUSTERS * (1 + SCALES);
// Killed after a third and after two thirds of the requests are answered, with others in flight.
const KILL_AFTER = [Math.floor(REQUESTS / 3), Math.floor((2 * REQUESTS) / 3)];
const cloud = new SimCloud({ latencyMs: 200 });
let workers: Stack;
let api: ChildProcess | undefined;
let baseUrl: string;
let port: number;
const figures = { sent: 0, answered: 0, kills: 0, retried: 0, cut: 0 };
let relay: Awaited<ReturnType<typeof startRelay>>;

// Every request whose headers reached the API (the diagnostics channel of Node's fetch).
subscribe('undici:client:sendHeaders', (message) => {
  const { request } = message as { request: { origin: string; path: string } };
  if (request.origin === baseUrl && request.path.startsWith('/api/')) figures.sent++;
});

/** A TCP relay to Temporal; `stall()` stops Temporal's answers to the connections open now (the API's before its kill). */
async function startRelay(temporal: string): Promise<{ address: string; stall(): void; close(): Promise<void> }> {
  const [host, port] = temporal.split(':') as [string, string];
  const open = new Map<Socket, Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), host);
    client.pipe(upstream);
    upstream.pipe(client);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('error', () => undefined);
      a.on('close', () => b.destroy());
    }
    open.set(client, upstream);
    client.on('close', () => open.delete(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    stall: () => {
      for (const [client, upstream] of open) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    close: () => {
      for (const [client] of open) client.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function startApi(): ChildProcess {
  return startFlotillaProcess(
    'src/api/server.ts',
    {
      PORT: String(port),
      TEMPORAL_ADDRESS: relay.address,
      FLOTILLA_API_TOKENS: `${TOKENS.acme}:acme`,
      FLOTILLA_DATA_DIR: mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'chaos-api-')),
      FLOTILLA_RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
    },
    'chaos-api',
  );
}

async function untilApiAnswers(): Promise<void> {
  await eventually(async () => ((await fetch(`${baseUrl}/healthz`)).ok ? true : undefined), 'the API to answer', 120_000);
}

/** Kills the API with a request in flight, and starts it again on the same port. */
async function crashApi(): Promise<void> {
  figures.kills++;
  relay.stall();
  // Sent from now on, a request gets no answer: the API dies with it in flight.
  const sentBefore = figures.sent;
  await eventually(async () => (figures.sent > sentBefore ? true : undefined), 'a request sent to the stalled API');
  await killProcess(api!);
  api = startApi();
  await untilApiAnswers();
}

/**
 * Sends one request until it is answered, with one Idempotency-Key for every
 * attempt: a connection refused or cut is retried, an answer is final.
 */
async function send(method: string, path: string, key: string, body: unknown): Promise<{ status: number; body: any }> {
  for (let attempt = 1; ; attempt++) {
    if (attempt === 2) figures.retried++;
    try {
      const res = await fetch(`${baseUrl}/api/v1/orgs/acme${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKENS.acme}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      const answer = { status: res.status, body: await res.json() };
      if (KILL_AFTER.includes(++figures.answered)) void crashApi();
      return answer;
    } catch (err) {
      // Refused: the API is down. Anything else: it died with this request in flight, which it may have passed on.
      if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') figures.cut++;
      await sleep(200);
    }
  }
}

beforeAll(async () => {
  workers = await startStack({ providers: { sim: cloud.activities() } });
  relay = await startRelay(process.env.TEMPORAL_ADDRESS!);
  port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = startApi();
  await untilApiAnswers();
});
afterAll(async () => {
  if (api) await killProcess(api);
  await relay?.close();
  await workers?.stop();
});

it('loses no accepted request and applies none twice when the API is killed mid-stream', async () => {
  const names = Array.from({ length: CLUSTERS }, (_, i) => `stream-${i + 1}`);
  const answers = await Promise.all(
    names.map(async (name) => {
      const created = await send('POST', '/clusters', `create-${name}`, {
        name,
        provider: 'sim',
        nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1, maxCount: 10 }],
      });
      const scaled = [];
      for (let count = 2; count < 2 + SCALES; count++) scaled.push(await send('PUT', `/clusters/${name}/nodepools/web`, `scale-${name}-${count}`, { count }));
      return [created, ...scaled];
    }),
  );
  const accepted = answers.flat().filter((a) => a.status === 202);
  expect(accepted).toHaveLength(REQUESTS);
  // The scenario happened: each kill cut a request in flight (which, answered above, was sent again).
  expect(figures.kills).toBe(KILL_AFTER.length);
  expect(figures.cut).toBeGreaterThanOrEqual(figures.kills);

  // Every accepted request's operation exists and completes.
  let completed = 0;
  for (const answer of accepted) {
    const op = await eventually(async () => {
      const res = await fetch(`${baseUrl}/api/v1/orgs/acme/operations/${answer.body.operationId}`, { headers: { authorization: `Bearer ${TOKENS.acme}` } });
      const body = (await res.json()) as { state: string };
      return body.state === 'SUCCEEDED' ? body : undefined;
    }, `operation ${answer.body.operationId}`, 300_000);
    expect(op.state).toBe('SUCCEEDED');
    completed++;
  }
  // Each request applied once: one operation per idempotency key, one cloud call per operation.
  let operations = 0;
  for (const name of names) {
    const state: ClusterState = await workers.client.workflow.getHandle(clusterWorkflowId('acme', name)).query(clusterStateQuery);
    operations += state.operations.length;
    expect(state.operations.map((op) => [op.type, op.requestId])).toEqual([
      ['provision', `create-${name}`],
      ...Array.from({ length: SCALES }, (_, i) => ['updateNodePool', `scale-${name}-${i + 2}`]),
    ]);
    expect(state.currentCounts).toEqual({ web: 1 + SCALES });
  }
  expect([cloud.calls.get('createControlPlane'), cloud.calls.get('updateNodePool')]).toEqual([CLUSTERS, CLUSTERS * SCALES]);
  expect(cloud.creates('duplicate')).toEqual([]);
  const cloudCallsTwice = (cloud.calls.get('createControlPlane') ?? 0) - CLUSTERS + (cloud.calls.get('updateNodePool') ?? 0) - CLUSTERS * SCALES;

  report('API SIGKILLed mid-stream of create and scale requests', {
    'requests (creates + scales)': `${REQUESTS} (${CLUSTERS} + ${CLUSTERS * SCALES})`,
    'API kills': figures.kills,
    'attempts cut in flight by a kill': figures.cut,
    'requests retried with the same Idempotency-Key after a connection error': figures.retried,
    'accepted requests whose operation did not complete': accepted.length - completed,
    'operations beyond one per key, cloud calls beyond one per operation, duplicate creates': `${operations - REQUESTS}, ${cloudCallsTwice}, ${cloud.creates('duplicate').length}`,
  });
}, 600_000);
