import type { ClusterRef } from '../../../domain/cluster.js';

/** Every AWS resource Flotilla makes carries this tag, so it finds (and deletes) only its own. */
export const CLUSTER_TAG = 'flotilla.io/cluster';

export function clusterTag(ref: Pick<ClusterRef, 'org' | 'name'>): string {
  return `${ref.org}/${ref.name}`;
}

/** EKS and IAM names: unique per org and cluster, within AWS's character sets. */
export function eksName(ref: Pick<ClusterRef, 'org' | 'name'>): string {
  return `${ref.org}-${ref.name}`.slice(0, 100);
}

export function roleName(ref: Pick<ClusterRef, 'org' | 'name'>, kind: 'cluster' | 'node'): string {
  return `flotilla-${eksName(ref)}`.slice(0, 55) + `-${kind}`;
}
