import type { TenantKubeconfigs } from '../kubeconfig/tenant.js';
import type { ProviderName } from '../../domain/cluster.js';
import type { ToolPaths } from '../../toolchain.js';
import type { KubeconfigFetchers, ProviderActivities } from './provider.js';
import { credentialsFrom } from '../secrets/credentials.js';
import type { SecretStore } from '../secrets/store.js';
import { AksProvider } from './aks/index.js';
import { EksProvider } from './eks/index.js';
import { GkeProvider } from './gke/index.js';
import { ImportedProvider } from './imported/index.js';
import { KwokProvider } from './kwok/index.js';
import { SimCloud } from './sim/index.js';
import { remoteSimActivities } from './sim/remote.js';

export interface Providers {
  activities: Partial<Record<ProviderName, ProviderActivities>>;
  /** Kubeconfigs to connect with. */
  kubeconfigs: KubeconfigFetchers;
  /** Kubeconfigs to hand to a user: an imported cluster's as its tenant gave it, not routed through this process's guard. */
  downloads: KubeconfigFetchers;
  /** The KWOK provider, whose local control planes are started and stopped with Flotilla. */
  kwok: KwokProvider;
}

/**
 * Every provider adapter, built from the environment: the one place that
 * knows them all. A worker serves the activities of those it is given.
 */
export function createProviders(deps: { tools: ToolPaths; kwokWorkdir: string; secrets: SecretStore; tenantKubeconfigs: TenantKubeconfigs; env?: NodeJS.ProcessEnv }): Providers {
  const env = deps.env ?? process.env;
  const credentials = credentialsFrom(deps.secrets);
  const kwok = new KwokProvider(deps.tools, deps.kwokWorkdir);
  // FLOTILLA_SIM_CLOUD: a sim cloud served elsewhere (chaos tests), which outlives this process.
  const sim = env.FLOTILLA_SIM_CLOUD
    ? remoteSimActivities(env.FLOTILLA_SIM_CLOUD)
    : new SimCloud({ latencyMs: Number(env.FLOTILLA_SIM_LATENCY_MS ?? 0), failureRate: Number(env.FLOTILLA_SIM_FAILURE_RATE ?? 0) }).activities();
  const eks = new EksProvider({ credentials });
  // The api-version the contract tests check against the official AKS swagger.
  const aks = new AksProvider({ credentials, apiVersion: '2025-07-01' });
  const gke = new GkeProvider({ credentials });
  const imported = new ImportedProvider(credentials, deps.tenantKubeconfigs);
  const kubeconfigs: KubeconfigFetchers = {
    kwok: (ref) => kwok.kubeconfig(ref),
    eks: (ref) => eks.kubeconfig(ref),
    aks: (ref) => aks.kubeconfig(ref),
    gke: (ref) => gke.kubeconfig(ref),
    imported: (ref) => imported.kubeconfig(ref),
  };
  return {
    kwok,
    activities: {
      kwok: kwok.activities(),
      sim,
      eks: eks.activities(),
      aks: aks.activities(),
      gke: gke.activities(),
      imported: imported.activities(),
    },
    kubeconfigs,
    downloads: { ...kubeconfigs, imported: (ref) => imported.storedKubeconfig(ref) },
  };
}
