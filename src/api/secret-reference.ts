import type { SecretStore } from '../adapters/secrets/store.js';
import type { SecretType } from '../domain/cluster.js';
import type { Problem } from '../domain/problems.js';
import { invalid } from './errors.js';

/** A secret ID a request names: a secret of the caller's org, of the type the use needs, or a 400 naming its field. */
export async function checkSecret(secrets: SecretStore, org: string, id: string, path: Problem['path'], wanted: SecretType | undefined, what: string): Promise<void> {
  const secret = await secrets.get(org, id);
  if (!secret) throw invalid([{ path, message: `no secret '${id}' in this organization` }]);
  if (secret.type !== wanted) throw invalid([{ path, message: `secret '${secret.name}' holds ${secret.type} credentials; ${what} needs ${wanted ?? 'none'}` }]);
}
