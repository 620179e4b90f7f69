import { providerInfo, type ClusterStatus, type NodePoolChanges, type NodePoolSpec, type ProviderName } from './cluster.js';
import { formatPath, FailureType, type Problem } from './problems.js';
import { applyNodePoolChanges, nodePoolProblems } from './validation.js';

/** Why a cluster refuses a request: the failure type the API answers as 400, 404 or 409. */
export interface Refusal {
  type: FailureType;
  message: string;
  problems: Problem[];
}

/**
 * What the refusals below look at. The entity knows all of it; the API knows it from the
 * cluster's memo, where a delete queued behind a running operation does not show: the entity's
 * check is the authoritative one (docs/architecture.md, decision 2).
 */
export interface ClusterFacts {
  provider: ProviderName;
  status: ClusterStatus;
  message?: string;
  nodePools: readonly NodePoolSpec[];
  deleting: boolean;
}

/** Why the cluster takes no change to its node pools now, or undefined. */
export function changeRefusal(cluster: ClusterFacts): Refusal | undefined {
  const refuse = (type: FailureType, message: string): Refusal => ({ type, message, problems: [] });
  if (!providerInfo(cluster.provider).managesNodePools) {
    return refuse(FailureType.conflict, `the node pools of a ${cluster.provider} cluster are read-only: they are read from the cluster`);
  }
  if (cluster.deleting) return refuse(FailureType.conflict, 'cluster is being deleted');
  if (cluster.status === 'DELETED') return refuse(FailureType.notFound, 'cluster is deleted');
  if (cluster.status === 'ERROR') {
    return refuse(FailureType.conflict, `cluster is in ERROR (${cluster.message ?? 'unknown cause'}); delete it, with force=true if need be`);
  }
  return undefined;
}

/** Why the cluster refuses this change to `pool` (PUT /clusters/{name}/nodepools/{pool}), or undefined. */
export function nodePoolUpdateRefusal(cluster: ClusterFacts, pool: string, changes: NodePoolChanges): Refusal | undefined {
  const refused = changeRefusal(cluster);
  if (refused) return refused;
  const current = cluster.nodePools.find((p) => p.name === pool);
  if (!current) return { type: FailureType.notFound, message: `node pool '${pool}' not found`, problems: [] };
  const problems = nodePoolProblems(applyNodePoolChanges(current, changes), cluster.provider);
  return problems.length ? { type: FailureType.invalid, message: 'invalid node pool change', problems } : undefined;
}

/** A refusal as one line: its message and the fields at fault. */
export function describeRefusal(refusal: Refusal): string {
  return [refusal.message, ...refusal.problems.map((p) => `${formatPath(p.path) || '(body)'}: ${p.message}`)].join('; ');
}
