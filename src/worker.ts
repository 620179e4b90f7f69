import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.js';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { helmActivities, type HelmActivities } from './activities/helm/activities.js';
import { Helm } from './activities/helm/helm.js';
import type { ProviderActivities } from './activities/provider.js';
import { reconcileActivities, type ReconcileActivities } from './activities/reconcile.js';
import { createProviders } from './activities/providers/index.js';
import { openSecretStore } from './activities/secrets/store.js';
import { kwokWorkdir, loadConfig } from './config.js';
import { isProviderName, type ProviderName } from './domain/cluster.js';
import { HELM_TASK_QUEUE, providerTaskQueue, RECONCILE_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from './domain/ids.js';
import { toolPaths } from './toolchain.js';

export interface FlotillaWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The providers this process serves, each on its own task queue. */
  providers: Partial<Record<ProviderName, ProviderActivities>>;
  /** Serve the workflow task queue too (the embedded default does; a provider-only worker does not). */
  workflows?: boolean;
  /** Helm activities (task queue `helm`), where helm and every provider's kubeconfigs are at hand. */
  helm?: HelmActivities;
  /** Reconcile activities (task queue `reconcile`). */
  reconcile?: ReconcileActivities;
  /** A prebuilt workflow bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string | undefined;
}

const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** One Temporal worker per task queue: the workflows' queue and `provider-<name>` per provider. */
export async function createWorkers(options: FlotillaWorkerOptions): Promise<Worker[]> {
  const common: Pick<WorkerOptions, 'connection' | 'namespace'> = { connection: options.connection, namespace: options.namespace };
  const workers: Promise<Worker>[] = [];
  if (options.workflows ?? true) {
    workers.push(
      Worker.create({
        ...common,
        taskQueue: WORKFLOW_TASK_QUEUE,
        ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath }),
      }),
    );
  }
  if (options.reconcile) workers.push(Worker.create({ ...common, taskQueue: RECONCILE_TASK_QUEUE, activities: { ...options.reconcile } }));
  if (options.helm) workers.push(Worker.create({ ...common, taskQueue: HELM_TASK_QUEUE, activities: { ...options.helm } }));
  for (const [name, activities] of Object.entries(options.providers)) {
    workers.push(Worker.create({ ...common, taskQueue: providerTaskQueue(name), activities: { ...activities } }));
  }
  return Promise.all(workers);
}

/** Runs workers until one fails or all are shut down. */
export async function runWorkers(workers: Worker[]): Promise<void> {
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  }
}

/** A worker process on its own: `tsx src/worker.ts`, with TEMPORAL_ADDRESS and FLOTILLA_PROVIDERS (default kwok). */
async function main(): Promise<void> {
  const config = loadConfig();
  const address = config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }), namespace: config.namespace });
  const wanted = (process.env.FLOTILLA_PROVIDERS ?? 'kwok').split(',').map((p) => p.trim()).filter(Boolean);
  const all = createProviders({ tools: toolPaths(), kwokWorkdir: kwokWorkdir(config), secrets: openSecretStore(config.dataDir) });
  const providers: FlotillaWorkerOptions['providers'] = {};
  for (const name of wanted) {
    if (!isProviderName(name) || !all.activities[name]) throw new Error(`FLOTILLA_PROVIDERS: unknown provider '${name}'`);
    providers[name] = all.activities[name];
  }
  const helm = process.env.FLOTILLA_HELM === 'false' ? undefined : helmActivities(new Helm(toolPaths().helm, join(config.dataDir, 'helm'), config.chartRoots), all.kubeconfigs);
  const workers = await createWorkers({
    connection,
    namespace: config.namespace,
    providers,
    workflows: process.env.FLOTILLA_WORKFLOWS !== 'false',
    ...(helm ? { helm, reconcile: reconcileActivities(client, all.kubeconfigs) } : {}),
  });
  if (helm) await ensureReconcileSchedule(client, config.reconcileInterval);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.forEach((w) => w.shutdown()));
  await runWorkers(workers);
  await connection.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
