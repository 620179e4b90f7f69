import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createProviders, type Providers } from '../activities/providers/index.js';
import { openSecretStore, type SecretStore } from '../activities/secrets/store.js';
import { kwokWorkdir, loadConfig, type Config } from '../config.js';
import { registerSearchAttributes } from '../temporal/search-attributes.js';
import { toolPaths } from '../toolchain.js';
import { join } from 'node:path';
import { Helm } from '../activities/helm/helm.js';
import { createApp } from './app.js';
import { TokenTable } from './auth.js';
import { kubeconfigSource } from './kubeconfig.js';

/** Serves the API on the configured host and port. */
export function startApi(options: { config: Config; client: Client; tokens: string; uiUrl?: string; providers: Providers; secrets: SecretStore }): Promise<Server> {
  const { config, client, tokens, uiUrl, providers, secrets } = options;
  const app = createApp({
    client,
    tokens: new TokenTable(tokens),
    links: { namespace: config.namespace, ...(uiUrl ? { uiUrl } : {}) },
    kubeconfigs: kubeconfigSource(providers.kubeconfigs),
    secrets,
    helm: new Helm(toolPaths().helm, join(config.dataDir, 'helm'), config.chartRoots),
    maxBodyBytes: config.maxBodyBytes,
    ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
    chartRoots: config.chartRoots,
  });
  return new Promise<Server>((resolve, reject) => {
    const server = app.listen(config.port, config.host, () => resolve(server));
    server.once('error', reject);
  });
}

/** The API on its own (the production topology): `tsx src/api/server.ts` with TEMPORAL_ADDRESS and FLOTILLA_API_TOKENS. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress) throw new Error('TEMPORAL_ADDRESS is required');
  if (!config.apiTokens) throw new Error('FLOTILLA_API_TOKENS is required (token:org,token:org)');
  const connection = await Connection.connect({ address: config.temporalAddress });
  await registerSearchAttributes(connection, config.namespace);
  const client = new Client({ connection, namespace: config.namespace });
  const secrets = openSecretStore(config.dataDir);
  const providers = createProviders({ tools: toolPaths(), kwokWorkdir: kwokWorkdir(config), secrets });
  const server = await startApi({ config, client, tokens: config.apiTokens, ...(config.uiUrl ? { uiUrl: config.uiUrl } : {}), providers, secrets });
  console.log(`[flotilla] API listening on http://${config.host}:${config.port}`);
  const stop = () => server.close(() => void connection.close().then(() => process.exit(0)));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`[flotilla] API failed to start: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
