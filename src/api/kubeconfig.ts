import { ApplicationFailure } from '@temporalio/common';
import type { ClusterRef } from '../domain/cluster.js';
import { FailureType } from '../domain/problems.js';
import type { KubeconfigFetchers } from '../activities/provider.js';
import { HttpError } from './errors.js';

/** Where the API gets a cluster's kubeconfig: from the provider, at request time, never from workflow history. */
export interface KubeconfigSource {
  /** To connect with (live reads): a tenant's goes through the egress guard. */
  kubeconfig(cluster: ClusterRef): Promise<string>;
  /** To hand to the user. */
  download(cluster: ClusterRef): Promise<string>;
}

export function kubeconfigSource(byProvider: KubeconfigFetchers, downloads: KubeconfigFetchers = byProvider): KubeconfigSource {
  const from = (fetchers: KubeconfigFetchers) => async ({ org, name, provider, region, kubernetesVersion, secretId }: ClusterRef) => {
    const fetch = fetchers[provider];
    if (!fetch) throw new HttpError(501, 'not_implemented', `provider ${provider} does not serve kubeconfigs`);
    try {
      return await fetch({ org, name, provider, region, kubernetesVersion, ...(secretId ? { secretId } : {}) });
    } catch (err) {
      // A kubeconfig stored before today's rules: say so, and use nothing of it.
      if (err instanceof ApplicationFailure && err.type === FailureType.kubeconfigRefused) throw new HttpError(409, 'kubeconfig_refused', err.message);
      throw err;
    }
  };
  return { kubeconfig: from(byProvider), download: from(downloads) };
}
