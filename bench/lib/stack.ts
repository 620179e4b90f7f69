import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { kwokWorkdir } from '../../src/config.js';
import { flotillaDataConverter, openCodec } from '../../src/temporal/codec.js';
import { startDevServer, stopProcess, type DevServer } from '../../src/temporal/dev-server.js';
import { writeWorkflowBundle } from '../../src/temporal/workflow-bundle.js';
import { toolPaths } from '../../src/toolchain.js';
import { freePort } from '../../test/helpers/ports.js';
import { currentNode, nodeEnv, type NodeBinary } from './node-binary.js';
import type { WorkerMessage, WorkerRequest, WorkerStats } from './worker-main.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const nodeWithTsx = (node: NodeBinary, script: string) => [node.path, ['--import', 'tsx', join(repoRoot, script)]] as const;

/**
 * What the API and the workers share: the data folder (codec key, KWOK clusters, helm home), Temporal, the chart root.
 * The rate limiter stays in the request path but never refuses: the API benchmark measures latency, not the limiter.
 */
function stackEnv(dir: string, address: string): NodeJS.ProcessEnv {
  return {
    FLOTILLA_DATA_DIR: dir,
    TEMPORAL_ADDRESS: address,
    FLOTILLA_CHART_ROOTS: join(dir, 'charts'),
    FLOTILLA_RATE_LIMIT: '10000/1',
    FLOTILLA_RATE_BURST: '10000',
  };
}

/** The organizations the benchmarks work in, each with its token: their clusters never mix in a list. */
export const ORGS = ['kwok', 'orch', 'api'] as const;
export type Org = (typeof ORGS)[number];
export const tokenOf = (org: Org) => `bench-token-${org}`;

export interface WorkerSettings {
  providers: ('kwok' | 'sim')[];
  /** Serve the helm and reconcile queues. */
  helm?: boolean;
  /** Serve the helm queue with helm faked in memory (test/helpers/fake-helm.ts), for sim clusters. */
  fakeHelm?: boolean;
  /** Latency of every sim cloud call. */
  simLatencyMs?: number;
}

/**
 * A worker child process (bench/lib/worker-main.ts): its own process, so its
 * peak memory is its own. One that dies is started again, as a supervisor
 * would, and counted: Temporal hands its tasks to the new one.
 */
export class BenchWorker {
  private pending: ((stats: WorkerStats) => void)[] = [];
  private child!: ChildProcess;
  private stopping = false;
  private instant = false;
  /** Times the process died and was started again. */
  restarts = 0;

  private constructor(
    private readonly node: NodeBinary,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly profileDir: string | undefined,
    private readonly log: (message: string) => void,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(node: NodeBinary, env: NodeJS.ProcessEnv, logFile: string, profileDir: string | undefined, log: (message: string) => void): Promise<BenchWorker> {
    const worker = new BenchWorker(node, env, logFile, profileDir, log);
    await worker.spawn();
    return worker;
  }

  private async spawn(): Promise<void> {
    const [node, args] = nodeWithTsx(this.node, 'bench/lib/worker-main.ts');
    const out = openSync(this.logFile, 'a');
    // --cpu-prof writes a profile per thread (the workflow threads too) when the worker exits: open them in Chrome DevTools.
    const profile = this.profileDir ? ['--cpu-prof', '--cpu-prof-dir', this.profileDir] : [];
    const child = spawn(node, [...profile, ...args], { cwd: repoRoot, env: { ...this.env, ...nodeEnv(this.node) }, stdio: ['ignore', out, out, 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}; see ${this.logFile}`)));
      child.on('message', (m: WorkerMessage) => m.type === 'ready' && resolve());
    });
    child.removeAllListeners('exit');
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'stats') this.pending.shift()?.({ spawns: m.spawns, activities: m.activities, cachedWorkflows: m.cachedWorkflows });
    });
    child.once('exit', (code, signal) => void this.died(code, signal));
    this.child = child;
    if (this.instant) this.instantReads(true);
  }

  private async died(code: number | null, signal: string | null): Promise<void> {
    if (this.stopping) return;
    this.restarts++;
    this.log(`the worker died (${signal ?? `exit ${code}`}; see ${this.logFile}): starting it again`);
    // Timings asked of the dead process will not come: they are lost with it.
    for (const resolve of this.pending.splice(0)) resolve({ spawns: {}, activities: {}, cachedWorkflows: Number.NaN });
    await this.spawn();
  }

  /** Timings since the last reset (activities and the processes they started, in ms), and the workflows in the worker's cache now. */
  stats(reset = true): Promise<WorkerStats> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.child.send({ type: 'stats', reset } satisfies WorkerRequest);
    });
  }

  /** Turns on or off helm reads that answer in sync at once (the orchestration-only ablation). */
  instantReads(on: boolean): void {
    this.instant = on;
    this.child.send({ type: 'instantReads', on } satisfies WorkerRequest);
  }

  stop(): Promise<void> {
    this.stopping = true;
    return stopProcess(this.child);
  }
}

/**
 * The embedded stack as `npm start` runs it, each part in its own process so
 * that it can be measured: the Temporal dev server (SQLite file), the API,
 * and workers started per benchmark. Everything lives in one temporary folder.
 */
export class BenchStack {
  private constructor(
    readonly dir: string,
    readonly devServer: DevServer,
    readonly connection: Connection,
    readonly client: Client,
    readonly api: ChildProcess,
    readonly apiUrl: string,
    private readonly bundlePath: string,
    private readonly log: (message: string) => void,
    /** The Node.js the API and the workers run on. */
    readonly node: NodeBinary,
  ) {}

  /** Start workers with --cpu-prof (profiles land in <work folder>/profiles). */
  profile = false;

  static async start(log: (message: string) => void, node = currentNode()): Promise<BenchStack> {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
    log(`work folder ${dir}`);
    cpSync(join(repoRoot, 'test/fixtures/charts'), join(dir, 'charts'), { recursive: true });
    const devServer = await startDevServer({ temporal: toolPaths().temporal, dataDir: dir, port: await freePort(), uiPort: await freePort(), namespace: 'default' });
    let api: ChildProcess | undefined;
    try {
      return await BenchStack.startRest(dir, devServer, node, log, (child) => (api = child));
    } catch (err) {
      if (api) await stopProcess(api);
      await devServer.stop();
      throw err;
    }
  }

  /** Everything after the dev server; `started` hears of the API process so a failure can stop it. */
  private static async startRest(dir: string, devServer: DevServer, node: NodeBinary, log: (message: string) => void, started: (api: ChildProcess) => void): Promise<BenchStack> {
    const connection = await Connection.connect({ address: devServer.address });
    // The API and workers find the codec key the first of them made in this data directory.
    const client = new Client({ connection, dataConverter: flotillaDataConverter(openCodec(dir)) });

    log('bundling the workflows');
    const bundlePath = join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(bundlePath);

    const port = await freePort();
    const [nodePath, args] = nodeWithTsx(node, 'src/api/server.ts');
    const out = openSync(join(dir, 'api.log'), 'a');
    const api = spawn(nodePath, args, {
      cwd: repoRoot,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        ...stackEnv(dir, devServer.address),
        ...nodeEnv(node),
        HOST: '127.0.0.1',
        PORT: String(port),
        FLOTILLA_API_TOKENS: ORGS.map((org) => `${tokenOf(org)}:${org}`).join(','),
      },
    });
    started(api);
    const apiUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (api.exitCode !== null) throw new Error(`the API exited with ${api.exitCode}; see ${join(dir, 'api.log')}`);
      if (await fetch(`${apiUrl}/healthz`).then((r) => r.ok, () => false)) break;
      // Three minutes: a loaded machine takes more than one to compile and start the API.
      if (i > 1800) throw new Error('the API did not answer within three minutes');
      await sleep(100);
    }
    return new BenchStack(dir, devServer, connection, client, api, apiUrl, bundlePath, log, node);
  }

  private readonly workers = new Set<BenchWorker>();

  async startWorker(settings: WorkerSettings): Promise<BenchWorker> {
    this.log(`starting a worker on Node ${this.node.version}: ${settings.providers.join(', ')}${settings.helm ? ', helm' : ''}${settings.simLatencyMs ? `, sim latency ${settings.simLatencyMs} ms` : ''}`);
    const worker = await BenchWorker.start(
      this.node,
      {
        ...process.env,
        ...stackEnv(this.dir, this.devServer.address),
        FLOTILLA_WORKFLOW_BUNDLE: this.bundlePath,
        BENCH_PROVIDERS: settings.providers.join(','),
        BENCH_HELM: String(settings.helm ?? false),
        BENCH_FAKE_HELM: String(settings.fakeHelm ?? false),
        FLOTILLA_SIM_LATENCY_MS: String(settings.simLatencyMs ?? 0),
      },
      join(this.dir, 'worker.log'),
      this.profile ? join(this.dir, 'profiles') : undefined,
      this.log,
    );
    this.workers.add(worker);
    return worker;
  }

  /** Where local charts may be deployed from (FLOTILLA_CHART_ROOTS): the test fixtures are copied here. */
  get chartRoot(): string {
    return join(this.dir, 'charts');
  }

  /** The KWOK provider of the stack's data folder, to reach its clusters directly. */
  kwok(): KwokProvider {
    return new KwokProvider(toolPaths(), kwokWorkdir({ dataDir: this.dir }));
  }

  /** Calls the API as the org's token; JSON in and out. */
  async call<T = any>(org: Org, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.apiUrl}/api/v1/orgs/${org}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokenOf(org)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) as T };
    } catch {
      return { status: response.status, body: text as T };
    }
  }

  /** Like call, but anything other than the expected status is an error that says what the API answered. */
  async expect<T = any>(status: number, org: Org, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(org, method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    return res.body;
  }

  /** Deletes the KWOK control planes the benchmarks made: idle, ten of them still take a good part of a core. */
  async removeKwokClusters(): Promise<void> {
    const kwok = this.kwok();
    for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
  }

  async stop(keep = false): Promise<void> {
    // Workers a benchmark left running (it failed, or the run was interrupted).
    await Promise.all([...this.workers].map((w) => w.stop()));
    await stopProcess(this.api);
    await this.connection.close();
    await this.removeKwokClusters();
    await this.devServer.stop();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
