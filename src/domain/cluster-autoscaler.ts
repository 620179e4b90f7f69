import { providerInfo, type ClusterSpec } from './cluster.js';

export type ClusterAutoscalerChange = 'install' | 'remove';

/**
 * What a cluster whose provider needs Flotilla's cluster-autoscaler (EKS) must do with it once
 * `spec`'s pools are in place: install it with the first autoscaled pool, remove it with the last;
 * undefined when nothing changes or the provider scales its pools itself.
 */
export function clusterAutoscalerChange(spec: ClusterSpec, installed: boolean): ClusterAutoscalerChange | undefined {
  if (!providerInfo(spec.provider).installsClusterAutoscaler) return undefined;
  const wanted = spec.nodePools.some((pool) => pool.autoscaling === true);
  if (wanted === installed) return undefined;
  return wanted ? 'install' : 'remove';
}
