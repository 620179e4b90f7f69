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

/**
 * The cluster-autoscaler's auto-discovery tags (its AWS README), on the node group of a pool that
 * autoscales: EKS tags the group's Auto Scaling group with the same keys itself, and these say on
 * the node group which pools the autoscaler may move.
 */
export function autoscalerTags(ref: Pick<ClusterRef, 'org' | 'name'>): Record<string, string> {
  return { 'k8s.io/cluster-autoscaler/enabled': 'true', [`k8s.io/cluster-autoscaler/${eksName(ref)}`]: 'owned' };
}
