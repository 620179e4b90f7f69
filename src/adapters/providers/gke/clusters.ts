import type { protos } from '@google-cloud/container';
import type { ClusterRef } from '../../../domain/cluster.js';
import { labelValue, OWNER_LABEL, ownerLabels } from './names.js';
import { SYSTEM_POOL } from './node-pools.js';

type Cluster = protos.google.container.v1.ICluster;

/**
 * The cluster to create. No `initialNodeCount` (that would make a default
 * pool): one small system pool instead, and each Flotilla pool is created on
 * its own by createNodePool. The version is a GKE alias ("1.32" picks the
 * newest 1.32 patch); labels mark the cluster as Flotilla's for this org.
 */
export function clusterResource(ref: ClusterRef): Cluster {
  return {
    name: ref.name,
    initialClusterVersion: ref.kubernetesVersion,
    resourceLabels: ownerLabels(ref.org),
    // No release channel: its pools must auto-upgrade, and Flotilla owns the versions.
    releaseChannel: { channel: 'UNSPECIFIED' },
    nodePools: [SYSTEM_POOL],
    ...(ref.network?.privateEndpoint ? PRIVATE_CLUSTER : {}),
  };
}

/**
 * A private cluster: nodes and the control plane's endpoint on internal addresses only. GKE asks a
 * private cluster for VPC-native (alias IP) networking and, on a cluster it peers with the project's
 * VPC, a /28 for the control plane that overlaps nothing there: 172.16.0.0/28 is outside the default
 * VPC's ranges. GKE has no cluster-wide HTTP proxy setting: a proxy is only recorded (labels) for profiles.
 */
export const PRIVATE_CLUSTER = {
  ipAllocationPolicy: { useIpAliases: true },
  privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: '172.16.0.0/28' },
} as const satisfies Cluster;

/** Statuses from which a cluster becomes usable without anyone acting. */
export const CLUSTER_STARTING = new Set(['PROVISIONING', 'STATUS_UNSPECIFIED']);
/** Statuses in which its API server serves (RECONCILING: an update is being applied; DEGRADED: serving, with a warning). */
export const CLUSTER_SERVING = new Set(['RUNNING', 'RECONCILING', 'DEGRADED']);

/**
 * Why an existing cluster of this name cannot be taken as the one `ref`
 * asked for, or undefined when it can. Names are per project and location,
 * not per org: the label keeps one org from adopting, or deleting, another's.
 */
export function notOurs(cluster: Cluster, ref: ClusterRef): string | undefined {
  if (cluster.resourceLabels?.[OWNER_LABEL] !== labelValue(ref.org)) {
    return `a GKE cluster named ${ref.name} already exists in ${ref.region} and was not created by Flotilla for org ${ref.org}`;
  }
  return undefined;
}

export function adoptionProblem(cluster: Cluster, ref: ClusterRef): string | undefined {
  const owner = notOurs(cluster, ref);
  if (owner) return owner;
  const version = cluster.currentMasterVersion || cluster.initialClusterVersion || '';
  if (!versionMatches(version, ref.kubernetesVersion)) {
    return `GKE cluster ${ref.name} already exists with Kubernetes ${version}, not ${ref.kubernetesVersion}`;
  }
  return undefined;
}

/** "1.32" matches "1.32", "1.32.2" and "1.32.2-gke.1182003"; "latest" and "-" match anything. */
export function versionMatches(actual: string, wanted: string): boolean {
  if (wanted === 'latest' || wanted === '-' || actual === wanted) return true;
  return actual.startsWith(`${wanted}.`) || actual.startsWith(`${wanted}-`);
}

export function statusMessage(resource: { status?: unknown; statusMessage?: string | null; conditions?: { message?: string | null }[] | null }): string {
  const details = [resource.statusMessage, ...(resource.conditions ?? []).map((c) => c.message)].filter(Boolean);
  return details.length ? details.join('; ') : `status ${String(resource.status)}`;
}
