import type { Nodegroup, NodegroupScalingConfig, Taint as EksTaint, UpdateLabelsPayload, UpdateTaintsPayload } from '@aws-sdk/client-eks';
import type { NodePoolSpec, TaintEffect } from '../../../domain/cluster.js';

const EFFECTS: Record<TaintEffect, EksTaint['effect']> = {
  NoSchedule: 'NO_SCHEDULE',
  NoExecute: 'NO_EXECUTE',
  PreferNoSchedule: 'PREFER_NO_SCHEDULE',
};

/**
 * EKS needs max ≥ 1; a fixed-size pool is min = max = desired. An autoscaled pool's size is the
 * cluster-autoscaler's to move: an update keeps the node group's size (`current`), brought within
 * the new bounds, instead of setting it back to the requested count.
 */
export function scalingConfig(pool: NodePoolSpec, current?: NodegroupScalingConfig): NodegroupScalingConfig {
  if (!pool.autoscaling) return { minSize: pool.count, maxSize: Math.max(1, pool.count), desiredSize: pool.count };
  const min = pool.minCount ?? pool.count;
  const max = Math.max(1, pool.maxCount ?? pool.count);
  return { minSize: min, maxSize: max, desiredSize: Math.min(max, Math.max(min, current?.desiredSize ?? pool.count)) };
}

/** The autoscaler's tags (`wanted`) to add to the node group of an autoscaled pool, or to take off one that no longer is. */
export function autoscalerTagChanges(current: Nodegroup, pool: NodePoolSpec, wanted: Record<string, string>): { add?: Record<string, string>; remove?: string[] } {
  const tags = current.tags ?? {};
  if (pool.autoscaling) {
    const add = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => tags[k] !== v));
    return Object.keys(add).length ? { add } : {};
  }
  const remove = Object.keys(wanted).filter((k) => k in tags);
  return remove.length ? { remove } : {};
}

export function eksTaints(pool: NodePoolSpec): EksTaint[] {
  return (pool.taints ?? []).map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: EFFECTS[t.effect] }));
}

/** What UpdateNodegroupConfig needs to turn the node group's labels and taints into the pool's. */
export function labelAndTaintChanges(current: Nodegroup, pool: NodePoolSpec): { labels?: UpdateLabelsPayload; taints?: UpdateTaintsPayload } {
  const wantedLabels = pool.labels ?? {};
  const currentLabels = current.labels ?? {};
  const addLabels = Object.fromEntries(Object.entries(wantedLabels).filter(([k, v]) => currentLabels[k] !== v));
  const removeLabels = Object.keys(currentLabels).filter((k) => !(k in wantedLabels));

  const key = (t: EksTaint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  const wantedTaints = eksTaints(pool);
  const currentTaints = current.taints ?? [];
  const addTaints = wantedTaints.filter((t) => !currentTaints.some((c) => key(c) === key(t)));
  const removeTaints = currentTaints.filter((c) => !wantedTaints.some((t) => t.key === c.key && t.effect === c.effect));

  return {
    ...(Object.keys(addLabels).length || removeLabels.length
      ? { labels: { ...(Object.keys(addLabels).length ? { addOrUpdateLabels: addLabels } : {}), ...(removeLabels.length ? { removeLabels } : {}) } }
      : {}),
    ...(addTaints.length || removeTaints.length
      ? { taints: { ...(addTaints.length ? { addOrUpdateTaints: addTaints } : {}), ...(removeTaints.length ? { removeTaints } : {}) } }
      : {}),
  };
}

export function sameScaling(a: NodegroupScalingConfig | undefined, b: NodegroupScalingConfig): boolean {
  return a?.minSize === b.minSize && a?.maxSize === b.maxSize && a?.desiredSize === b.desiredSize;
}
