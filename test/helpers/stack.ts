import { Connection, type Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import type { ProviderActivities } from '../../src/adapters/providers/provider.js';
import { createApp } from '../../src/api/app.js';
import { answerClientErrors } from '../../src/api/errors.js';
import { TokenTable } from '../../src/api/auth.js';
import { ClusterAccess } from '../../src/adapters/cluster-access.js';
import { temporalClient } from '../../src/composition.js';
import type { ProviderName } from '../../src/domain/cluster.js';
import { createWorkers, runWorkers } from '../../src/worker.js';
import { Recommender } from '../../src/api/recommender.js';
import { ApiMetrics } from '../../src/observability/api-metrics.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { startMetricsServer } from '../../src/observability/metrics-endpoint.js';
import { tracingClientInterceptors, type Tracing } from '../../src/observability/tracing.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';
import { uiOrigins } from '../../src/api/routes/codec.js';
import { AesGcmCodec, parseCodecKeys } from '../../src/temporal/codec.js';
import { SecretStore } from '../../src/adapters/secrets/store.js';
import { helmActivities } from '../../src/activities/helm.js';
import type { KubeconfigFetchers } from '../../src/adapters/providers/provider.js';
import { workflowQueueActivities } from '../../src/activities/workflow-queue.js';
import { reconcileActivities } from '../../src/activities/reconcile.js';
import { Helm } from '../../src/adapters/helm/helm.js';
import { toolPaths } from '../../src/toolchain.js';
import type { RateLimit } from '../../src/config.js';
import type { Egress } from '../../src/adapters/egress/egress.js';
import type { TenantAccess } from '../../src/adapters/tenant-access.js';
import { testAccess } from './egress.js';
import { deriveCursorKeys } from '../../src/api/pagination.js';

/** The fields an error answer names (its details' `field`s), in order. */
export function fieldsOf(res: { body: any }): string[] {
  return (res.body.error.details as { field: string }[]).map((d) => d.field);
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface Stack {
  client: Client;
  /** The API's express app, whose routes the org isolation test enumerates. */
  app: Express;
  baseUrl: string;
  /** The workers' Flotilla metrics (operations, drift, clusters by status), as a worker process serves them. */
  workerMetricsUrl: string;
  /** Calls the API as `token` (default: the first org's token). */
  api<T = any>(method: string, path: string, options?: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

/**
 * `fuzz` is the API fuzzer's org, `schemathesis` the OpenAPI tester's, `quota` the one the limits test fills and
 * `cli` the CLI test's (its cluster names are short and common): no other suite uses them.
 */
export const TOKENS = { acme: 'token-acme', globex: 'token-globex', fuzz: 'token-fuzz', schemathesis: 'token-schemathesis', quota: 'token-quota', cli: 'token-cli' };
/** globex's token is configured by its SHA-256 (`sha256:<hex>:org`), acme's as it is: the suite runs both forms. */
export const TOKEN_SPEC = `${TOKENS.acme}:acme,sha256:${createHash('sha256').update(TOKENS.globex).digest('hex')}:globex,${TOKENS.fuzz}:fuzz,${TOKENS.schemathesis}:schemathesis,${TOKENS.quota}:quota,${TOKENS.cli}:cli`;
/** The Web UI origin the test API allows to call its codec endpoint. */
export const UI_URL = 'http://127.0.0.1:8233';

/** The charts of the test fixtures: the chart root of every test API unless a suite names others. */
export const FIXTURE_CHARTS = fileURLToPath(new URL('../fixtures/charts', import.meta.url));

// Activity and workflow failures are what many tests provoke: keep their logs out of the output.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed by an earlier suite in this process
}

/**
 * The real thing, in-process: workers on the shared dev server (with the
 * providers given) and the API on a free port.
 */
export async function startStack(options: {
  providers: Partial<Record<ProviderName, ProviderActivities>>;
  /** Kubeconfigs the API connects with; default: the fleet's. */
  kubeconfigs?: KubeconfigFetchers;
  /** Kubeconfigs the API hands out; default: those it connects with. */
  downloads?: KubeconfigFetchers;
  secrets?: SecretStore;
  /** Serve the helm and reconcile task queues, reaching clusters with these kubeconfigs. */
  fleet?: KubeconfigFetchers;
  /** Without `fleet`, serve the helm task queue anyway, for charts sized by POST /recommendations (it reaches no cluster). */
  sizing?: boolean;
  /** The helm adapter of the helm activities and the API; default: the real helm CLI (testHelm). */
  helm?: Helm;
  /** Another payload codec than the run's (a key rotation). */
  codec?: AesGcmCodec;
  /** Where the API's request logs go; default: nowhere. */
  logger?: Logger;
  /** Where local charts may come from; default: test/fixtures/charts. */
  chartRoots?: string[];
  /** Keys that sign the API's list cursors; default: derived from the run's codec keys, as every test API's. */
  cursorKeys?: Buffer[];
  /** Per-token rate limit of the API; default: none. */
  rateLimit?: RateLimit;
  /** Accepts the API hands to Temporal at once before a 429; default: the API's. */
  acceptCapacity?: number;
  maxBodyBytes?: number;
  tracing?: Tracing;
  /** How the API and workers reach what tenants name; default: testAccess() (loopback allowed, no DNS, nothing dialled off loopback). */
  access?: TenantAccess;
  /** Another Temporal than the run's shared dev server (one a chaos test restarts). */
  address?: string;
}): Promise<Stack> {
  const address = options.address ?? process.env.TEMPORAL_ADDRESS!;
  const codec = options.codec ?? testCodec();
  const access = options.access ?? testAccess();
  const helm = options.helm ?? testHelm(access.egress);
  const connection = await Connection.connect({ address });
  const apiMetrics = new ApiMetrics();
  const client = temporalClient(connection, 'default', codec, [apiMetrics.clientInterceptor(), ...tracingClientInterceptors(options.tracing)]);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const workerMetrics = new WorkerMetrics({ clusterCounts: { client, logger, maxAgeMs: 0 } });
  const workerMetricsServer = await startMetricsServer({ registries: [workerMetrics.registry], host: '127.0.0.1', port: 0 });
  // FLOTILLA_TEST_WORKERS_PER_QUEUE=2 (npm run test:postgres): two workers, each with its own connection, poll every task queue.
  const perQueue = Number(process.env.FLOTILLA_TEST_WORKERS_PER_QUEUE ?? 1);
  const workerConnections = await Promise.all(Array.from({ length: perQueue }, () => NativeConnection.connect({ address })));
  const workers = (
    await Promise.all(
      workerConnections.map((workerConnection) =>
        createWorkers({
          connection: workerConnection,
          namespace: 'default',
          codec,
          providers: options.providers,
          workflowBundlePath: process.env.FLOTILLA_WORKFLOW_BUNDLE,
          metrics: workerMetrics,
          tracing: options.tracing,
          workflowQueue: workflowQueueActivities(client),
          ...(options.fleet ? { helm: helmActivities(helm, options.fleet), reconcile: reconcileActivities(client, options.fleet) } : options.sizing ? { helm: helmActivities(helm, {}) } : {}),
        }),
      ),
    )
  ).flat();
  const running = runWorkers(workers);
  // A worker that stops early would leave tests waiting on tasks nobody polls: say why.
  running.catch((err) => console.error('a test worker failed:', err));

  const recommender = new Recommender();
  const app = createApp({
    client,
    tokens: new TokenTable(TOKEN_SPEC),
    links: { namespace: 'default', uiUrl: UI_URL },
    clusterAccess: new ClusterAccess(helm, options.kubeconfigs ?? options.fleet ?? {}, options.downloads),
    secrets: options.secrets ?? testSecretStore(),
    egress: access.egress,
    tenantKubeconfigs: access.kubeconfigs,
    codec: { codec, origins: uiOrigins(UI_URL), uiToken: codec.uiToken() },
    cursorKeys: options.cursorKeys ?? deriveCursorKeys(parseCodecKeys(process.env.FLOTILLA_CODEC_KEYS!)),
    observability: { logger, metrics: apiMetrics },
    chartRoots: options.chartRoots ?? [FIXTURE_CHARTS],
    recommender,
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.acceptCapacity !== undefined ? { acceptCapacity: options.acceptCapacity } : {}),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = answerClientErrors(app.listen(0, '127.0.0.1', () => resolve(s)));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    client,
    app,
    baseUrl,
    workerMetricsUrl: workerMetricsServer.url,
    async api(method, path, { body, raw, token = TOKENS.acme, headers = {} } = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: raw } : {}),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // YAML and other text stay as they are
      }
      return { status: response.status, body: parsed as any, headers: response.headers, text };
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await recommender.close();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      for (const workerConnection of workerConnections) await workerConnection.close();
      await workerMetricsServer.close();
      await connection.close();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails with the last value seen. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The payload codec of the test run (FLOTILLA_CODEC_KEYS, set by the global setup): every test client and worker encrypts. */
export function testCodec(): AesGcmCodec {
  return new AesGcmCodec(parseCodecKeys(process.env.FLOTILLA_CODEC_KEYS!));
}

/** A secret store in a fresh folder of the test run, with a random key. */
export function testSecretStore(): SecretStore {
  return new SecretStore(mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'secrets-')), randomBytes(32));
}

/** The real helm CLI with its home in the test run's folder. */
export function testHelm(egress: Egress = testAccess().egress): Helm {
  return new Helm(toolPaths().helm, join(process.env.FLOTILLA_TEST_DIR!, 'helm'), egress);
}
