// `npm start`: the embedded default (docs/architecture.md, decision 8). Installs the tools if
// needed, starts the Temporal dev server with its Web UI (unless
// TEMPORAL_ADDRESS points elsewhere), restarts the KWOK control planes of
// earlier runs, then runs one worker for every task queue and the API.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { helmActivities } from './activities/helm/activities.js';
import { Helm } from './activities/helm/helm.js';
import { createProviders } from './activities/providers/index.js';
import { LOOPBACK_ENDPOINTS } from './adapters/egress/endpoint-policy.js';
import { tenantAccess } from './adapters/tenant-access.js';
import { reconcileActivities } from './activities/reconcile.js';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.js';
import { openSecretStore } from './activities/secrets/store.js';
import { startApi } from './api/server.js';
import { defaultTokenSpec } from './api/tokens.js';
import { kwokWorkdir, loadConfig } from './config.js';
import { flotillaDataConverter, openCodec } from './temporal/codec.js';
import { startDevServer, type DevServer } from './temporal/dev-server.js';
import { registerSearchAttributes } from './temporal/search-attributes.js';
import { ensureTools } from './toolchain.js';
import { createWorkers, runWorkers } from './worker.js';
import { ApiMetrics } from './observability/api-metrics.js';
import { createLogger } from './observability/logger.js';
import { installTemporalRuntime } from './observability/temporal-runtime.js';
import { startTracing, tracingClientInterceptors } from './observability/tracing.js';
import { WorkerMetrics } from './observability/worker-metrics.js';

// Progress for the person at the terminal, as plain lines; operational logs (requests, the SDK, workflows
// and activities) are JSON lines from pino, warnings and errors only unless LOG_LEVEL says otherwise.
const log = (message: string) => console.log(`[flotilla] ${message}`);

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel ?? 'warn' });
  installTemporalRuntime(logger, config.metrics);
  const tracing = startTracing('flotilla');
  mkdirSync(config.dataDir, { recursive: true });
  log(`data directory: ${config.dataDir}`);
  log('checking tools (the first run builds them from source and takes a while)');
  const tools = await ensureTools();
  const codec = openCodec(config.dataDir, config.codecKeys);
  const codecEndpoint = `http://${config.host}:${config.port}/codec/${codec.uiToken()}`;

  let devServer: DevServer | undefined;
  let address = config.temporalAddress;
  let uiUrl = config.uiUrl;
  if (!address) {
    log('starting the Temporal dev server');
    devServer = await startDevServer({
      temporal: tools.temporal,
      dataDir: config.dataDir,
      port: config.temporalPort,
      uiPort: config.uiPort,
      namespace: config.namespace,
      codecEndpoint,
    });
    address = devServer.address;
    uiUrl ??= devServer.uiUrl;
  }
  const connection = await Connection.connect({ address });
  if (!devServer) await registerSearchAttributes(connection, config.namespace);
  const apiMetrics = new ApiMetrics();
  const client = new Client({
    connection,
    namespace: config.namespace,
    dataConverter: flotillaDataConverter(codec),
    interceptors: { workflow: [apiMetrics.clientInterceptor(), ...tracingClientInterceptors(tracing)] },
  });

  const secrets = openSecretStore(config.dataDir);
  // The embedded default reaches loopback: its own KWOK clusters, and clusters imported from them, listen there.
  const access = tenantAccess(config.allowedEndpoints ?? LOOPBACK_ENDPOINTS, config.kubeconfigRules);
  const providers = createProviders({ tools, kwokWorkdir: kwokWorkdir(config), secrets, tenantKubeconfigs: access.kubeconfigs });
  const { kwok } = providers;
  await kwok.startAll(log);

  const workerConnection = await NativeConnection.connect({ address });
  const workerMetrics = new WorkerMetrics({ clusterCounts: { client, logger } });
  const workers = await createWorkers({
    connection: workerConnection,
    namespace: config.namespace,
    codec,
    providers: providers.activities,
    helm: helmActivities(new Helm(tools.helm, join(config.dataDir, 'helm'), access.egress, config.chartRoots), providers.kubeconfigs),
    reconcile: reconcileActivities(client, providers.kubeconfigs),
    metrics: workerMetrics,
    tracing,
    tuning: config.worker,
  });
  await ensureReconcileSchedule(client, config.reconcileInterval);
  const running = runWorkers(workers);

  const generated = config.apiTokens ? undefined : defaultTokenSpec(config.dataDir);
  const server = await startApi({
    config,
    client,
    tokens: config.apiTokens ?? generated!.spec,
    ...(uiUrl ? { uiUrl } : {}),
    providers,
    access,
    secrets,
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

  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    server.close();
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
    await workerConnection.close();
    await connection.close();
    await tracing?.shutdown();
    log('stopping KWOK control planes');
    await kwok.stopAll().catch((err) => log(`could not stop KWOK clusters: ${err}`));
    if (devServer) {
      log('stopping the Temporal dev server');
      await devServer.stop();
    }
    log('stopped');
    process.exit(code);
  };
  process.once('SIGINT', () => void stop('SIGINT', 0));
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  running.catch((err) => {
    logger.error({ err }, 'a worker failed');
    void stop('a worker failed', 1);
  });
}

main().catch((err) => {
  console.error(`[flotilla] failed to start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
