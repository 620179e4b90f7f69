import container from '@google-cloud/container';
import { JWT } from 'google-auth-library';
import { createHash } from 'node:crypto';
import type { ClusterRef } from '../../../domain/cluster.js';
import type { CredentialResolver } from '../../secrets/credentials.js';
import { rejected } from './errors.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export type ClusterManagerClient = InstanceType<typeof container.v1.ClusterManagerClient>;
type ClientOptions = NonNullable<ConstructorParameters<typeof container.v1.ClusterManagerClient>[0]>;

/** An auth client the SDK uses instead of Google's (tests: one that attempts no Google auth). */
export type GkeAuthClient = NonNullable<ClientOptions['authClient']>;

export interface GkeClientOptions {
  /** Host of the GKE API; default container.googleapis.com (tests: 127.0.0.1). */
  apiEndpoint?: string | undefined;
  port?: number | undefined;
  protocol?: 'http' | 'https' | undefined;
  /** Used instead of the cluster's key or Application Default Credentials. */
  authClient?: GkeAuthClient | undefined;
}

export interface GkeClient {
  client: ClusterManagerClient;
  project: string;
}

/**
 * Builds one ClusterManagerClient per credential and reuses it: a client keeps
 * its access token until it expires. Keyed by a digest of the key, so a
 * rotated key gets a new client.
 *
 * The SDK speaks REST (`fallback: true`): HTTP/JSON as GKE's discovery
 * document defines it, the surface the contract test checks, and no gRPC
 * channel to keep open per credential.
 */
export class GkeClientFactory {
  private readonly cache = new Map<string, ClusterManagerClient>();

  constructor(
    private readonly credentials: CredentialResolver,
    private readonly options: GkeClientOptions = {},
  ) {}

  forCluster(ref: ClusterRef): Promise<GkeClient> {
    return this.forAccount(ref, `cluster ${ref.org}/${ref.name}`);
  }

  /** The client of the org's gcp secret `secretId` names; `who` names the asker in the refusal when there is no project. */
  async forAccount(account: Pick<ClusterRef, 'org' | 'secretId'>, who: string): Promise<GkeClient> {
    const key = (await this.credentials(account, 'gcp'))?.serviceAccountKey;
    // Without a key: Application Default Credentials, whose project is not always known, so it is named.
    const project = key?.project_id ?? process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT;
    if (!project) {
      throw rejected(`${who} names no gcp secret with a project_id, and GOOGLE_CLOUD_PROJECT is not set`);
    }
    const cacheKey = createHash('sha256')
      .update(JSON.stringify([project, key?.client_email, key?.private_key]))
      .digest('hex');
    let client = this.cache.get(cacheKey);
    if (!client) {
      const { apiEndpoint, port, protocol, authClient } = this.options;
      client = new container.v1.ClusterManagerClient({
        fallback: true,
        projectId: project,
        // The key's account and private key only, through the JWT constructor: a credentials object would
        // let the auth library read any credential type, including external accounts that read files or
        // run commands. The SDK signs its own token with it (useJWTAccessWithScope), as before.
        ...(key && !authClient ? { authClient: new JWT({ email: key.client_email, key: key.private_key, scopes: [CLOUD_PLATFORM] }) } : {}),
        ...(authClient ? { authClient } : {}),
        ...(apiEndpoint ? { apiEndpoint } : {}),
        ...(port ? { port } : {}),
        ...(protocol ? { protocol } : {}),
      });
      this.cache.set(cacheKey, client);
    }
    return { client, project };
  }

  async close(): Promise<void> {
    const clients = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
