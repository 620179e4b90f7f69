import { Connection, type Client } from '@temporalio/client';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { buildAdapters, temporalClient, type Adapters } from '../composition.js';
import { loadConfig, type Config } from '../config.js';
import { codecKeys, openCodec, type AesGcmCodec } from '../temporal/codec.js';
import { registerSearchAttributes } from '../temporal/search-attributes.js';
import { toolPaths } from '../toolchain.js';
import { createApp, type ApiObservability } from './app.js';
import { answerClientErrors } from './errors.js';
import { ApiMetrics } from '../observability/api-metrics.js';
import { createLogger } from '../observability/logger.js';
import { startTracing, tracingClientInterceptors } from '../observability/tracing.js';
import { TokenTable } from './auth.js';
import { uiOrigins } from './routes/codec.js';
import { deriveCursorKeys } from './pagination.js';
import { requireNodeMajor } from '../node-version.js';

/** Serves the API on the configured host and port. */
export function startApi(options: {
  config: Config;
  client: Client;
  tokens: string;
  uiUrl?: string;
  adapters: Adapters;
  codec: AesGcmCodec;
  observability: ApiObservability;
}): Promise<Server> {
  const { config, client, tokens, uiUrl, adapters, codec, observability } = options;
  const app = createApp({
    observability,
    codec: { codec, origins: uiOrigins(uiUrl), uiToken: codec.uiToken() },
    // The same keys `codec` was opened with (main.ts, main below): every replica's.
    cursorKeys: deriveCursorKeys(codecKeys(config.dataDir, config.codecKeys)),
    client,
    tokens: new TokenTable(tokens),
    links: { namespace: config.namespace, ...(uiUrl ? { uiUrl } : {}) },
    clusterAccess: adapters.clusterAccess,
    egress: adapters.access.egress,
    tenantKubeconfigs: adapters.access.kubeconfigs,
    secrets: adapters.secrets,
    maxBodyBytes: config.maxBodyBytes,
    ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
    listCacheMs: config.listCacheMs,
    acceptCapacity: config.acceptCapacity,
    chartRoots: config.chartRoots,
  });
  return new Promise<Server>((resolve, reject) => {
    const server = answerClientErrors(app.listen(config.port, config.host, () => resolve(server)));
    server.once('error', reject);
  });
}

/** The API on its own (the production topology): `tsx src/api/server.ts` with TEMPORAL_ADDRESS and FLOTILLA_API_TOKENS. */
async function main(): Promise<void> {
  requireNodeMajor('The API');
  const config = loadConfig();
  if (!config.temporal) throw new Error('TEMPORAL_ADDRESS (or a Temporal client profile: TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) is required');
  if (!config.apiTokens) throw new Error('FLOTILLA_API_TOKENS is required (token:org,token:org)');
  const connection = await Connection.connect(config.temporal.connection);
  await registerSearchAttributes(connection, config.namespace);
  const codec = openCodec(config.dataDir, config.codecKeys);
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  const metrics = new ApiMetrics();
  const tracing = startTracing('flotilla-api');
  const client = temporalClient(connection, config.namespace, codec, [metrics.clientInterceptor(), ...tracingClientInterceptors(tracing)]);
  const adapters = buildAdapters(config, toolPaths(), config.allowedEndpoints ?? '');
  const observability = { logger, metrics, ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}) };
  const server = await startApi({ config, client, tokens: config.apiTokens, ...(config.uiUrl ? { uiUrl: config.uiUrl } : {}), adapters, codec, observability });
  logger.info({ url: `http://${config.host}:${config.port}`, tracing: tracing !== undefined }, 'API listening');
  const stop = () => server.close(() => void Promise.all([connection.close(), tracing?.shutdown()]).then(() => process.exit(0)));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    createLogger({ level: 'error' }).fatal({ err }, 'API failed to start');
    process.exit(1);
  });
}
