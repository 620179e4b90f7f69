import type { ClusterRef } from './cluster.js';
import { networkLabels } from './cluster-network.js';
import { labelProblems } from './names.js';
import type { Problem } from './problems.js';
import type { TemplateCluster } from './value-templates.js';

/** Labels Flotilla sets on every cluster; a tenant may not set or remove them. */
export const SYSTEM_LABEL_PREFIX = 'flotilla.io/';

/** A cluster's labels as selectors see them: the tenant's, then the system ones (which win), those of its network settings among them. */
export function clusterLabels(ref: Pick<ClusterRef, 'name' | 'provider' | 'region' | 'labels' | 'network'>): Record<string, string> {
  return {
    ...ref.labels,
    ...networkLabels(ref.network),
    [`${SYSTEM_LABEL_PREFIX}provider`]: ref.provider,
    [`${SYSTEM_LABEL_PREFIX}region`]: ref.region,
    [`${SYSTEM_LABEL_PREFIX}name`]: ref.name,
  };
}

/** The labels a tenant set: those of a view without the flotilla.io/ ones. */
export function tenantLabels(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !key.startsWith(SYSTEM_LABEL_PREFIX)));
}

/** What a target cluster offers to a deployment's `${cluster.…}` placeholders. */
export function templateCluster(ref: ClusterRef): TemplateCluster {
  return { name: ref.name, provider: ref.provider, region: ref.region, kubernetesVersion: ref.kubernetesVersion, labels: clusterLabels(ref) };
}

/** A change of a cluster's labels (PATCH /clusters/{name}): a value sets a label, null removes it. */
export type LabelChanges = Record<string, string | null>;

/** What is wrong with labels a tenant sends: Kubernetes' label syntax, and no key of Flotilla's own. */
export function tenantLabelProblems(labels: LabelChanges, path: Problem['path']): Problem[] {
  const set = Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, value ?? '']));
  const problems = labelProblems(set, path);
  for (const key of Object.keys(labels)) {
    if (key.startsWith(SYSTEM_LABEL_PREFIX)) problems.push({ path: [...path, key], message: `labels under ${SYSTEM_LABEL_PREFIX} are set by Flotilla, not by tenants` });
  }
  return problems;
}

/** The tenant's labels after a change (merge; null removes). */
export function relabelled(labels: Readonly<Record<string, string>> | undefined, changes: LabelChanges): Record<string, string> {
  const next: Record<string, string> = { ...labels };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}
