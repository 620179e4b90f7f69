import type { CoreV1Api, V1Node } from '@kubernetes/client-node';

/** Labels that name a node's pool, by the tool that made it. */
const POOL_LABELS = [
  'flotilla.io/nodepool',
  'eks.amazonaws.com/nodegroup',
  'cloud.google.com/gke-nodepool',
  'kubernetes.azure.com/agentpool',
  'karpenter.sh/nodepool',
];

export interface ObservedPool {
  name: string;
  instanceType: string;
  count: number;
  currentCount: number;
  labels: Record<string, string>;
}

/** Pools of a cluster Flotilla did not make, derived from its nodes' labels (read-only). */
export async function observedNodePools(core: CoreV1Api): Promise<ObservedPool[]> {
  const nodes = (await core.listNode()).items;
  const pools = new Map<string, V1Node[]>();
  for (const node of nodes) {
    const labels = node.metadata?.labels ?? {};
    const name = POOL_LABELS.map((l) => labels[l]).find(Boolean) ?? 'default';
    pools.set(name, [...(pools.get(name) ?? []), node]);
  }
  return [...pools.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, members]) => {
      const labels = members[0]!.metadata?.labels ?? {};
      const common = Object.fromEntries(Object.entries(labels).filter(([k, v]) => members.every((m) => m.metadata?.labels?.[k] === v) && !k.startsWith('kubernetes.io/hostname')));
      return {
        name,
        instanceType: labels['node.kubernetes.io/instance-type'] ?? 'unknown',
        count: members.length,
        currentCount: members.length,
        labels: common,
      };
    });
}

/** How many nodes each pool has now, by the same labels: what a pool's currentCount follows between operations. */
export async function nodeCountsByPool(core: CoreV1Api): Promise<Record<string, number>> {
  return Object.fromEntries((await observedNodePools(core)).map((pool) => [pool.name, pool.count]));
}
