import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_BODY_BYTES } from './api/body-limits.js';
import { parseRateLimit, type RateLimit } from './api/rate-limit.js';

/** Everything Flotilla reads from its environment, in one place. */
export interface Config {
  /** State of the embedded default: Temporal's SQLite file, KWOK clusters, the generated token. */
  dataDir: string;
  host: string;
  port: number;
  /** An existing Temporal to use instead of starting the dev server. */
  temporalAddress?: string;
  namespace: string;
  temporalPort: number;
  uiPort: number;
  /** Base URL of the Temporal Web UI, for links to runs. */
  uiUrl?: string;
  /** `token:org,token:org`. */
  apiTokens?: string;
  /** How often the reconcile schedule runs (a Temporal duration: `5m`, `30s`). */
  reconcileInterval: string;
  /** Largest request body the API reads. */
  maxBodyBytes: number;
  /** Requests per bearer token; undefined when turned off. */
  rateLimit?: RateLimit;
  /** Directories local charts of deployments must lie under. */
  chartRoots: string[];
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

/** `1048576`, `512kb` or `2mb`. */
function bytes(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const match = /^(\d+)(kb|mb)?$/i.exec(value);
  const n = match ? Number(match[1]) * (match[2] ? (match[2].toLowerCase() === 'kb' ? 1024 : 1024 * 1024) : 1) : NaN;
  if (!(n >= 1)) throw new Error(`${name} must be a size like 1048576, 512kb or 1mb, got '${value}'`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.FLOTILLA_DATA_DIR ?? join(repoRoot, '.flotilla'));
  const rateLimit = parseRateLimit(env.FLOTILLA_RATE_LIMIT || '20/1', env.FLOTILLA_RATE_BURST || '100');
  return {
    dataDir,
    host: env.HOST ?? '127.0.0.1',
    port: port(env.PORT, 8080, 'PORT'),
    ...(env.TEMPORAL_ADDRESS ? { temporalAddress: env.TEMPORAL_ADDRESS } : {}),
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    temporalPort: port(env.TEMPORAL_PORT, 7233, 'TEMPORAL_PORT'),
    uiPort: port(env.TEMPORAL_UI_PORT, 8233, 'TEMPORAL_UI_PORT'),
    ...(env.FLOTILLA_UI_URL ? { uiUrl: env.FLOTILLA_UI_URL } : {}),
    ...(env.FLOTILLA_API_TOKENS ? { apiTokens: env.FLOTILLA_API_TOKENS } : {}),
    reconcileInterval: duration(env.FLOTILLA_RECONCILE_INTERVAL, '5m', 'FLOTILLA_RECONCILE_INTERVAL'),
    maxBodyBytes: bytes(env.FLOTILLA_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 'FLOTILLA_MAX_BODY_BYTES'),
    ...(rateLimit ? { rateLimit } : {}),
    chartRoots: (env.FLOTILLA_CHART_ROOTS ?? join(dataDir, 'charts')).split(':').filter(Boolean).map((root) => resolve(root)),
  };
}

export function kwokWorkdir(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'kwok');
}
