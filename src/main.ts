// `npm start`: the embedded default (docs/architecture.md, decision 8). Installs the tools if
// needed, starts the Temporal dev server with its Web UI (unless
// TEMPORAL_ADDRESS points elsewhere), restarts the KWOK control planes of
// earlier runs, then runs one worker for every task queue and the API.
import { Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { helmActivities } from './activities/helm.js';
import type { KwokProvider } from './adapters/providers/kwok/index.js';
import { killControlPlanes, startWatchdog } from './adapters/providers/kwok/processes.js';
import { LOOPBACK_ENDPOINTS } from './adapters/egress/endpoint-policy.js';
import { reconcileActivities } from './activities/reconcile.js';
import { workflowQueueActivities } from './activities/workflow-queue.js';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.js';
import { startApi } from './api/server.js';
import { defaultTokenSpec } from './api/tokens.js';
import { kwokWorkdir, loadConfig } from './config.js';
import { openCodec } from './temporal/codec.js';
import { buildAdapters, temporalClient } from './composition.js';
import { startDevServer, type DevServer } from './temporal/dev-server.js';
import { registerSearchAttributes } from './temporal/search-attributes.js';
import { ensureTools } from './toolchain.js';
import { createWorkers, runWorkers } from './worker.js';
import { ApiMetrics } from './observability/api-metrics.js';
import { createLogger } from './observability/logger.js';
import { installTemporalRuntime } from './observability/temporal-runtime.js';
import { startTracing, tracingClientInterceptors } from './observability/tracing.js';
import { WorkerMetrics } from './observability/worker-metrics.js';
import { requireNodeMajor } from './node-version.js';

// Progress for the person at the terminal, as plain lines; operational logs (requests, the SDK, workflows
// and activities) are JSON lines from pino, warnings and errors only unless LOG_LEVEL says otherwise.
const log = (message: string) => console.log(`[flotilla] ${message}`);

// What has started so far, for stop(): a signal can come at any point of the startup.
let kwokDir: string | undefined;
let kwok: KwokProvider | undefined;
let devServer: DevServer | undefined;
let tracing: ReturnType<typeof startTracing> | undefined;
const connections: { close(): Promise<void> }[] = [];
let workers: Worker[] = [];
let running: Promise<void> | undefined;
let server: Server | undefined;
let stopping = false;

async function main(): Promise<void> {
  requireNodeMajor('npm start');
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel ?? 'warn' });
  installTemporalRuntime(logger, config.metrics);
  tracing = startTracing('flotilla');
  mkdirSync(config.dataDir, { recursive: true });
  log(`data directory: ${config.dataDir}`);
  kwokDir = kwokWorkdir(config);
  startWatchdog(kwokDir);
  log('checking tools (the first run builds them from source and takes a while)');
  const tools = await ensureTools();
  const codec = openCodec(config.dataDir, config.codecKeys);
  const codecEndpoint = `http://${config.host}:${config.port}/codec/${codec.uiToken()}`;

  let target = config.temporal?.connection;
  let uiUrl = config.uiUrl;
  if (!target) {
    log('starting the Temporal dev server');
    devServer = await startDevServer({
      temporal: tools.temporal,
      dataDir: config.dataDir,
      port: config.temporalPort,
      uiPort: config.uiPort,
      namespace: config.namespace,
      codecEndpoint,
    });
    target = { address: devServer.address };
    uiUrl ??= devServer.uiUrl;
  }
  const connection = await Connection.connect(target);
  connections.push(connection);
  if (!devServer) await registerSearchAttributes(connection, config.namespace);
  const apiMetrics = new ApiMetrics();
  const client = temporalClient(connection, config.namespace, codec, [apiMetrics.clientInterceptor(), ...tracingClientInterceptors(tracing)]);

  // The embedded default reaches loopback: its own KWOK clusters, and clusters imported from them, listen there.
  const adapters = buildAdapters(config, tools, config.allowedEndpoints ?? LOOPBACK_ENDPOINTS);
  const { providers } = adapters;
  kwok = providers.kwok;
  await kwok.startAll(log);

  const workerConnection = await NativeConnection.connect(target);
  connections.push(workerConnection);
  const workerMetrics = new WorkerMetrics({ clusterCounts: { client, logger } });
  workers = await createWorkers({
    connection: workerConnection,
    namespace: config.namespace,
    codec,
    providers: providers.activities,
    helm: helmActivities(adapters.helm, providers.kubeconfigs),
    reconcile: reconcileActivities(client, providers.kubeconfigs),
    workflowQueue: workflowQueueActivities(client),
    metrics: workerMetrics,
    tracing,
    tuning: config.worker,
  });
  await ensureReconcileSchedule(client, config.reconcileInterval);
  running = runWorkers(workers);

  const generated = config.apiTokens ? undefined : defaultTokenSpec(config.dataDir);
  server = await startApi({
    config,
    client,
    tokens: config.apiTokens ?? generated!.spec,
    ...(uiUrl ? { uiUrl } : {}),
    adapters,
    codec,
    // One GET /metrics for the whole process: the API's, and its workers' operations, drift and clusters.
    observability: { logger, metrics: apiMetrics, moreMetrics: [workerMetrics.registry], ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}) },
  });

  const apiUrl = `http://${config.host}:${config.port}`;
  console.log(
    [
      '',
      'Flotilla is up.',
      `  API:     ${apiUrl}/api/v1/orgs/default`,
      `  Web UI:  ${uiUrl ?? '(not started: TEMPORAL_ADDRESS is set)'}`,
      generated ? `  Token:   ${generated.token}   (org "default")` : '  Tokens:  from FLOTILLA_API_TOKENS',
      '',
      `  curl -H "Authorization: Bearer ${generated?.token ?? '<token>'}" ${apiUrl}/api/v1/orgs/default/clusters`,
      '',
      'Ctrl-C stops everything it started.',
      '',
    ].join('\n'),
  );

  running.catch((err) => {
    logger.error({ err }, 'a worker failed');
    void stop('a worker failed', 1);
  });
}

/**
 * A Ctrl-C signals the terminal's whole foreground process group at once:
 * npm, tsx, this process, the dev server and any kwokctl run, which may all be
 * gone before this runs — but not the control planes kwokctl started, which
 * are in sessions of their own. So they are stopped first, and nothing after
 * waits long on the others.
 */
async function stop(why: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping (${why})`);
  server?.close();
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  if (kwok) {
    log('stopping KWOK control planes');
    await kwok.stopAll(log);
  }
  // Activities in flight have the grace time to finish; a worker whose server is gone may wait longer.
  const grace = Math.max(0, ...workers.map((w) => w.options.shutdownGraceTimeMs));
  await Promise.race([running?.catch(() => undefined), sleep(grace + 5_000)]);
  await Promise.allSettled(connections.map((c) => c.close()));
  await tracing?.shutdown();
  if (devServer) {
    log('stopping the Temporal dev server');
    await devServer.stop();
  }
  log('stopped');
  process.exit(code);
}

/** A second signal while stopping: exit at once, killing what must not outlive this process. */
function stopNow(signal: NodeJS.Signals): never {
  log(`stopping now (${signal} again)`);
  if (kwokDir) killControlPlanes(kwokDir);
  devServer?.kill();
  process.exit(128 + constants.signals[signal]);
}

let firstSignal = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!stopping) {
      firstSignal = Date.now();
      void stop(signal, 0);
    } else if (Date.now() - firstSignal > 500) {
      stopNow(signal);
    }
    // Else the same Ctrl-C again: tsx sends it on when its child acknowledged it before tsx listened.
  });
}

main().catch((err) => {
  // Unless a stop in progress caused it (by ending kwokctl runs, say).
  if (!stopping) console.error(`[flotilla] failed to start: ${err instanceof Error ? err.message : err}`);
  void stop('failed to start', 1);
});
