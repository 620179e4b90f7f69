import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential, DefaultAzureCredential, type ClientSecretCredentialOptions, type TokenCredential } from '@azure/identity';
import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import type { ClusterRef } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import type { CredentialResolver } from '../../secrets/credentials.js';

/** The two ARM clients an AKS cluster needs, for the subscription its credentials name. */
export interface AzureClients {
  subscriptionId: string;
  containers: ContainerServiceClient;
  resources: ResourceManagementClient;
}

export interface AzureClientOptions {
  /** ARM endpoint; default https://management.azure.com (tests: a local fake). */
  endpoint?: string | undefined;
  /** Used instead of the cluster's secret or the default chain (tests: a static token). */
  tokenCredential?: TokenCredential | undefined;
  /**
   * Microsoft Entra authority host for a cluster's client secret; default
   * AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com. One given
   * here is trusted as it is, without asking Microsoft's instance discovery
   * about it (tests: a local fake).
   */
  authorityHost?: string | undefined;
  /** Agent for the TLS connections to ARM and to the authority host (tests: one that trusts the fakes' certificate). */
  httpsAgent?: Agent | undefined;
  /** AKS api-version; default the SDK's own. */
  apiVersion?: string | undefined;
  /**
   * Retries inside one activity attempt (the SDK honours Retry-After on 429).
   * Temporal retries the activity after that; default the SDK's (3).
   */
  maxRetries?: number | undefined;
}

/**
 * Builds clients per credential, once: a client keeps its token cache, and a
 * new one per call would fetch a token per call. Keyed by a digest of the
 * secret, so a rotated secret gets new clients.
 */
export class AzureClientFactory {
  private readonly cache = new Map<string, AzureClients>();
  private defaultCredential: TokenCredential | undefined;

  constructor(
    private readonly credentials: CredentialResolver,
    private readonly options: AzureClientOptions = {},
  ) {}

  forCluster(ref: ClusterRef): Promise<AzureClients> {
    return this.forAccount(ref, `cluster ${ref.org}/${ref.name}`);
  }

  /** The clients of the org's azure secret `secretId` names; `who` names the asker in the refusal when there is no subscription. */
  async forAccount(account: Pick<ClusterRef, 'org' | 'secretId'>, who: string): Promise<AzureClients> {
    const secret = await this.credentials(account, 'azure');
    const subscriptionId = secret?.subscriptionId ?? process.env.AZURE_SUBSCRIPTION_ID;
    if (!subscriptionId) {
      throw ApplicationFailure.create({
        message: `${who} names no azure secret with a subscriptionId, and AZURE_SUBSCRIPTION_ID is not set`,
        type: FailureType.nonRetryableCloud,
        nonRetryable: true,
      });
    }
    const key = createHash('sha256')
      .update(JSON.stringify([subscriptionId, secret?.tenantId, secret?.clientId, secret?.clientSecret]))
      .digest('hex');
    let clients = this.cache.get(key);
    if (!clients) {
      const credential =
        this.options.tokenCredential ??
        (secret
          ? new ClientSecretCredential(secret.tenantId, secret.clientId, secret.clientSecret, this.identityOptions())
          : (this.defaultCredential ??= new DefaultAzureCredential()));
      clients = this.create(credential, subscriptionId);
      this.cache.set(key, clients);
    }
    return clients;
  }

  private identityOptions(): ClientSecretCredentialOptions {
    const { authorityHost, httpsAgent } = this.options;
    return { ...(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {}), ...(httpsAgent ? { agent: httpsAgent } : {}) };
  }

  private create(credential: TokenCredential, subscriptionId: string): AzureClients {
    const { endpoint, httpsAgent, apiVersion, maxRetries } = this.options;
    const common = {
      ...(endpoint ? { endpoint } : {}),
      ...(httpsAgent ? { agent: httpsAgent } : {}),
      ...(maxRetries !== undefined ? { retryOptions: { maxRetries } } : {}),
    };
    const scope = endpoint ? { credentials: { scopes: [`${endpoint}/.default`] } } : {};
    return {
      subscriptionId,
      // Both are modular clients: their token scope is management.azure.com's whatever the endpoint, so another ARM endpoint's is asked for by name.
      containers: new ContainerServiceClient(credential, subscriptionId, { ...common, ...scope, ...(apiVersion ? { apiVersion } : {}) }),
      resources: new ResourceManagementClient(credential, subscriptionId, { ...common, ...scope }),
    };
  }
}
