import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createProviders, type Providers } from '../activities/providers/index.js';
import { tenantAccess, type TenantAccess } from '../adapters/tenant-access.js';
import { openSecretStore, type SecretStore } from '../activities/secrets/store.js';
import { kwokWorkdir, loadConfig, type Config } from '../config.js';
import { codecKeys, flotillaDataConverter, openCodec, type AesGcmCodec } from '../temporal/codec.js';
import { registerSearchAttributes } from '../temporal/search-attributes.js';
import { toolPaths } from '../toolchain.js';
import { join } from 'node:path';
import { Helm } from '../activities/helm/helm.js';
import { createApp, type ApiObservability } from './app.js';
import { answerClientErrors } from './errors.js';
import { ApiMetrics } from '../observability/api-metrics.js';
import { createLogger } from '../observability/logger.js';
import { startTracing, tracingClientInterceptors } from '../observability/tracing.js';
import { TokenTable } from './auth.js';
import { kubeconfigSource } from './kubeconfig.js';
import { uiOrigins } from './routes/codec.js';
import { deriveCursorKeys } from './pagination.js';
import { requireNodeMajor } from '../node-version.js';

/** Serves the API on the configured host and port. */
export function startApi(options: {
  config: Config;
  client: Client;
  tokens: string;
  uiUrl?: string;
  providers: Providers;
  /** How this process reaches what tenants name: the same one its providers were built with. */
  access: TenantAccess;
  secrets: SecretStore;
  codec: AesGcmCodec;
  observability: ApiObservability;
}): Promise<Server> {
  const { config, client, tokens, uiUrl, providers, access, secrets, codec, observability } = options;
  const app = createApp({
    observability,
    codec: { codec, origins: uiOrigins(uiUrl), uiToken: codec.uiToken() },
    // The same keys `codec` was opened with (main.ts, main below): every replica's.
    cursorKeys: deriveCursorKeys(codecKeys(config.dataDir, config.codecKeys)),
    client,
    tokens: new TokenTable(tokens),
    links: { namespace: config.namespace, ...(uiUrl ? { uiUrl } : {}) },
    kubeconfigs: kubeconfigSource(providers.kubeconfigs, providers.downloads),
    egress: access.egress,
    tenantKubeconfigs: access.kubeconfigs,
    secrets,
    helm: new Helm(toolPaths().helm, join(config.dataDir, 'helm'), access.egress, config.chartRoots),
    maxBodyBytes: config.maxBodyBytes,
    ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
    listCacheMs: config.listCacheMs,
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
  const client = new Client({
    connection,
    namespace: config.namespace,
    dataConverter: flotillaDataConverter(codec),
    interceptors: { workflow: [metrics.clientInterceptor(), ...tracingClientInterceptors(tracing)] },
  });
  const secrets = openSecretStore(config.dataDir);
  const access = tenantAccess(config.allowedEndpoints ?? '', config.kubeconfigRules);
  const providers = createProviders({ tools: toolPaths(), kwokWorkdir: kwokWorkdir(config), secrets, tenantKubeconfigs: access.kubeconfigs });
  const observability = { logger, metrics, ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}) };
  const server = await startApi({ config, client, tokens: config.apiTokens, ...(config.uiUrl ? { uiUrl: config.uiUrl } : {}), providers, access, secrets, codec, observability });
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
