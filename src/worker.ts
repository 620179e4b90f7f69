import { Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { flotillaDataConverter, openCodec } from './temporal/codec.js';
import { buildAdapters, temporalClient } from './composition.js';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.js';
import { workflowBundleOptions } from './temporal/workflow-bundle.js';
import { withoutStackTraceHook } from './temporal/workflow-threads.js';
import { pathToFileURL } from 'node:url';
import { helmActivities, type HelmActivities } from './activities/helm.js';
import type { ProviderActivities } from './adapters/providers/provider.js';
import { workflowQueueActivities, type WorkflowQueueActivities } from './activities/workflow-queue.js';
import { reconcileActivities, type ReconcileActivities } from './activities/reconcile.js';
import { loadConfig, type WorkerConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { processMetrics, startMetricsServer } from './observability/metrics-endpoint.js';
import { installTemporalRuntime } from './observability/temporal-runtime.js';
import { WorkerMetrics } from './observability/worker-metrics.js';
import {
  startTracing,
  tracingActivityInterceptors,
  tracingClientInterceptors,
  tracingSinks,
  tracingWorkflowActivities,
  type Tracing,
} from './observability/tracing.js';
import { PROVIDER_NAMES, type ProviderName } from './domain/cluster.js';
import { HELM_TASK_QUEUE, providerTaskQueue, RECONCILE_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from './domain/ids.js';
import { toolPaths } from './toolchain.js';
import { requireNodeMajor } from './node-version.js';

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
  /** The activities served with the workflows, on their task queue (src/activities/workflow-queue.ts): required when the workflows are served. */
  workflowQueue?: WorkflowQueueActivities;
  /** Encrypts every payload this worker sends to Temporal (src/temporal/codec.ts). */
  codec: PayloadCodec;
  /** A prebuilt workflow bundle (tests build it once, from workflowBundleOptions()); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string | undefined;
  /** Where the workflows' metrics events go; default: a registry nobody serves. */
  metrics?: WorkerMetrics;
  /** Tracing, when on (src/observability/tracing.ts). */
  tracing?: Tracing | undefined;
  /** Concurrency, workflow cache and shutdown grace time, per task queue. */
  tuning?: Omit<WorkerConfig, 'taskQueues'>;
}

/** One Temporal worker per task queue: the workflows' queue and `provider-<name>` per provider. */
export async function createWorkers(options: FlotillaWorkerOptions): Promise<Worker[]> {
  const common: Pick<WorkerOptions, 'connection' | 'namespace' | 'dataConverter'> = {
    connection: options.connection,
    namespace: options.namespace,
    dataConverter: flotillaDataConverter(options.codec),
  };
  const { tuning, tracing } = options;
  const bundle = workflowBundleOptions();
  const workers: Promise<Worker>[] = [];
  if (options.workflows ?? true) {
    // Refused at start: without them, groups, clusters and deployments would fail their runs one by one.
    if (!options.workflowQueue) throw new Error('a worker serving the workflows needs their activities (workflowQueueActivities)');
    const create = (workerOptions: WorkerOptions) => (tuning?.workflowStackTraces ? Worker.create(workerOptions) : withoutStackTraceHook(() => Worker.create(workerOptions)));
    workers.push(
      create({
        ...common,
        taskQueue: WORKFLOW_TASK_QUEUE,
        ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath: bundle.workflowsPath }),
        interceptors: {
          ...(options.workflowBundlePath ? {} : { workflowModules: bundle.workflowInterceptorModules }),
          activity: tracingActivityInterceptors(tracing),
        },
        sinks: { ...(options.metrics ?? new WorkerMetrics()).sinks(), ...tracingSinks(tracing) },
        activities: { ...options.workflowQueue, ...tracingWorkflowActivities(tracing) },
        ...(tuning?.maxConcurrentWorkflowTasks ? { maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTasks } : {}),
        ...(tuning?.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: tuning.maxCachedWorkflows } : {}),
        ...(tuning ? { shutdownGraceTime: tuning.shutdownGraceTime } : {}),
      }),
    );
  }
  const activityWorker = (taskQueue: string, activities: object) =>
    Worker.create({
      ...common,
      taskQueue,
      activities: { ...activities },
      interceptors: { activity: tracingActivityInterceptors(tracing) },
      ...(tuning?.maxConcurrentActivities ? { maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivities } : {}),
      // Activities in flight finish (and report) within this time after shutdown starts; then they are cancelled.
      ...(tuning ? { shutdownGraceTime: tuning.shutdownGraceTime } : {}),
    });
  if (options.reconcile) workers.push(activityWorker(RECONCILE_TASK_QUEUE, options.reconcile));
  if (options.helm) workers.push(activityWorker(HELM_TASK_QUEUE, options.helm));
  for (const [name, activities] of Object.entries(options.providers)) workers.push(activityWorker(providerTaskQueue(name), activities));
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

/**
 * A worker process on its own: `tsx src/worker.ts`, serving the task queues
 * in FLOTILLA_TASK_QUEUES. SIGTERM or SIGINT stops polling and lets the
 * activities in flight finish within FLOTILLA_SHUTDOWN_GRACE_TIME.
 */
async function main(): Promise<void> {
  requireNodeMajor('The worker');
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  installTemporalRuntime(logger, config.metrics);
  const tracing = startTracing('flotilla-worker');
  const target = config.temporal?.connection ?? { address: `127.0.0.1:${config.temporalPort}` };
  const codec = openCodec(config.dataDir, config.codecKeys);
  const connection = await NativeConnection.connect(target);
  const client = temporalClient(await Connection.connect(target), config.namespace, codec, tracingClientInterceptors(tracing));
  const queues = new Set(config.worker.taskQueues);
  const adapters = buildAdapters(config, toolPaths(), config.allowedEndpoints ?? '');
  const all = adapters.providers;
  const providers: FlotillaWorkerOptions['providers'] = {};
  for (const name of PROVIDER_NAMES) if (queues.has(providerTaskQueue(name))) providers[name] = all.activities[name];
  const workflows = queues.has(WORKFLOW_TASK_QUEUE);
  // Clusters by status are counted by the worker of the workflows, one place per deployment.
  const metrics = new WorkerMetrics(workflows ? { clusterCounts: { client, logger } } : {});
  const workers = await createWorkers({
    connection,
    namespace: config.namespace,
    codec,
    providers,
    workflows,
    workflowBundlePath: config.worker.workflowBundle,
    ...(queues.has(HELM_TASK_QUEUE) ? { helm: helmActivities(adapters.helm, all.kubeconfigs) } : {}),
    ...(queues.has(RECONCILE_TASK_QUEUE) ? { reconcile: reconcileActivities(client, all.kubeconfigs) } : {}),
    ...(workflows ? { workflowQueue: workflowQueueActivities(client) } : {}),
    metrics,
    tracing,
    tuning: config.worker,
  });
  if (queues.has(RECONCILE_TASK_QUEUE)) await ensureReconcileSchedule(client, config.reconcileInterval);
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : await startMetricsServer({
          registries: [metrics.registry, processMetrics()],
          host: config.metrics.host,
          port: config.metrics.port,
          ...(config.metrics.token ? { token: config.metrics.token } : {}),
          // Ready while every worker polls: not before run() starts them, not once one stops or fails.
          ready: () => workers.every((w) => w.getState() === 'RUNNING'),
        });
  const stop = (signal: string) => {
    logger.info({ signal, shutdownGraceTime: config.worker.shutdownGraceTime }, 'worker stopping: no new tasks; activities in flight may finish');
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  logger.info({ taskQueues: [...queues], ...(metricsServer ? { metrics: metricsServer.url } : {}), tracing: tracing !== undefined }, 'worker running');
  try {
    await runWorkers(workers);
  } finally {
    await metricsServer?.close();
    await tracing?.shutdown();
    await connection.close();
  }
  logger.info('worker stopped');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err) => {
      createLogger({ level: 'error' }).fatal({ err }, 'worker failed');
      process.exit(1);
    },
  );
}
