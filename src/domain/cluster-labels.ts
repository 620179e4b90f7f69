import type { ClusterRef } from './cluster.js';
import type { TemplateCluster } from './value-templates.js';

/** Labels Flotilla sets on every cluster; a tenant may not set or remove them. */
export const SYSTEM_LABEL_PREFIX = 'flotilla.io/';

/** A cluster's labels as selectors see them: the tenant's, then the system ones (which win). */
export function clusterLabels(ref: Pick<ClusterRef, 'name' | 'provider' | 'region' | 'labels'>): Record<string, string> {
  return {
    ...ref.labels,
    [`${SYSTEM_LABEL_PREFIX}provider`]: ref.provider,
    [`${SYSTEM_LABEL_PREFIX}region`]: ref.region,
    [`${SYSTEM_LABEL_PREFIX}name`]: ref.name,
  };
}

/** What a target cluster offers to a deployment's `${cluster.…}` placeholders. */
export function templateCluster(ref: ClusterRef): TemplateCluster {
  return { name: ref.name, provider: ref.provider, region: ref.region, kubernetesVersion: ref.kubernetesVersion, labels: clusterLabels(ref) };
}
