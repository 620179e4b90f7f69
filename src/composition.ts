// The composition root: the one place that builds the Temporal client and the adapters (secret store,
// tenant access, providers, helm, the API's cluster access) for main.ts, worker.ts and api/server.ts.
import { Client, type Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { join } from 'node:path';
import { ClusterAccess } from './adapters/cluster-access.js';
import { Helm } from './adapters/helm/helm.js';
import { createProviders, type Providers } from './adapters/providers/index.js';
import { openSecretStore, type SecretStore } from './adapters/secrets/store.js';
import { tenantAccess, type TenantAccess } from './adapters/tenant-access.js';
import { kwokWorkdir, type Config } from './config.js';
import { flotillaDataConverter } from './temporal/codec.js';
import type { ToolPaths } from './toolchain.js';

/** A client whose every payload is encrypted with `codec` (docs/architecture.md, decision 6). */
export function temporalClient(connection: Connection, namespace: string, codec: PayloadCodec, interceptors: WorkflowClientInterceptor[]): Client {
  return new Client({ connection, namespace, dataConverter: flotillaDataConverter(codec), interceptors: { workflow: interceptors } });
}

/** Everything that reaches outside the process, built once per process from its configuration. */
export interface Adapters {
  secrets: SecretStore;
  /** How this process reaches what tenants name; the providers and helm are built with the same. */
  access: TenantAccess;
  providers: Providers;
  helm: Helm;
  /** What the API reads from clusters itself. */
  clusterAccess: ClusterAccess;
}

/** `allowedEndpoints`: FLOTILLA_ALLOWED_ENDPOINTS, or the program's default when it is unset (npm start: loopback). */
export function buildAdapters(config: Config, tools: ToolPaths, allowedEndpoints: string): Adapters {
  const secrets = openSecretStore(config.dataDir);
  const access = tenantAccess(allowedEndpoints, config.kubeconfigRules);
  const providers = createProviders({ tools, kwokWorkdir: kwokWorkdir(config), secrets, tenantKubeconfigs: access.kubeconfigs });
  const helm = new Helm(tools.helm, join(config.dataDir, 'helm'), access.egress, config.chartRoots);
  return { secrets, access, providers, helm, clusterAccess: new ClusterAccess(helm, providers.kubeconfigs, providers.downloads) };
}
