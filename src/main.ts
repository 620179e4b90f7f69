// `npm start`: the embedded default (DESIGN decision 8). Installs the tools if
// needed, starts the Temporal dev server with its Web UI (unless
// TEMPORAL_ADDRESS points elsewhere), restarts the KWOK control planes of
// earlier runs, then runs one worker for every task queue and the API.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { helmActivities } from './activities/helm/activities.js';
import { Helm } from './activities/helm/helm.js';
import { createProviders } from './activities/providers/index.js';
import { reconcileActivities } from './activities/reconcile.js';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.js';
import { openSecretStore } from './activities/secrets/store.js';
import { startApi } from './api/server.js';
import { defaultTokenSpec } from './api/tokens.js';
import { kwokWorkdir, loadConfig } from './config.js';
import { startDevServer, type DevServer } from './temporal/dev-server.js';
import { registerSearchAttributes } from './temporal/search-attributes.js';
import { ensureTools } from './toolchain.js';
import { createWorkers, runWorkers } from './worker.js';

const log = (message: string) => console.log(`[flotilla] ${message}`);

// The SDK's warnings and errors, without its start-up chatter (bundle sizes, queues with nothing to poll).
Runtime.install({
  logger: new DefaultLogger((process.env.FLOTILLA_LOG_LEVEL ?? 'WARN') as 'WARN', (entry: LogEntry) => {
    if (/not polling/.test(entry.message)) return;
    console.error(`[temporal] ${entry.level} ${entry.message}`, entry.meta ? JSON.stringify(entry.meta) : '');
  }),
});

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  log(`data directory: ${config.dataDir}`);
  log('checking tools (the first run builds them from source and takes a while)');
  const tools = await ensureTools();

  let devServer: DevServer | undefined;
  let address = config.temporalAddress;
  let uiUrl = config.uiUrl;
  if (!address) {
    log('starting the Temporal dev server');
    devServer = await startDevServer({ temporal: tools.temporal, dataDir: config.dataDir, port: config.temporalPort, uiPort: config.uiPort, namespace: config.namespace });
    address = devServer.address;
    uiUrl ??= devServer.uiUrl;
  }
  const connection = await Connection.connect({ address });
  if (!devServer) await registerSearchAttributes(connection, config.namespace);
  const client = new Client({ connection, namespace: config.namespace });

  const secrets = openSecretStore(config.dataDir);
  const providers = createProviders({ tools, kwokWorkdir: kwokWorkdir(config), secrets });
  const { kwok } = providers;
  await kwok.startAll(log);

  const workerConnection = await NativeConnection.connect({ address });
  const workers = await createWorkers({
    connection: workerConnection,
    namespace: config.namespace,
    providers: providers.activities,
    helm: helmActivities(new Helm(tools.helm, join(config.dataDir, 'helm'), config.chartRoots), providers.kubeconfigs),
    reconcile: reconcileActivities(client, providers.kubeconfigs),
  });
  await ensureReconcileSchedule(client, config.reconcileInterval);
  const running = runWorkers(workers);

  const generated = config.apiTokens ? undefined : defaultTokenSpec(config.dataDir);
  const server = await startApi({ config, client, tokens: config.apiTokens ?? generated!.spec, ...(uiUrl ? { uiUrl } : {}), providers, secrets });

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
    console.error(err);
    void stop('a worker failed', 1);
  });
}

main().catch((err) => {
  console.error(`[flotilla] failed to start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
