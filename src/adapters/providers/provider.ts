import type { ClusterRef, NodePoolSpec, ProviderName } from '../../domain/cluster.js';
import type { OfferedVersion } from '../../domain/kubernetes-versions.js';

/**
 * The one interface every provider implements (docs/architecture.md, decision 3). Each
 * provider's implementation is registered under these names on its own task
 * queue, `provider-<name>`, so the workflows stay provider-agnostic.
 *
 * Every method is idempotent: running it twice (a retry after a crash) leaves
 * the same state as running it once, and deleting what is gone succeeds.
 */
export interface ProviderActivities {
  /** Returns what it made when later steps build on it (EKS: the subnets), else nothing. */
  ensureNetwork(cluster: ClusterRef): Promise<NetworkRefs | void>;
  /** `network`: ensureNetwork's result; without it (runs started before it was passed on) the adapter finds the network itself. */
  createControlPlane(cluster: ClusterRef, network?: NetworkRefs): Promise<void>;
  awaitControlPlane(cluster: ClusterRef): Promise<void>;
  /** Creates the pool, or brings an existing one to the spec; returns the node count now. `network` as for createControlPlane. */
  createNodePool(cluster: ClusterRef, pool: NodePoolSpec, network?: NetworkRefs): Promise<number>;
  /** Applies count, autoscaling bounds, labels and taints; returns the node count now. */
  updateNodePool(cluster: ClusterRef, pool: NodePoolSpec): Promise<number>;
  deleteNodePool(cluster: ClusterRef, poolName: string): Promise<void>;
  deleteControlPlane(cluster: ClusterRef): Promise<void>;
  deleteNetwork(cluster: ClusterRef): Promise<void>;
  /** Brings the control plane to `version` and waits until it serves it; nothing to do when it does already. */
  upgradeControlPlane(cluster: ClusterRef, version: string): Promise<void>;
  /**
   * Replaces the pool's nodes with nodes at `version`: a new node first (surge), then the old one
   * cordoned and drained through the Eviction API (PodDisruptionBudgets respected, for at most
   * `drain.timeoutSeconds`), then removed. Nothing to do when every node is at `version`. Returns the node count now.
   */
  upgradeNodePool(cluster: ClusterRef, pool: NodePoolSpec, version: string, drain: DrainOptions): Promise<number>;
  /** The versions the provider offers in a region (GET /kubernetes-versions); imported clusters have none to offer. */
  kubernetesVersions?(query: VersionsQuery): Promise<OfferedVersion[]>;
}

/** Whose versions, where: a cloud's list may depend on the region and on the tenant's account. */
export interface VersionsQuery {
  org: string;
  region: string;
  /** The org's cloud secret to read them with (an ID: its values are read inside the activity); none: the SDK's default credentials. */
  secretId?: string;
}

export interface DrainOptions {
  /** How long one node's pods may take to leave (their PodDisruptionBudgets allowing) before the upgrade stops. */
  timeoutSeconds: number;
}

/**
 * A network ensureNetwork made, by reference only (IDs, never credentials: it passes through workflow
 * history), handed to the steps that build on it so that they need not look it up again.
 */
export interface NetworkRefs {
  vpcId: string;
  publicSubnetIds: string[];
  privateSubnetIds: string[];
}

/** Per provider, how to get a cluster's kubeconfig (for the API and for helm). */
export type KubeconfigFetchers = Partial<Record<ProviderName, (ref: ClusterRef) => Promise<string>>>;

/** A provider without a kubeconfig to give (sim: its clusters have no API server). */
export class NoKubeconfig extends Error {}

/** The cluster's kubeconfig from its provider, at the moment of use (never stored, never in workflow history); async, so a provider without one rejects rather than throws. */
export async function kubeconfigOf(fetchers: KubeconfigFetchers, ref: ClusterRef): Promise<string> {
  const fetch = fetchers[ref.provider];
  if (!fetch) throw new NoKubeconfig(`provider ${ref.provider} does not serve kubeconfigs`);
  return fetch(ref);
}
