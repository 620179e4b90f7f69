import { releaseKey, valuesDigest, type ClusterReads, type ReleaseRead } from '../../domain/deployment.js';
import { driftReason } from '../../domain/live-drift.js';
import type { ReleaseRef } from './helm.js';
import { liveDriftOfMany } from './live-objects.js';
import { readNamespaceReleases } from './release-record.js';

/**
 * The reconcile pass's read of one cluster: Helm's records of every release asked for, one list
 * per namespace (owner=helm), and the live objects of those deployed, one list per kind and
 * namespace for them all. What checkTarget reads per release, for many releases at once.
 */
export async function readCluster(kubeconfig: string, releases: readonly ReleaseRef[], signal?: AbortSignal): Promise<ClusterReads> {
  const namespaces = [...new Set(releases.map((r) => r.namespace))];
  const records = new Map(await Promise.all(namespaces.map(async (ns) => [ns, await readNamespaceReleases(kubeconfig, ns, signal)] as const)));
  const found = releases.map((ref) => ({ ref, observed: records.get(ref.namespace)!.get(ref.name) }));
  const deployed = found.filter((f) => f.observed?.status === 'deployed' && f.observed.manifest);
  const drifts = await liveDriftOfMany(kubeconfig, deployed.map((f) => ({ manifest: f.observed!.manifest!, namespace: f.ref.namespace })), signal);
  const driftOf = new Map(deployed.map((f, i) => [f.ref, drifts[i]!]));
  return Object.fromEntries(
    found.map(({ ref, observed }): [string, ReleaseRead | null] => {
      if (!observed) return [releaseKey(ref), null];
      const drift = driftOf.get(ref) ?? [];
      return [
        releaseKey(ref),
        { status: observed.status, chartVersion: observed.chartVersion, revision: observed.revision, valuesDigest: valuesDigest(observed.values), ...(drift.length ? { liveDrift: driftReason(drift) } : {}) },
      ];
    }),
  );
}
