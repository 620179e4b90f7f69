import type { ClusterRef } from '../domain/cluster.js';
import type { DesiredRelease } from '../domain/deployment.js';
import type { TargetRecord } from '../domain/groups.js';
import { checkTarget } from './helm/check-target.js';
import type { Helm, InstallRequest, ReleaseRef } from './helm/helm.js';
import { coreApi } from './kube/client.js';
import { observedNodePools, type ObservedPool } from './kube/node-pools.js';
import { kubeconfigOf, type KubeconfigFetchers } from './providers/provider.js';

/**
 * Everything the API reads from clusters itself, at request time, rather than
 * through a workflow: named here so it is visible in one place
 * (docs/architecture.md, decision 7). It needs what a kubeconfig needs: the
 * providers' credentials or the stored secrets.
 */
export class ClusterAccess {
  constructor(
    private readonly helm: Helm,
    /** Kubeconfigs to connect with: a tenant's goes through the egress guard. */
    private readonly kubeconfigs: KubeconfigFetchers,
    /** Kubeconfigs to hand to a user: an imported cluster's as its tenant gave it. */
    private readonly downloads: KubeconfigFetchers = kubeconfigs,
  ) {}

  /** The kubeconfig `GET …/kubeconfig` answers with. */
  download(cluster: ClusterRef): Promise<string> {
    return kubeconfigOf(this.downloads, plainRef(cluster));
  }

  /** An imported cluster's pools, read live from its nodes. */
  async observedPools(cluster: ClusterRef): Promise<ObservedPool[]> {
    return observedNodePools(coreApi(await kubeconfigOf(this.kubeconfigs, plainRef(cluster))));
  }

  /** A deployment target's release, read live and compared with what it should be. */
  async releaseStatus(target: ClusterRef, release: ReleaseRef, desired: DesiredRelease): Promise<TargetRecord> {
    return checkTarget(this.helm, await kubeconfigOf(this.kubeconfigs, plainRef(target)), target, release, desired);
  }

  /** Renders the chart with these values (a dry run): installs nothing, reaches no cluster. */
  async dryRun(release: InstallRequest): Promise<void> {
    await this.helm.template(release);
  }
}

/** Only the reference: a view passed in carries more than a provider needs to see. */
function plainRef({ org, name, provider, region, kubernetesVersion, secretId }: ClusterRef): ClusterRef {
  return { org, name, provider, region, kubernetesVersion, ...(secretId ? { secretId } : {}) };
}
