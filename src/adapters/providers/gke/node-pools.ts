import type { protos } from '@google-cloud/container';
import type { NodePoolSpec, Taint, TaintEffect } from '../../../domain/cluster.js';
import { findInstanceType } from '../../../domain/catalogue/provider-types.js';

type NodePool = protos.google.container.v1.INodePool;
type NodeConfig = protos.google.container.v1.INodeConfig;
type NodeTaint = protos.google.container.v1.INodeTaint;
type Autoscaling = protos.google.container.v1.INodePoolAutoscaling;
type Accelerator = protos.google.container.v1.IAcceleratorConfig;

/** Made with every cluster, so the control plane has somewhere to run system pods before Flotilla's pools exist. */
export const SYSTEM_POOL: NodePool = {
  name: 'flotilla-system',
  initialNodeCount: 1,
  config: { machineType: 'e2-standard-2' },
  management: { autoRepair: true, autoUpgrade: true },
};

/** One new node at a time, none taken away before its replacement serves: Flotilla's upgrades surge and drain. */
export const SURGE_UPGRADE = { strategy: 'SURGE', maxSurge: 1, maxUnavailable: 0 } as const;

const EFFECTS: Record<TaintEffect, string> = { NoSchedule: 'NO_SCHEDULE', PreferNoSchedule: 'PREFER_NO_SCHEDULE', NoExecute: 'NO_EXECUTE' };

/*
 * Sizes. GKE sizes a pool per zone (initialNodeCount, setNodePoolSize and
 * min/maxNodeCount count nodes in each of the pool's zones), while a Flotilla
 * count is the pool's total. A pool in one zone (a zonal cluster) maps
 * exactly. A pool across a region's zones gets ceil(count / zones) per zone,
 * and reports the total it really has; its autoscaling bounds use GKE's
 * total_min/total_max, which count the whole pool.
 */

export function perZone(count: number, zones: number): number {
  return zones <= 1 ? count : Math.ceil(count / zones);
}

/**
 * The node count to report. GKE's node pool resource does not say how many
 * nodes a pool has now, so this is the size Flotilla set: the fixed size, or
 * for an autoscaled pool the requested count (the autoscaler moves it within
 * the bounds).
 */
export function reportedCount(pool: NodePoolSpec, zones: number): number {
  return pool.autoscaling ? pool.count : perZone(pool.count, zones) * Math.max(zones, 1);
}

export function autoscaling(pool: NodePoolSpec, zones: number): Autoscaling {
  if (!pool.autoscaling) return { enabled: false };
  const min = pool.minCount ?? pool.count;
  const max = pool.maxCount ?? pool.count;
  return zones <= 1 ? { enabled: true, minNodeCount: min, maxNodeCount: max } : { enabled: true, totalMinNodeCount: min, totalMaxNodeCount: max };
}

export function gkeTaints(taints: readonly Taint[] | undefined): NodeTaint[] {
  return (taints ?? []).map((t) => ({ key: t.key, value: t.value ?? '', effect: EFFECTS[t.effect] as NodeTaint['effect'] }));
}

/** A GPU machine type names its accelerator separately in GKE; GKE installs the driver that goes with it. */
export function accelerators(instanceType: string): Accelerator[] {
  const type = findInstanceType({ provider: 'gke' }, instanceType);
  if (!type?.accelerator) return [];
  return [{ acceleratorType: type.accelerator, acceleratorCount: type.gpus ?? 1, gpuDriverInstallationConfig: { gpuDriverVersion: 'DEFAULT' } }];
}

export function nodeConfig(pool: NodePoolSpec): NodeConfig {
  const gpus = accelerators(pool.instanceType);
  return {
    machineType: pool.instanceType,
    ...(pool.spot ? { spot: true } : {}),
    ...(gpus.length ? { accelerators: gpus } : {}),
    labels: { ...pool.labels },
    taints: gkeTaints(pool.taints),
  };
}

/** The pool to create, across `zones` zones (those of the cluster). */
export function nodePool(pool: NodePoolSpec, zones: number): NodePool {
  return {
    name: pool.name,
    initialNodeCount: perZone(pool.count, zones),
    config: nodeConfig(pool),
    autoscaling: autoscaling(pool, zones),
    // Flotilla owns the pools' versions (PATCH /clusters/{name} { kubernetesVersion }): GKE must not move them on its own.
    management: { autoRepair: true, autoUpgrade: false },
    upgradeSettings: SURGE_UPGRADE,
  };
}

/**
 * Why an existing pool cannot be adopted as `pool`: what GKE fixes at creation
 * differs (machine type, spot, GPUs). Empty when it can be adopted; labels,
 * taints, size and autoscaling are then brought to the spec.
 */
export function fixedDifferences(existing: NodePool, pool: NodePoolSpec): string[] {
  const config = existing.config ?? {};
  const differences: string[] = [];
  if (config.machineType !== pool.instanceType) differences.push(`machine type ${config.machineType}, not ${pool.instanceType}`);
  const spot = Boolean(config.spot || config.preemptible);
  if (spot !== Boolean(pool.spot)) differences.push(spot ? 'spot VMs, not standard ones' : 'standard VMs, not spot ones');
  const have = acceleratorKey(config.accelerators ?? []);
  const want = acceleratorKey(accelerators(pool.instanceType));
  if (have !== want) differences.push(`accelerators ${have || 'none'}, not ${want || 'none'}`);
  return differences;
}

function acceleratorKey(list: readonly Accelerator[]): string {
  return list
    .map((a) => `${Number(a.acceleratorCount ?? 0)}x${a.acceleratorType}`)
    .sort()
    .join(',');
}

export function sameAutoscaling(existing: Autoscaling | null | undefined, wanted: Autoscaling): boolean {
  const key = (a: Autoscaling | null | undefined) =>
    a?.enabled ? [a.minNodeCount ?? 0, a.maxNodeCount ?? 0, a.totalMinNodeCount ?? 0, a.totalMaxNodeCount ?? 0].join('/') : 'off';
  return key(existing) === key(wanted);
}

export function sameLabels(existing: NodeConfig | null | undefined, pool: NodePoolSpec): boolean {
  const have = existing?.labels ?? {};
  const want = pool.labels ?? {};
  return Object.keys(have).length === Object.keys(want).length && Object.entries(want).every(([k, v]) => have[k] === v);
}

export function sameTaints(existing: NodeConfig | null | undefined, pool: NodePoolSpec): boolean {
  const key = (list: readonly NodeTaint[]) =>
    list
      .map((t) => `${t.key}=${t.value ?? ''}:${String(t.effect)}`)
      .sort()
      .join(',');
  return key(existing?.taints ?? []) === key(gkeTaints(pool.taints));
}
