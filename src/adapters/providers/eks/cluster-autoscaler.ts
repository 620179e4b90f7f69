import type { ClusterRef } from '../../../domain/cluster.js';
import { CLUSTER_AUTOSCALER_CHART } from '../../helm/project-charts.js';
import type { InstallRequest, ReleaseRef } from '../../helm/helm.js';
import { eksName } from './tags.js';

/** The cluster-autoscaler's release on an EKS cluster with autoscaled pools: one per cluster. */
export const CLUSTER_AUTOSCALER_RELEASE: ReleaseRef = { name: 'cluster-autoscaler', namespace: 'kube-system' };

/**
 * The official chart with the values its README gives for AWS auto-discovery: it finds the node
 * groups' Auto Scaling groups by the tags `k8s.io/cluster-autoscaler/enabled` and
 * `k8s.io/cluster-autoscaler/<cluster>` (EKS puts them on a managed node group's group) and moves
 * each within its node group's min and max.
 */
export function clusterAutoscalerRelease(ref: ClusterRef): InstallRequest {
  return {
    ...CLUSTER_AUTOSCALER_RELEASE,
    chart: CLUSTER_AUTOSCALER_CHART,
    values: {
      cloudProvider: 'aws',
      awsRegion: ref.region,
      autoDiscovery: { clusterName: eksName(ref) },
      rbac: { create: true, serviceAccount: { create: true, name: 'cluster-autoscaler' } },
    },
  };
}
