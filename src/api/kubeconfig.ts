import type { ClusterView } from '../domain/cluster-state.js';
import type { ProviderName } from '../domain/cluster.js';
import { HttpError } from './errors.js';

/** Where the API gets a cluster's kubeconfig: from the provider, at request time, never from workflow history. */
export interface KubeconfigSource {
  kubeconfig(cluster: Pick<ClusterView, 'org' | 'name' | 'provider'>): Promise<string>;
}

export function kubeconfigSource(byProvider: Partial<Record<ProviderName, (ref: { org: string; name: string }) => Promise<string>>>): KubeconfigSource {
  return {
    kubeconfig: async (cluster) => {
      const source = byProvider[cluster.provider];
      if (!source) throw new HttpError(501, 'not_implemented', `provider ${cluster.provider} does not serve kubeconfigs`);
      return source(cluster);
    },
  };
}
