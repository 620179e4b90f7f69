import type { ClusterRef } from '../domain/cluster.js';
import type { KubeconfigFetchers } from '../activities/provider.js';
import { HttpError } from './errors.js';

/** Where the API gets a cluster's kubeconfig: from the provider, at request time, never from workflow history. */
export interface KubeconfigSource {
  kubeconfig(cluster: ClusterRef): Promise<string>;
}

export function kubeconfigSource(byProvider: KubeconfigFetchers): KubeconfigSource {
  return {
    kubeconfig: async ({ org, name, provider, region, kubernetesVersion, secretId }) => {
      const fetch = byProvider[provider];
      if (!fetch) throw new HttpError(501, 'not_implemented', `provider ${provider} does not serve kubeconfigs`);
      return fetch({ org, name, provider, region, kubernetesVersion, ...(secretId ? { secretId } : {}) });
    },
  };
}
