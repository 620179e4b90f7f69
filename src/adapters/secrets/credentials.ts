import type { ClusterRef, SecretType } from '../../domain/cluster.js';
import type { SecretValuesByType } from '../../domain/secrets.js';
import type { SecretStore } from './store.js';

/**
 * How a provider adapter gets the credentials a cluster (or a read such as
 * GET /kubernetes-versions) names (`secretId`, or another secret of its org the
 * cluster names, such as its proxy's CA), inside an activity. `undefined` means
 * it names none: for `secretId`, use the SDK's default credential chain.
 */
export type CredentialResolver = <T extends SecretType>(ref: Pick<ClusterRef, 'org' | 'secretId'>, type: T, secretId?: string) => Promise<SecretValuesByType[T] | undefined>;

export function credentialsFrom(store: SecretStore): CredentialResolver {
  return async (ref, type, secretId = ref.secretId) => (secretId ? store.values(ref.org, secretId, type) : undefined);
}
