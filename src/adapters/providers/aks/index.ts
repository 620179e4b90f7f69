import type { ClusterRef } from '../../../domain/cluster.js';
import type { ProviderActivities } from '../provider.js';
import type { CredentialResolver } from '../../secrets/credentials.js';
import { ensureAgentPool, deleteAgentPool } from './agent-pools.js';
import { AzureClientFactory, type AzureClientOptions } from './clients.js';
import type { AksContext } from './context.js';
import type { ProxySecrets } from './mapping.js';
import { awaitManagedCluster, createManagedCluster, deleteManagedCluster, userKubeconfig } from './control-plane.js';
import { azureActivity } from './operations.js';
import { withoutValues } from './errors.js';
import { deleteResourceGroup, ensureResourceGroup } from './resource-group.js';
import { upgradeAgentPool, upgradeManagedCluster } from './upgrades.js';
import { aksOfferedVersions } from './versions.js';

export { agentPoolName, resourceGroupName, SYSTEM_POOL } from './names.js';

export interface AksProviderOptions extends AzureClientOptions {
  /** The cluster's `azure` secret; none means DefaultAzureCredential and AZURE_SUBSCRIPTION_ID. */
  credentials: CredentialResolver;
  /** Between polls of long-running operations and provisioning states; default 10 s. */
  pollIntervalMs?: number;
}

/**
 * Azure Kubernetes Service: a resource group per cluster (made if absent,
 * deleted only if Flotilla made it), a managed cluster with a small system
 * pool, and an agent pool (mode User) per Flotilla pool.
 *
 * The worker builds it as `new AksProvider({ credentials })`.
 */
export class AksProvider {
  private readonly clients: AzureClientFactory;
  private readonly pollIntervalMs: number;
  private readonly credentials: CredentialResolver;

  constructor(options: AksProviderOptions) {
    const { credentials, pollIntervalMs, ...clientOptions } = options;
    this.credentials = credentials;
    this.clients = new AzureClientFactory(credentials, clientOptions);
    this.pollIntervalMs = pollIntervalMs ?? 10_000;
  }

  /** The cluster's user kubeconfig, from AKS at each call (never stored). */
  async kubeconfig(ref: ClusterRef): Promise<string> {
    return userKubeconfig(await this.clients.forCluster(ref), ref);
  }

  activities(): ProviderActivities {
    return {
      ensureNetwork: (ref) => this.step(ref, (ctx) => ensureResourceGroup(ctx, ref)),
      createControlPlane: (ref) => this.step(ref, (ctx) => this.withProxySecrets(ref, (secrets) => createManagedCluster(ctx, ref, secrets))),
      awaitControlPlane: (ref) => this.step(ref, (ctx) => awaitManagedCluster(ctx, ref)),
      createNodePool: (ref, pool) => this.step(ref, (ctx) => ensureAgentPool(ctx, ref, pool)),
      updateNodePool: (ref, pool) => this.step(ref, (ctx) => ensureAgentPool(ctx, ref, pool)),
      deleteNodePool: (ref, poolName) => this.step(ref, (ctx) => deleteAgentPool(ctx, ref, poolName)),
      deleteControlPlane: (ref) => this.step(ref, (ctx) => deleteManagedCluster(ctx, ref)),
      deleteNetwork: (ref) => this.step(ref, (ctx) => deleteResourceGroup(ctx, ref)),
      upgradeControlPlane: (ref, version) => this.step(ref, (ctx) => this.withProxySecrets(ref, (secrets) => upgradeManagedCluster(ctx, ref, version, secrets))),
      upgradeNodePool: (ref, pool, version, drain) => this.step(ref, (ctx) => upgradeAgentPool(ctx, ref, pool, version, drain)),
      kubernetesVersions: (query) =>
        azureActivity(async () => {
          const { containers } = await this.clients.forAccount(query, `GET /kubernetes-versions of org ${query.org}`);
          return aksOfferedVersions(await containers.managedClusters.listKubernetesVersions(query.region));
        }),
    };
  }

  /**
   * Runs `fn` with the proxy's CA and user, read here so that only their secrets' IDs are in the
   * workflow's history. ARM may quote a refused body's proxy URLs in its error, which becomes the
   * activity's failure (in history): the password is cut out of it first.
   */
  private async withProxySecrets<T>(ref: ClusterRef, fn: (secrets: ProxySecrets) => Promise<T>): Promise<T> {
    const { trustedCaSecretId: caId, credentialsSecretId: userId } = ref.network?.httpProxy ?? {};
    const trustedCa = caId ? (await this.credentials(ref, 'proxy-ca', caId))?.trustedCa : undefined;
    const credentials = userId ? await this.credentials(ref, 'proxy-credentials', userId) : undefined;
    const password = credentials?.password;
    return fn({ ...(trustedCa ? { trustedCa } : {}), ...(credentials ? { credentials } : {}) }).catch((err: unknown) => {
      throw password ? withoutValues(err, [encodeURIComponent(password), password]) : err;
    });
  }

  private step<T>(ref: ClusterRef, fn: (ctx: AksContext) => Promise<T>): Promise<T> {
    return azureActivity(async (ops, signal) => {
      const clients = await this.clients.forCluster(ref);
      return fn({ clients, ops, signal, pollIntervalMs: this.pollIntervalMs });
    });
  }
}
