import type { ClusterSpec, NodePoolSpec } from '../domain/cluster.js';
import { clusterRef } from '../domain/cluster.js';
import type { StepsResult } from '../domain/operations.js';
import { providerActivities } from './provider.js';
import { StepTracker } from './steps.js';
import { applyClusterAutoscaler } from './cluster-autoscaler.js';
import type { ClusterAutoscalerChange } from '../domain/cluster-autoscaler.js';

export type NodePoolAction =
  | { type: 'add'; pool: NodePoolSpec }
  | { type: 'update'; pool: NodePoolSpec }
  | { type: 'remove'; pool: string };

export interface NodePoolInput {
  org: string;
  spec: ClusterSpec;
  action: NodePoolAction;
  /** Whether the change installs or removes the cluster-autoscaler (its first or last autoscaled pool). */
  clusterAutoscaler?: ClusterAutoscalerChange;
}

/** Child of the cluster entity: one change to one node pool. */
export async function nodePoolWorkflow({ org, spec, action, clusterAutoscaler }: NodePoolInput): Promise<StepsResult> {
  const poolName = typeof action.pool === 'string' ? action.pool : action.pool.name;
  const tracker = new StepTracker(`${action.type} node pool ${poolName} of ${org}/${spec.name}`);
  const cloud = providerActivities(spec.provider);
  const ref = clusterRef(org, spec);

  switch (action.type) {
    case 'add': {
      const pool = action.pool;
      const count = await tracker.run(`create node pool ${poolName}`, () => cloud.createNodePool(ref, pool));
      await applyClusterAutoscaler(tracker, ref, clusterAutoscaler);
      return { steps: tracker.steps, currentCounts: { [poolName]: count } };
    }
    case 'update': {
      const pool = action.pool;
      const count = await tracker.run(`update node pool ${poolName} (count ${pool.count})`, () => cloud.updateNodePool(ref, pool));
      await applyClusterAutoscaler(tracker, ref, clusterAutoscaler);
      return { steps: tracker.steps, currentCounts: { [poolName]: count } };
    }
    case 'remove':
      // The autoscaler goes first, so it never acts on a node group being deleted.
      await applyClusterAutoscaler(tracker, ref, clusterAutoscaler);
      await tracker.run(`delete node pool ${poolName}`, () => cloud.deleteNodePool(ref, poolName));
      return { steps: tracker.steps };
  }
}
