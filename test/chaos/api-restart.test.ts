import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimCloud } from '../../src/activities/providers/sim/index.js';
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
// completes, and no request is applied twice.

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
const figures = { answered: 0, kills: 0, retried: 0, cut: 0 };

function startApi(): ChildProcess {
  return startFlotillaProcess(
    'src/api/server.ts',
    {
      PORT: String(port),
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

/** Kills the API, and starts it again on the same port. */
async function crashApi(): Promise<void> {
  figures.kills++;
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
  port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = startApi();
  await untilApiAnswers();
});
afterAll(async () => {
  if (api) await killProcess(api);
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
  expect(answers.flat().map((a) => a.status)).toEqual(Array(REQUESTS).fill(202));

  // Every accepted request's operation exists and completes.
  for (const answer of answers.flat()) {
    const op = await eventually(async () => {
      const res = await fetch(`${baseUrl}/api/v1/orgs/acme/operations/${answer.body.operationId}`, { headers: { authorization: `Bearer ${TOKENS.acme}` } });
      const body = (await res.json()) as { state: string };
      return body.state === 'SUCCEEDED' ? body : undefined;
    }, `operation ${answer.body.operationId}`, 300_000);
    expect(op.state).toBe('SUCCEEDED');
  }
  // Each request applied once: one operation per idempotency key, one cloud call per operation.
  for (const name of names) {
    const state: ClusterState = await workers.client.workflow.getHandle(clusterWorkflowId('acme', name)).query(clusterStateQuery);
    expect(state.operations.map((op) => [op.type, op.requestId])).toEqual([
      ['provision', `create-${name}`],
      ...Array.from({ length: SCALES }, (_, i) => ['updateNodePool', `scale-${name}-${i + 2}`]),
    ]);
    expect(state.currentCounts).toEqual({ web: 1 + SCALES });
  }
  expect([cloud.calls.get('createControlPlane'), cloud.calls.get('updateNodePool')]).toEqual([CLUSTERS, CLUSTERS * SCALES]);

  report('API SIGKILLed mid-stream of create and scale requests', {
    'requests (creates + scales)': `${REQUESTS} (${CLUSTERS} + ${CLUSTERS * SCALES})`,
    'API kills': figures.kills,
    'requests retried with the same Idempotency-Key after a connection error': figures.retried,
    'attempts cut in flight by a kill': figures.cut,
    'requests lost or applied twice': 0,
  });
}, 600_000);
