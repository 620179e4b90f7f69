import type { NodePoolView } from '../cluster-state.js';
import { PROVIDERS, type ClusterStatus, type NodePoolSpec, type ProviderName } from '../cluster.js';
import { LOCAL_INSTANCE_TYPES, type InstanceType } from '../instance-types.js';
import type { Problem } from '../problems.js';
import { CLOUDS, cloudOfProvider, findCatalogueType, providerOfCloud, regionPrices, type Cloud } from './catalogue.js';
import { poolsCost, unpricedCost, type Cost } from './cost.js';

/**
 * Instance types by provider. The cloud providers take their cloud's catalogue;
 * the local ones (kwok, sim) take their own names, and a local cluster with a
 * `flavor` also any type of that cloud, at its real capacity, so it mirrors a
 * planned cloud cluster.
 */

export const FLAVORS = CLOUDS;
export type Flavor = Cloud;

const LOCAL_PROVIDERS: readonly ProviderName[] = ['kwok', 'sim'];

/** What a cluster's instance types and prices depend on. */
export interface TypedCluster {
  provider: ProviderName;
  region: string;
  flavor?: Flavor;
}

/** The cloud whose catalogue the cluster's pools are checked against: its own, or its flavor's. */
export function catalogueCloud(cluster: Pick<TypedCluster, 'provider' | 'flavor'>): Cloud | undefined {
  return cloudOfProvider(cluster.provider) ?? (LOCAL_PROVIDERS.includes(cluster.provider) ? cluster.flavor : undefined);
}

// The GPU models of GCP's catalogue (a unit test checks every one is here).
const GKE_ACCELERATORS: Record<string, string> = {
  A100: 'nvidia-tesla-a100',
  'A100-80GB': 'nvidia-a100-80gb',
  'H100-80GB': 'nvidia-h100-80gb',
  'H100-80GB-MEGA': 'nvidia-h100-mega-80gb',
  L4: 'nvidia-l4',
  RTX6000: 'nvidia-rtx-pro-6000',
};

/** GKE names a machine type's GPUs separately, by its own accelerator names. */
export function gkeAccelerator(gpuModel: string | undefined): string | undefined {
  return gpuModel === undefined ? undefined : GKE_ACCELERATORS[gpuModel];
}

/** One node's capacity for the cluster's provider (and flavor), or undefined when the type is not theirs. */
export function findInstanceType(cluster: Pick<TypedCluster, 'provider' | 'flavor'>, name: string): InstanceType | undefined {
  const local = LOCAL_PROVIDERS.includes(cluster.provider) ? LOCAL_INSTANCE_TYPES.find((t) => t.name === name) : undefined;
  if (local) return local;
  const cloud = catalogueCloud(cluster);
  const found = cloud && findCatalogueType(cloud, name);
  if (!found) return undefined;
  const accelerator = cloud === 'gcp' ? gkeAccelerator(found.gpuModel) : undefined;
  return { name, cpu: found.cpu, memoryGiB: found.memoryGiB, ...(found.gpus ? { gpus: found.gpus } : {}), arch: found.arch, ...(accelerator ? { accelerator } : {}) };
}

/** The pool's instance type, if it is not one of the cluster's; `path` leads to the pool. */
export function instanceTypeProblems(cluster: Pick<TypedCluster, 'provider' | 'flavor'>, pool: Pick<NodePoolSpec, 'instanceType'>, path: Problem['path'] = []): Problem[] {
  if (findInstanceType(cluster, pool.instanceType)) return [];
  const cloud = catalogueCloud(cluster);
  const known = [
    ...(LOCAL_PROVIDERS.includes(cluster.provider) ? [`a local type (${LOCAL_INSTANCE_TYPES.map((t) => t.name).join(', ')})`] : []),
    ...(cloud ? [`a ${cloud} type (GET /api/v1/instance-types?provider=${providerOfCloud(cloud)})`] : []),
  ];
  const flavor = cluster.flavor ? ` with flavor ${cluster.flavor}` : '';
  return [{ path: [...path, 'instanceType'], message: `unknown instance type '${pool.instanceType}' for a ${cluster.provider} cluster${flavor}; use ${known.join(' or ')}` }];
}

/** Where a cluster is priced: a cloud cluster in its region; a flavored local one in its region if the cloud prices it, else in the cloud's default region. */
export function pricingPlace(cluster: TypedCluster): { cloud: Cloud; region: string } | undefined {
  const cloud = catalogueCloud(cluster);
  if (!cloud) return undefined;
  if (cloudOfProvider(cluster.provider) || regionPrices(cloud, cluster.region)) return { cloud, region: cluster.region };
  return { cloud, region: PROVIDERS[providerOfCloud(cloud)].defaultRegion };
}

export type ClusterCost = Cost & {
  /** The region whose prices were used (a flavored local cluster's may differ from its own). */
  region?: string;
  /** Why nothing is priced. */
  note?: string;
};

/**
 * A cluster's cost now: each pool at its current node count (the desired count
 * while the current one is unknown; none once deleted). A cluster no cloud
 * prices (local without a flavor, imported) has every pool unpriced and says why.
 */
export function clusterCost(cluster: TypedCluster & { status: ClusterStatus; nodePools: readonly NodePoolView[] }): ClusterCost {
  const pools = cluster.nodePools.map((pool) => ({
    name: pool.name,
    instanceType: pool.instanceType,
    spot: pool.spot,
    count: cluster.status === 'DELETED' ? 0 : (pool.currentCount ?? pool.desiredCount),
  }));
  const place = pricingPlace(cluster);
  if (!place) return { ...unpricedCost(pools.map((p) => p.name)), note: `a ${cluster.provider} cluster without a flavor has no cloud prices` };
  return { ...poolsCost(place.cloud, place.region, pools), region: place.region };
}
