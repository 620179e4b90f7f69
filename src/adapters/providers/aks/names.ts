import { createHash } from 'node:crypto';
import type { ClusterRef } from '../../../domain/cluster.js';

/**
 * Azure names for a Flotilla cluster. Every name is a pure function of the
 * cluster's reference, so a retried activity (or another worker) finds what an
 * earlier attempt made without storing anything.
 */

/** The tag that marks a resource group as Flotilla's own: only those are deleted with the cluster. */
export const CREATED_BY_TAG = { key: 'createdBy', value: 'flotilla' } as const;

/** The node label that names the Flotilla pool, since an agent pool's own name may be a shortened form of it. */
export const POOL_LABEL = 'flotilla.io/nodepool';

/** Resource group names: 1-90 of letters, digits, '-', '_', '.', '(', ')'; not ending in '.'. */
const RESOURCE_GROUP_MAX = 90;

export function resourceGroupName(ref: Pick<ClusterRef, 'org' | 'name'>): string {
  const name = `flotilla-${ref.org}-${ref.name}`.replace(/[^-\w.()]/g, '-');
  const fitted = name.length <= RESOURCE_GROUP_MAX ? name : withHash(name, RESOURCE_GROUP_MAX, `${ref.org}/${ref.name}`);
  return fitted.endsWith('.') ? `${fitted.slice(0, -1)}-` : fitted;
}

/** Cluster names are DNS labels already, which AKS accepts (`^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$`). */
export function managedClusterName(ref: Pick<ClusterRef, 'name'>): string {
  return ref.name;
}

/** The DNS prefix of the API server's FQDN: 1-54 letters, digits and '-', starting and ending alphanumeric. */
export function dnsPrefix(ref: Pick<ClusterRef, 'name'>): string {
  return ref.name.slice(0, 54).replace(/-+$/, '');
}

/** The system pool that AKS needs at creation; Flotilla's own pools are all `User` pools beside it. */
export const SYSTEM_POOL = { name: 'system', vmSize: 'Standard_D2s_v3', count: 1 } as const;

/**
 * AKS pool names are `^[a-z][a-z0-9]{0,11}$`, Flotilla's are DNS labels up to
 * 63 characters. A name that fits is used as is; any other (and `system`,
 * taken by the system pool) becomes its alphanumerics cut short plus a hash of
 * the full name, so two Flotilla pools never share an agent pool.
 */
export function agentPoolName(poolName: string): string {
  if (/^[a-z][a-z0-9]{0,11}$/.test(poolName) && poolName !== SYSTEM_POOL.name) return poolName;
  const letters = poolName.toLowerCase().replace(/[^a-z0-9]/g, '');
  const start = /^[a-z]/.test(letters) ? letters : `p${letters}`;
  return withHash(start, 12, poolName);
}

function withHash(value: string, max: number, seed: string): string {
  const hash = createHash('sha256').update(seed).digest('hex').slice(0, 5);
  return `${value.slice(0, max - hash.length)}${hash}`;
}
