import type { ClusterRef } from '../../domain/cluster.js';
import { checkedRecord, targetStatus, type DesiredRelease } from '../../domain/deployment.js';
import type { TargetRecord } from '../../domain/groups.js';
import type { Helm, ReleaseRef } from './helm.js';
import { driftReason } from '../../domain/live-drift.js';

/**
 * A target's live state of a release, compared with what it should be (the helm activities' check,
 * and the API's live reads): Helm's record first, then, when that is as it should be, the release's
 * live objects against the manifest Helm applied (a `kubectl edit`, a deleted object).
 */
export async function checkTarget(
  helm: Helm,
  kubeconfig: string,
  target: Pick<ClusterRef, 'name' | 'provider'>,
  release: ReleaseRef,
  desired: DesiredRelease,
  signal?: AbortSignal,
): Promise<TargetRecord> {
  const observed = await helm.status(kubeconfig, release, signal);
  let status = targetStatus(observed, desired);
  if (status.status === 'DEPLOYED' && observed?.manifest) {
    const drifts = await helm.liveDrift(kubeconfig, observed.manifest, release.namespace, signal);
    if (drifts.length) status = { status: 'STALE', stale: true, reason: driftReason(drifts) };
  }
  return checkedRecord(target, status, observed, new Date().toISOString());
}
