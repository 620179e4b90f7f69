import { ApplicationFailure } from '@temporalio/activity';
import type { TenantKubeconfigs } from '../../kubeconfig/tenant.js';
import type { ClusterRef } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import { coreApi, probeVersion } from '../../kube/client.js';
import type { ProviderActivities } from '../provider.js';
import type { CredentialResolver } from '../../secrets/credentials.js';

/**
 * An existing cluster, known by a kubeconfig secret: nothing to provision or
 * delete. "Creating" it checks that its API server answers; "deleting" it
 * forgets it and leaves the cluster alone. Its kubeconfig is a tenant's: every
 * use checks it against the rules and connects through the egress guard.
 */
export class ImportedProvider {
  constructor(
    private readonly credentials: CredentialResolver,
    private readonly tenant: TenantKubeconfigs,
  ) {}

  /** The kubeconfig as the tenant gave it (for download), if the rules still allow it. */
  async storedKubeconfig(ref: ClusterRef): Promise<string> {
    const secret = await this.credentials(ref, 'kubeconfig');
    if (!secret) throw ApplicationFailure.nonRetryable('an imported cluster needs a kubeconfig secret', FailureType.nonRetryableCloud);
    return this.tenant.checked(secret.kubeconfig);
  }

  /** The kubeconfig to connect with: through the egress guard. */
  async kubeconfig(ref: ClusterRef): Promise<string> {
    return this.tenant.forConnection(await this.storedKubeconfig(ref));
  }

  activities(): ProviderActivities {
    const nothing = async () => {};
    const readOnly = async (): Promise<number> => {
      throw ApplicationFailure.nonRetryable('the node pools of an imported cluster are read-only', FailureType.nonRetryableCloud);
    };
    // The entity refuses an upgrade of an imported cluster before it reaches here.
    const notOurs = async (): Promise<never> => {
      throw ApplicationFailure.nonRetryable("an imported cluster's version is its owner's to change", FailureType.nonRetryableCloud);
    };
    return {
      ensureNetwork: nothing,
      createControlPlane: async (ref) => {
        await this.kubeconfig(ref);
      },
      // Reachable means: the version and the nodes can be read.
      awaitControlPlane: async (ref) => {
        const kubeconfig = await this.kubeconfig(ref);
        await probeVersion(kubeconfig);
        await coreApi(kubeconfig).listNode({ limit: 1 });
      },
      createNodePool: readOnly,
      updateNodePool: readOnly,
      deleteNodePool: nothing,
      deleteControlPlane: nothing,
      deleteNetwork: nothing,
      upgradeControlPlane: notOurs,
      upgradeNodePool: notOurs,
    };
  }
}
