import type { ClusterRef, SecretType } from '../../domain/cluster.js';
import type { SecretValuesByType } from '../../domain/secrets.js';
import type { SecretStore } from './store.js';

/**
 * How a provider adapter gets the credentials a cluster names (`secretId`),
 * inside an activity. `undefined` means the cluster names none: use the SDK's
 * default credential chain.
 */
export type CredentialResolver = <T extends SecretType>(ref: ClusterRef, type: T) => Promise<SecretValuesByType[T] | undefined>;

export function credentialsFrom(store: SecretStore): CredentialResolver {
  return async (ref, type) => (ref.secretId ? store.values(ref.org, ref.secretId, type) : undefined);
}
