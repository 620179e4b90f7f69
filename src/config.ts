import { kubeconfigRules, type KubeconfigRules } from './adapters/kubeconfig/tenant.js';
import { temporalTarget, type TemporalTarget } from './temporal/target.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDER_NAMES } from './domain/cluster.js';
import { HELM_TASK_QUEUE, providerTaskQueue, RECONCILE_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from './domain/ids.js';
import { LOG_LEVELS, type FlotillaLogLevel } from './observability/logger.js';

/** Everything Flotilla reads from its environment, in one place. */
export interface Config {
  /** State of the embedded default: Temporal's SQLite file, KWOK clusters, the generated token. */
  dataDir: string;
  host: string;
  port: number;
  /** An existing Temporal to use instead of starting the dev server: Temporal's own client configuration (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE). */
  temporal?: TemporalTarget;
  namespace: string;
  temporalPort: number;
  uiPort: number;
  /** Base URL of the Temporal Web UI, for links to runs. */
  uiUrl?: string;
  /** `token:org,token:org`. */
  apiTokens?: string;
  /** Payload codec keys, `id:base64key,...`, newest last; unset: generated into the data directory. */
  codecKeys?: string;
  /** How often the reconcile schedule runs (a Temporal duration: `5m`, `30s`). */
  reconcileInterval: string;
  /** Largest request body the API reads. */
  maxBodyBytes: number;
  /** Requests per bearer token; undefined when turned off. */
  rateLimit?: RateLimit;
  /** How long readers share an answer of the cluster list (ms; 0: every read asks Temporal). */
  listCacheMs: number;
  /** Accepts (node pool changes, deletes) in flight to Temporal at once; past it, 429 (FLOTILLA_ACCEPT_CAPACITY). */
  acceptCapacity: number;
  /** Directories local charts of deployments must lie under. */
  chartRoots: string[];
  /** FLOTILLA_ALLOWED_ENDPOINTS: CIDRs and host names tenants' endpoints may reach beyond public addresses; unset: the program's default (npm start: loopback; else none). */
  allowedEndpoints?: string;
  /** What tenants' kubeconfigs may hold beyond inline credentials (FLOTILLA_KUBECONFIG_EXEC_ALLOW, FLOTILLA_KUBECONFIG_PROXY_ALLOW). */
  kubeconfigRules: KubeconfigRules;
  /** Level of the JSON logs (LOG_LEVEL); unset, each program has its default (npm start: warn, else info). */
  logLevel?: FlotillaLogLevel;
  /** Metrics endpoints besides the API's GET /metrics. */
  metrics: MetricsConfig;
  /** What a worker process serves, how much at once, and how it stops. */
  worker: WorkerConfig;
}

/** `requests` per `seconds` on average, with up to `burst` at once. */
export interface RateLimit {
  requests: number;
  seconds: number;
  burst: number;
}

/** Largest request body the API reads, unless FLOTILLA_MAX_BODY_BYTES says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Accepts in flight at once: far more than a healthy Temporal needs (an accept takes it
 * milliseconds), far fewer than the requests that queue up when it is slowed down.
 */
export const DEFAULT_ACCEPT_CAPACITY = 64;

/** One second: about the lag of a visibility store with an index refresh. */
export const DEFAULT_LIST_CACHE_MS = 1000;

export interface MetricsConfig {
  /** Address the worker's metrics servers bind to. */
  host: string;
  /** Flotilla's own metrics of a worker process (operations, drift, clusters); unset: not served. */
  port?: number;
  /** The Temporal SDK's worker metrics (task slots, latencies); unset: not served. */
  sdkPort?: number;
  /** A bearer token GET /metrics asks for (API and worker); unset: no auth. */
  token?: string;
}

export interface WorkerConfig {
  /** Task queues a standalone worker serves (`tsx src/worker.ts`). */
  taskQueues: string[];
  maxConcurrentActivities?: number;
  maxConcurrentWorkflowTasks?: number;
  maxCachedWorkflows?: number;
  /** How long a stopping worker lets in-flight activities finish (a Temporal duration). */
  shutdownGraceTime: string;
  /** A workflow bundle built beforehand (FLOTILLA_WORKFLOW_BUNDLE), so a (re)started worker does not bundle again. */
  workflowBundle?: string;
  /** FLOTILLA_WORKFLOW_STACK_TRACES=true: keep the SDK's stack-trace promise hook (src/temporal/workflow-threads.ts). */
  workflowStackTraces?: boolean;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got '${value}'`);
  return n;
}

function duration(value: string | undefined, fallback: string, name: string): string {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+(ms|s|m|h|d)$/.test(value)) throw new Error(`${name} must be a duration like 30s, 5m or 1h, got '${value}'`);
  return value;
}

function milliseconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,7}$/.test(value)) throw new Error(`${name} must be a whole number of milliseconds, got '${value}'`);
  return Number(value);
}

/** `1048576`, `512kb` or `2mb`. */
function bytes(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const match = /^(\d+)(kb|mb)?$/i.exec(value);
  const n = match ? Number(match[1]) * (match[2] ? (match[2].toLowerCase() === 'kb' ? 1024 : 1024 * 1024) : 1) : NaN;
  if (!(n >= 1)) throw new Error(`${name} must be a size like 1048576, 512kb or 1mb, got '${value}'`);
  return n;
}

/** `20/1` (requests per seconds) and a burst like `100`; `off` turns limiting off. */
export function parseRateLimit(spec: string, burstSpec: string): RateLimit | undefined {
  if (spec === 'off') return undefined;
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(spec);
  const requests = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || requests < 1 || seconds <= 0) throw new Error(`FLOTILLA_RATE_LIMIT must be <requests>/<seconds> like 20/1, or off; got '${spec}'`);
  const burst = Number(burstSpec);
  if (!/^\d+$/.test(burstSpec) || burst < 1) throw new Error(`FLOTILLA_RATE_BURST must be a whole number of 1 or more; got '${burstSpec}'`);
  return { requests, seconds, burst };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.FLOTILLA_DATA_DIR ?? join(repoRoot, '.flotilla'));
  const temporal = temporalTarget(env);
  const rateLimit = parseRateLimit(env.FLOTILLA_RATE_LIMIT || '20/1', env.FLOTILLA_RATE_BURST || '100');
  return {
    dataDir,
    host: env.HOST ?? '127.0.0.1',
    port: port(env.PORT, 8080, 'PORT'),
    ...(temporal ? { temporal } : {}),
    namespace: temporal?.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default',
    temporalPort: port(env.TEMPORAL_PORT, 7233, 'TEMPORAL_PORT'),
    uiPort: port(env.TEMPORAL_UI_PORT, 8233, 'TEMPORAL_UI_PORT'),
    ...(env.FLOTILLA_UI_URL ? { uiUrl: env.FLOTILLA_UI_URL } : {}),
    ...(env.FLOTILLA_API_TOKENS ? { apiTokens: env.FLOTILLA_API_TOKENS } : {}),
    ...(env.FLOTILLA_CODEC_KEYS ? { codecKeys: env.FLOTILLA_CODEC_KEYS } : {}),
    reconcileInterval: duration(env.FLOTILLA_RECONCILE_INTERVAL, '5m', 'FLOTILLA_RECONCILE_INTERVAL'),
    maxBodyBytes: bytes(env.FLOTILLA_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 'FLOTILLA_MAX_BODY_BYTES'),
    ...(rateLimit ? { rateLimit } : {}),
    listCacheMs: milliseconds(env.FLOTILLA_LIST_CACHE_MS, DEFAULT_LIST_CACHE_MS, 'FLOTILLA_LIST_CACHE_MS'),
    acceptCapacity: count(env.FLOTILLA_ACCEPT_CAPACITY, 1, 'FLOTILLA_ACCEPT_CAPACITY') ?? DEFAULT_ACCEPT_CAPACITY,
    chartRoots: (env.FLOTILLA_CHART_ROOTS ?? join(dataDir, 'charts')).split(':').filter(Boolean).map((root) => resolve(root)),
    ...(env.FLOTILLA_ALLOWED_ENDPOINTS !== undefined ? { allowedEndpoints: env.FLOTILLA_ALLOWED_ENDPOINTS } : {}),
    kubeconfigRules: kubeconfigRules(env),
    ...(env.LOG_LEVEL ? { logLevel: logLevel(env.LOG_LEVEL) } : {}),
    metrics: metricsConfig(env),
    worker: workerConfig(env),
  };
}

export function kwokWorkdir(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'kwok');
}

function logLevel(value: string): FlotillaLogLevel {
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
  return level as FlotillaLogLevel;
}

function metricsConfig(env: NodeJS.ProcessEnv): MetricsConfig {
  return {
    host: env.FLOTILLA_METRICS_HOST || '127.0.0.1',
    ...(env.FLOTILLA_METRICS_PORT ? { port: port(env.FLOTILLA_METRICS_PORT, 0, 'FLOTILLA_METRICS_PORT') } : {}),
    ...(env.FLOTILLA_WORKER_METRICS_PORT ? { sdkPort: port(env.FLOTILLA_WORKER_METRICS_PORT, 0, 'FLOTILLA_WORKER_METRICS_PORT') } : {}),
    ...(env.FLOTILLA_METRICS_TOKEN ? { token: env.FLOTILLA_METRICS_TOKEN } : {}),
  };
}

/** Every task queue a worker can serve. */
export const TASK_QUEUES = [WORKFLOW_TASK_QUEUE, HELM_TASK_QUEUE, RECONCILE_TASK_QUEUE, ...PROVIDER_NAMES.map(providerTaskQueue)];

function workerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const taskQueues = (env.FLOTILLA_TASK_QUEUES ?? `${WORKFLOW_TASK_QUEUE},${HELM_TASK_QUEUE},${RECONCILE_TASK_QUEUE},${providerTaskQueue('kwok')}`)
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  const unknown = taskQueues.filter((q) => !TASK_QUEUES.includes(q));
  if (unknown.length) throw new Error(`FLOTILLA_TASK_QUEUES: unknown task queue '${unknown[0]}' (known: ${TASK_QUEUES.join(', ')})`);
  if (taskQueues.length === 0) throw new Error('FLOTILLA_TASK_QUEUES names no task queue');
  const activities = count(env.FLOTILLA_MAX_CONCURRENT_ACTIVITIES, 1, 'FLOTILLA_MAX_CONCURRENT_ACTIVITIES');
  // The SDK needs two workflow task slots when workflows are cached (one for the sticky queue).
  const workflowTasks = count(env.FLOTILLA_MAX_CONCURRENT_WORKFLOW_TASKS, 2, 'FLOTILLA_MAX_CONCURRENT_WORKFLOW_TASKS');
  const cached = count(env.FLOTILLA_MAX_CACHED_WORKFLOWS, 0, 'FLOTILLA_MAX_CACHED_WORKFLOWS');
  return {
    taskQueues,
    ...(activities !== undefined ? { maxConcurrentActivities: activities } : {}),
    ...(workflowTasks !== undefined ? { maxConcurrentWorkflowTasks: workflowTasks } : {}),
    ...(cached !== undefined ? { maxCachedWorkflows: cached } : {}),
    shutdownGraceTime: duration(env.FLOTILLA_SHUTDOWN_GRACE_TIME, '30s', 'FLOTILLA_SHUTDOWN_GRACE_TIME'),
    ...(env.FLOTILLA_WORKFLOW_BUNDLE ? { workflowBundle: env.FLOTILLA_WORKFLOW_BUNDLE } : {}),
    ...(flag(env.FLOTILLA_WORKFLOW_STACK_TRACES, 'FLOTILLA_WORKFLOW_STACK_TRACES') ? { workflowStackTraces: true } : {}),
  };
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${name} must be true or false, got '${value}'`);
}

function count(value: string | undefined, min: number, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, got '${value}'`);
  return n;
}
