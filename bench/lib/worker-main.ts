// A Flotilla worker process for the benchmarks: the real createWorkers with the
// providers, helm and reconcile activities of src/, plus timing of what it
// does (activities, and the helm and kwokctl processes it starts), which the
// bench reads over IPC. Started by bench/lib/stack.ts with its settings in the environment.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename, join } from 'node:path';
import { FakeHelm } from '../../test/helpers/fake-helm.js';
import { helmActivities, type HelmActivities } from '../../src/activities/helm.js';
import { tenantAccess } from '../../src/adapters/tenant-access.js';
import { Helm } from '../../src/adapters/helm/helm.js';
import { createProviders } from '../../src/adapters/providers/index.js';
import { reconcileActivities } from '../../src/activities/reconcile.js';
import { workflowQueueActivities } from '../../src/activities/workflow-queue.js';
import { openSecretStore } from '../../src/adapters/secrets/store.js';
import { kwokWorkdir, loadConfig } from '../../src/config.js';
import { isProviderName, type ProviderName } from '../../src/domain/cluster.js';
import type { ClusterReads } from '../../src/domain/deployment.js';
import { toolPaths } from '../../src/toolchain.js';
import { flotillaDataConverter, openCodec } from '../../src/temporal/codec.js';
import { createWorkers, runWorkers, type FlotillaWorkerOptions } from '../../src/worker.js';
import { TRACING_ON_ACTIVITY } from '../../src/workflows/tracing-switch.js';
import { requireNodeMajor } from '../../src/node-version.js';

export type WorkerStats = { spawns: Record<string, number[]>; activities: Record<string, number[]>; cachedWorkflows: number };
export type WorkerMessage = { type: 'ready' } | ({ type: 'stats' } & WorkerStats);
export type WorkerRequest = { type: 'stats'; reset: boolean } | { type: 'instantReads'; on: boolean };

const stats: Omit<WorkerStats, 'cachedWorkflows'> = { spawns: {}, activities: {} };
const record = (bucket: Record<string, number[]>, key: string, ms: number) => (bucket[key] ??= []).push(ms);

// Every child process the activities start, timed from spawn to exit under a name like `helm get values`.
const childProcess = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
const spawn = childProcess.spawn;
childProcess.spawn = function timedSpawn(this: unknown, ...args: Parameters<typeof spawn>) {
  const started = performance.now();
  const child = spawn.apply(this, args);
  const [command, argv] = args as unknown as [string, string[] | undefined];
  const words = (Array.isArray(argv) ? argv : []).slice(0, 3).filter((a) => !a.startsWith('-'));
  const name = [basename(command), ...words.slice(0, words[0] === 'get' ? 2 : 1)].join(' ');
  child.once('close', () => record(stats.spawns, name, performance.now() - started));
  return child;
} as typeof spawn;
syncBuiltinESMExports();

function timed<T extends object>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          record(stats.activities, name, performance.now() - started);
        }
      },
    ]),
  ) as T;
}

Runtime.install({ logger: new DefaultLogger('ERROR') });

async function main(): Promise<void> {
  requireNodeMajor('A benchmark worker');
  const config = loadConfig();
  const address = config.temporal!.connection.address!;
  const access = tenantAccess(config.allowedEndpoints ?? '', config.kubeconfigRules);
  const all = createProviders({ tools: toolPaths(), kwokWorkdir: kwokWorkdir(config), secrets: openSecretStore(config.dataDir), tenantKubeconfigs: access.kubeconfigs });
  const providers: FlotillaWorkerOptions['providers'] = {};
  for (const name of (process.env.BENCH_PROVIDERS ?? '').split(',').filter(Boolean)) {
    if (!isProviderName(name)) throw new Error(`BENCH_PROVIDERS: unknown provider ${name}`);
    providers[name as ProviderName] = timed(all.activities[name]!);
  }
  const connection = await NativeConnection.connect({ address });
  const codec = openCodec(config.dataDir, config.codecKeys);
  const client = new Client({ connection: await Connection.connect({ address }), namespace: config.namespace, dataConverter: flotillaDataConverter(codec) });
  let helm: HelmActivities | undefined;
  // The ablation that measures orchestration alone: while on, every target reads as in sync, at once.
  let instantReads = false;
  if (process.env.BENCH_HELM === 'true') {
    helm = helmActivities(new Helm(toolPaths().helm, join(config.dataDir, 'helm'), access.egress, config.chartRoots), all.kubeconfigs);
    const realCheck = helm.helmCheck;
    helm.helmCheck = async (target, ...rest) =>
      instantReads ? { clusterName: target.name, provider: target.provider, status: 'DEPLOYED', stale: false, lastCheckedAt: new Date().toISOString() } : realCheck(target, ...rest);
  }
  const reconcile = reconcileActivities(client, all.kubeconfigs);
  // With instant reads a pass per cluster gets the first pass's reads again at once (nothing had drifted then).
  const firstReads = new Map<string, ClusterReads>();
  const realRead = reconcile.readClusterReleases;
  reconcile.readClusterReleases = async (ref, releases) => {
    const key = `${ref.org}/${ref.name}`;
    if (instantReads && firstReads.has(key)) return firstReads.get(key)!;
    const reads = await realRead(ref, releases);
    if (!firstReads.has(key)) firstReads.set(key, reads);
    return reads;
  };
  if (process.env.BENCH_FAKE_HELM === 'true') {
    const fake = new FakeHelm();
    helm = helmActivities(fake.adapter(), fake.kubeconfigs('sim'));
  }
  const { taskQueues: _all, ...tuning } = config.worker;
  const workers = await createWorkers({
    connection,
    namespace: config.namespace,
    codec,
    tuning,
    providers,
    workflowBundlePath: process.env.FLOTILLA_WORKFLOW_BUNDLE,
    ...(helm ? { helm: timed(helm), reconcile: timed(reconcile) } : {}),
    // BENCH_TRACED_WORKFLOWS: new runs traced, spans dropped, as every run was before tracing could be off (the baseline of BENCHMARKS.md §2).
    workflowQueue: { ...workflowQueueActivities(client), ...(process.env.BENCH_TRACED_WORKFLOWS === 'true' ? { [TRACING_ON_ACTIVITY]: async () => {} } : {}) },
  });
  process.on('message', (message: WorkerRequest) => {
    if (message.type === 'instantReads') {
      instantReads = message.on;
      return;
    }
    const cachedWorkflows = workers.reduce((n, w) => n + w.getStatus().numCachedWorkflows, 0);
    process.send!({ type: 'stats', ...stats, cachedWorkflows } satisfies WorkerMessage);
    if (message.reset) {
      stats.spawns = {};
      stats.activities = {};
    }
  });
  process.once('SIGTERM', () => workers.forEach((w) => w.shutdown()));
  const running = runWorkers(workers);
  process.send!({ type: 'ready' } satisfies WorkerMessage);
  await running;
  await connection.close();
  process.exit(0);
}

main().catch((err) => {
  console.error('[bench worker]', err);
  process.exit(1);
});
