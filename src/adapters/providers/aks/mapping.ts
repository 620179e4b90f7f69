import type { AgentPool, ManagedCluster } from '@azure/arm-containerservice';
import type { ClusterRef, NodePoolSpec, Taint } from '../../../domain/cluster.js';
import type { ProxyCredentials } from '../../../domain/secrets.js';
import { CREATED_BY_TAG, dnsPrefix, POOL_LABEL, SYSTEM_POOL } from './names.js';

/** What Flotilla sends to AKS: its specs as ARM bodies, and how to tell whether AKS already has them. */

/** Tags on everything Flotilla makes, so a person in the portal can tell whose it is. */
export function flotillaTags(ref: Pick<ClusterRef, 'org' | 'name'>): Record<string, string> {
  return { [CREATED_BY_TAG.key]: CREATED_BY_TAG.value, 'flotilla-org': ref.org, 'flotilla-cluster': ref.name };
}

/**
 * The managed cluster with only its system pool: createControlPlane gets the
 * cluster's reference, not its pools, and every Flotilla pool is then an agent
 * pool of its own (mode User), created, scaled and deleted like the others.
 * `secrets` are what the proxy's secrets hold, read by the activity.
 */
export function managedClusterBody(ref: ClusterRef, secrets: ProxySecrets = {}): ManagedCluster {
  const { privateEndpoint, httpProxy: proxy } = ref.network ?? {};
  const { trustedCa, credentials } = secrets;
  return {
    ...(privateEndpoint ? { apiServerAccessProfile: { enablePrivateCluster: true } } : {}),
    ...(proxy
      ? {
          httpProxyConfig: {
            ...(proxy.httpProxy ? { httpProxy: withCredentials(proxy.httpProxy, credentials) } : {}),
            ...(proxy.httpsProxy ? { httpsProxy: withCredentials(proxy.httpsProxy, credentials) } : {}),
            ...(proxy.noProxy ? { noProxy: proxy.noProxy } : {}),
            // AKS takes the certificate base64-encoded.
            ...(trustedCa ? { trustedCa: Buffer.from(trustedCa).toString('base64') } : {}),
          },
        }
      : {}),
    location: ref.region,
    tags: flotillaTags(ref),
    identity: { type: 'SystemAssigned' },
    kubernetesVersion: ref.kubernetesVersion,
    dnsPrefix: dnsPrefix(ref),
    agentPoolProfiles: [{ name: SYSTEM_POOL.name, count: SYSTEM_POOL.count, vmSize: SYSTEM_POOL.vmSize, mode: 'System', osType: 'Linux' }],
  };
}

/** What a cluster's proxy secrets hold: the CA's PEM (`proxy-ca`) and the proxy's user (`proxy-credentials`). */
export interface ProxySecrets {
  trustedCa?: string;
  credentials?: ProxyCredentials;
}

/**
 * AKS takes a proxy's user only inside its URLs, as `scheme://user:password@host:port`, each
 * percent-encoded. The URL is put together as text so that it stays the tenant's otherwise (no
 * trailing `/` added); the API refused URLs that carry credentials of their own.
 */
export function withCredentials(url: string, credentials: ProxyCredentials | undefined): string {
  if (!credentials) return url;
  const user = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`;
  return url.replace(/^(https?:\/\/)/i, `$1${user}`);
}

/** AKS writes taints as `key=value:Effect` (or `key:Effect` without a value). */
export function taintString(taint: Taint): string {
  return `${taint.key}${taint.value !== undefined ? `=${taint.value}` : ''}:${taint.effect}`;
}

/**
 * The agent pool for a Flotilla pool. `existingCount` is the pool's node count
 * now: with autoscaling on, the autoscaler owns the count, so an update keeps
 * it (within the new bounds) instead of resizing the pool to the initial count.
 */
export function agentPoolBody(pool: NodePoolSpec, existingCount?: number): AgentPool {
  const autoscaling = pool.autoscaling === true;
  const body: AgentPool = {
    vmSize: pool.instanceType,
    mode: 'User',
    osType: 'Linux',
    count: autoscaling ? clamp(existingCount ?? pool.count, pool.minCount ?? 0, pool.maxCount ?? Number.MAX_SAFE_INTEGER) : pool.count,
    enableAutoScaling: autoscaling,
    nodeLabels: { ...pool.labels, [POOL_LABEL]: pool.name },
    nodeTaints: (pool.taints ?? []).map(taintString),
  };
  if (autoscaling) {
    body.minCount = pool.minCount ?? pool.count;
    body.maxCount = pool.maxCount ?? pool.count;
  }
  if (pool.spot) {
    body.scaleSetPriority = 'Spot';
    // Delete (not Deallocate) so evicted nodes free their quota; -1 = pay up to the on-demand price.
    body.scaleSetEvictionPolicy = 'Delete';
    body.spotMaxPrice = -1;
  }
  return body;
}

/** True when the pool AKS has already is the one Flotilla wants: no PUT needed. */
export function agentPoolMatches(existing: AgentPool, pool: NodePoolSpec): boolean {
  const wanted = agentPoolBody(pool, existing.count);
  const sameCount = wanted.enableAutoScaling ? true : existing.count === wanted.count;
  return (
    sameCount &&
    existing.vmSize === wanted.vmSize &&
    (existing.enableAutoScaling ?? false) === wanted.enableAutoScaling &&
    (!wanted.enableAutoScaling || (existing.minCount === wanted.minCount && existing.maxCount === wanted.maxCount)) &&
    sameRecord(existing.nodeLabels ?? {}, wanted.nodeLabels ?? {}) &&
    sameSet(existing.nodeTaints ?? [], wanted.nodeTaints ?? [])
  );
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v) => b.includes(v));
}
