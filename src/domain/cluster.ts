import type { Cloud } from './catalogue/data-format.js';
import { tenantLabels } from './cluster-labels.js';
import type { ClusterNetwork } from './cluster-network.js';

/** What each provider offers; the API and the workflows accept only these. Instance types: catalogue/provider-types.ts. */
export interface ProviderInfo {
  defaultRegion: string;
  defaultKubernetesVersion: string;
  /** Nodes in one pool; the local providers simulate nodes and stay small. */
  maxNodesPerPool: number;
  /** Node pools are made by Flotilla (false: read from an existing cluster). */
  managesNodePools: boolean;
  /** Pool names the adapter uses for itself. */
  reservedPoolNames?: readonly string[];
  /**
   * Autoscaled pools are scaled by the cluster-autoscaler that Flotilla installs with its chart
   * (EKS); without it, by the cloud's own autoscaler (GKE, AKS) or not at all (KWOK, sim).
   */
  installsClusterAutoscaler?: boolean;
  /** The secret type a cluster of this provider may name in `secretId`, and whether it must. */
  secret?: { type: SecretType; required: boolean };
}

// A minor that EKS, GKE and AKS all offer (late 2026: 1.33 to 1.35), the newest so it stays offered longest.
const cloud = { defaultKubernetesVersion: '1.35', maxNodesPerPool: 1000, managesNodePools: true } as const;

export const PROVIDERS = {
  // KWOK's control plane is the Kubernetes in tools/versions.json.
  kwok: { defaultRegion: 'local', defaultKubernetesVersion: '1.37', maxNodesPerPool: 100, managesNodePools: true },
  sim: { defaultRegion: 'sim-1', defaultKubernetesVersion: cloud.defaultKubernetesVersion, maxNodesPerPool: 1000, managesNodePools: true },
  eks: { ...cloud, defaultRegion: 'us-east-1', installsClusterAutoscaler: true, secret: { type: 'aws', required: false } },
  gke: { ...cloud, defaultRegion: 'us-central1', reservedPoolNames: ['flotilla-system'], secret: { type: 'gcp', required: false } },
  aks: { ...cloud, defaultRegion: 'eastus', secret: { type: 'azure', required: false } },
  imported: {
    defaultRegion: 'imported',
    defaultKubernetesVersion: 'imported',
    maxNodesPerPool: 0,
    managesNodePools: false,
    secret: { type: 'kubeconfig', required: true },
  },
} as const satisfies Record<string, ProviderInfo>;

/**
 * Cloud credentials and kubeconfigs, which `secretId` names; `proxy-ca` and `proxy-credentials`, which
 * `network.httpProxy.trustedCaSecretId` and `network.httpProxy.credentialsSecretId` name.
 */
export const SECRET_TYPES = ['aws', 'gcp', 'azure', 'kubeconfig', 'proxy-ca', 'proxy-credentials'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

export type ProviderName = keyof typeof PROVIDERS;
export const PROVIDER_NAMES = Object.keys(PROVIDERS) as ProviderName[];

/** The provider's facts, widened so optional ones can be read on any provider. */
export function providerInfo(name: ProviderName): ProviderInfo {
  return PROVIDERS[name];
}

export function isProviderName(value: string): value is ProviderName {
  return Object.prototype.hasOwnProperty.call(PROVIDERS, value);
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface NodePoolSpec {
  name: string;
  instanceType: string;
  count: number;
  minCount?: number;
  maxCount?: number;
  autoscaling?: boolean;
  spot?: boolean;
  labels?: Record<string, string>;
  taints?: Taint[];
}

/** The mutable part of a pool: PUT /nodepools/{pool}. Instance type and spot are fixed at creation. */
export type NodePoolChanges = Partial<Pick<NodePoolSpec, 'count' | 'minCount' | 'maxCount' | 'autoscaling' | 'labels' | 'taints'>>;

/** EKS: use a network and roles that exist already, instead of making them. */
export interface EksOptions {
  subnetIds?: string[];
  clusterRoleArn?: string;
  nodeRoleArn?: string;
}

export interface ClusterSpec {
  name: string;
  provider: ProviderName;
  region: string;
  kubernetesVersion: string;
  secretId?: string;
  eks?: EksOptions;
  /** kwok and sim: the cloud whose instance types (at their real capacity) and prices the cluster takes. */
  flavor?: Cloud;
  /** Private API server and HTTP proxy; fixed at create (src/domain/cluster-network.ts). */
  network?: ClusterNetwork;
  /** The tenant's labels (src/domain/cluster-labels.ts adds the flotilla.io/ ones every cluster carries). */
  labels?: Record<string, string>;
  nodePools: NodePoolSpec[];
}

/** A create request as the API accepts it: defaults not yet applied. */
export type ClusterRequest = Omit<ClusterSpec, 'region' | 'kubernetesVersion'> & {
  region?: string;
  kubernetesVersion?: string;
};

export function withDefaults(request: ClusterRequest): ClusterSpec {
  const provider = PROVIDERS[request.provider];
  return {
    ...request,
    region: request.region ?? provider.defaultRegion,
    kubernetesVersion: request.kubernetesVersion ?? provider.defaultKubernetesVersion,
  };
}

export const CLUSTER_STATUSES = ['CREATING', 'RUNNING', 'UPDATING', 'DELETING', 'DELETED', 'ERROR', 'WARNING'] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

/**
 * What a provider activity needs to find a cluster: its spec without the node pools. No secrets, only
 * references (the proxy's CA and credentials are secret IDs, read by the activity that needs them).
 */
export type ClusterRef = Omit<ClusterSpec, 'nodePools'> & { org: string };

/** What activities need of a cluster, from its spec or its view (whose labels include the flotilla.io/ ones, left out here). */
export function clusterRef(org: string, spec: Omit<ClusterSpec, 'nodePools'>): ClusterRef {
  const { name, provider, region, kubernetesVersion, secretId, eks, flavor, network } = spec;
  const labels = tenantLabels(spec.labels);
  return {
    org,
    name,
    provider,
    region,
    kubernetesVersion,
    ...(secretId ? { secretId } : {}),
    ...(eks ? { eks } : {}),
    ...(flavor ? { flavor } : {}),
    ...(network ? { network } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
  };
}
