import type { protos } from '@google-cloud/container';
import { ApplicationFailure } from '@temporalio/activity';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import { cloudStep } from '../cloud-step.js';
import type { OfferedVersion } from '../../../domain/kubernetes-versions.js';
import type { ProviderActivities, VersionsQuery } from '../provider.js';
import type { CredentialResolver } from '../../secrets/credentials.js';
import { GkeClientFactory, type GkeAuthClient } from './client.js';
import { adoptionProblem, CLUSTER_SERVING, CLUSTER_STARTING, clusterResource, notOurs, statusMessage, versionMatches } from './clusters.js';
import { asFailure, isAlreadyExists, isNotFound, rejected } from './errors.js';
import { gkeKubeconfig } from './kubeconfig.js';
import { GkeNames } from './names.js';
import { autoscaling, fixedDifferences, gkeTaints, nodePool, perZone, reportedCount, sameAutoscaling, sameLabels, sameTaints, SURGE_UPGRADE, SYSTEM_POOL } from './node-pools.js';
import { gkeOfferedVersions } from './server-config.js';
import { GkeSession, type GkeProgress, type GkeTiming } from './session.js';

type Cluster = protos.google.container.v1.ICluster;
type NodePool = protos.google.container.v1.INodePool;

export interface GkeProviderOptions {
  credentials: CredentialResolver;
  /** Host of the GKE API; default container.googleapis.com (tests: 127.0.0.1). */
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Used instead of the cluster's key or Application Default Credentials (tests: a fake). */
  authClient?: GkeAuthClient;
  /** Between polls of an operation; default 5 s (GKE operations take minutes). */
  pollIntervalMs?: number;
  /** How long a call waits while the cluster runs another operation; default 15 minutes. */
  busyTimeoutMs?: number;
}

/** Pool statuses that end on their own; a pool is changed only once they have. */
const POOL_SETTLING = new Set(['PROVISIONING', 'RECONCILING', 'STOPPING', 'STATUS_UNSPECIFIED']);

/**
 * Google Kubernetes Engine: a cluster per Flotilla cluster, named as it is, in
 * the location its region names (a region or a zone), with Flotilla's pools as
 * GKE node pools. Project and credentials come from the cluster's gcp secret,
 * or from Application Default Credentials and GOOGLE_CLOUD_PROJECT.
 */
export class GkeProvider {
  private readonly clients: GkeClientFactory;
  private readonly timing: GkeTiming;

  constructor(options: GkeProviderOptions) {
    const { credentials, apiEndpoint, port, protocol, authClient } = options;
    this.clients = new GkeClientFactory(credentials, { apiEndpoint, port, protocol, authClient });
    this.timing = { pollIntervalMs: options.pollIntervalMs ?? 5_000, busyTimeoutMs: options.busyTimeoutMs ?? 15 * 60_000 };
  }

  /** The cluster's endpoint and CA, with `gke-gcloud-auth-plugin` for credentials: nothing long-lived inside. */
  async kubeconfig(ref: ClusterRef): Promise<string> {
    const { client, project } = await this.clients.forCluster(ref);
    const names = new GkeNames(project, ref);
    const [cluster] = await client.getCluster({ name: names.cluster }).catch((err: unknown) => {
      throw isNotFound(err) ? new Error(`GKE cluster ${ref.name} not found in ${names.location}`) : err;
    });
    if (!cluster.endpoint || !cluster.masterAuth?.clusterCaCertificate) {
      throw new Error(`GKE cluster ${ref.name} has no endpoint yet (${statusMessage(cluster)})`);
    }
    return gkeKubeconfig({ name: `flotilla-${ref.org}-${ref.name}`, endpoint: cluster.endpoint, caCertificate: cluster.masterAuth.clusterCaCertificate });
  }

  async close(): Promise<void> {
    await this.clients.close();
  }

  activities(): ProviderActivities {
    return {
      // GKE clusters use the project's default VPC network: nothing to make or remove.
      ensureNetwork: async () => {},
      deleteNetwork: async () => {},

      createControlPlane: (ref) => this.step(ref, `create GKE cluster ${ref.name}`, (s) => this.ensureCluster(s, ref)),
      awaitControlPlane: (ref) => this.step(ref, `await GKE cluster ${ref.name}`, (s) => this.awaitCluster(s, ref)),
      // Both bring the pool to the spec: create it if missing, else adopt it and apply what GKE can change.
      createNodePool: (ref, pool) => this.step(ref, `create node pool ${pool.name}`, (s) => this.ensurePool(s, ref, pool)),
      updateNodePool: (ref, pool) => this.step(ref, `update node pool ${pool.name}`, (s) => this.ensurePool(s, ref, pool)),
      deleteNodePool: (ref, poolName) => this.step(ref, `delete node pool ${poolName}`, (s) => this.deletePool(s, poolName)),
      deleteControlPlane: (ref) => this.step(ref, `delete GKE cluster ${ref.name}`, (s) => this.deleteCluster(s, ref)),
      upgradeControlPlane: (ref, version) => this.step(ref, `upgrade GKE cluster ${ref.name} to ${version}`, (s) => this.upgradeMaster(s, ref, version)),
      upgradeNodePool: (ref, pool, version) => this.step(ref, `upgrade node pool ${pool.name} to ${version}`, (s) => this.upgradePool(s, ref, pool, version)),
      kubernetesVersions: (query) => this.offeredVersions(query),
    };
  }

  /** GKE's server config of the location: the control-plane versions it takes there. */
  private async offeredVersions(query: VersionsQuery): Promise<OfferedVersion[]> {
    const action = `read the GKE versions of ${query.region}`;
    try {
      const { client, project } = await this.clients.forAccount(query, `GET /kubernetes-versions of org ${query.org}`);
      const [config] = await client.getServerConfig({ name: `projects/${project}/locations/${query.region}` });
      return gkeOfferedVersions(config);
    } catch (err) {
      throw asFailure(err, action);
    }
  }

  /** One activity attempt: first finishes waiting on what an earlier attempt started; Google's errors as failures. */
  private step<T>(ref: ClusterRef, action: string, body: (session: GkeSession) => Promise<T>): Promise<T> {
    return cloudStep<GkeProgress, T>(
      (err) => asFailure(err, action),
      async (step) => {
        const { client, project } = await this.clients.forCluster(ref);
        const session = new GkeSession(client, new GkeNames(project, ref), step, this.timing);
        await session.resume();
        return body(session);
      },
    );
  }

  private async ensureCluster(s: GkeSession, ref: ClusterRef): Promise<void> {
    const existing = await s.cluster();
    if (existing) return adoptCluster(existing, ref);
    try {
      await s.operation(`create GKE cluster ${ref.name}`, () => s.client.createCluster({ parent: s.names.location, cluster: clusterResource(ref) }));
    } catch (err) {
      // Made between our look and our call (a concurrent attempt): adopt it like any other.
      const now = isAlreadyExists(err) ? await s.cluster() : undefined;
      if (!now) throw err;
      adoptCluster(now, ref);
    }
  }

  private async awaitCluster(s: GkeSession, ref: ClusterRef): Promise<void> {
    await this.servingCluster(s, ref);
  }

  /** The cluster once its API server serves; fails if it is gone, being deleted or broken. */
  private async servingCluster(s: GkeSession, ref: ClusterRef): Promise<Cluster> {
    const cluster = await s.until(
      () => s.cluster(),
      (c) => !c || !CLUSTER_STARTING.has(String(c.status)),
    );
    if (!cluster || cluster.status === 'STOPPING') {
      throw ApplicationFailure.retryable(`GKE cluster ${ref.name} not found in ${s.names.location}${cluster ? ' (it is being deleted)' : ''}`, FailureType.cloudResourceMissing);
    }
    if (!CLUSTER_SERVING.has(String(cluster.status))) throw rejected(`GKE cluster ${ref.name} is ${cluster.status}: ${statusMessage(cluster)}`);
    return cluster;
  }

  private async ensurePool(s: GkeSession, ref: ClusterRef, pool: NodePoolSpec): Promise<number> {
    if (pool.name === SYSTEM_POOL.name) throw rejected(`node pool name ${pool.name} is reserved for the pool Flotilla makes with every GKE cluster`);
    const cluster = await this.servingCluster(s, ref);
    let existing = await this.settledPool(s, pool.name);
    if (!existing) {
      const zones = cluster.locations?.length || 1;
      try {
        await s.operation(`create node pool ${pool.name}`, () => s.client.createNodePool({ parent: s.names.cluster, nodePool: nodePool(pool, zones) }));
        return reportedCount(pool, zones);
      } catch (err) {
        existing = isAlreadyExists(err) ? await this.settledPool(s, pool.name) : undefined;
        if (!existing) throw err;
      }
    }
    return this.adoptPool(s, ref, existing, pool, cluster.locations?.length || 1);
  }

  /** An existing pool becomes this one if what GKE fixes at creation matches; the rest is brought to the spec. */
  private async adoptPool(s: GkeSession, ref: ClusterRef, existing: NodePool, pool: NodePoolSpec, clusterZones: number): Promise<number> {
    const differences = fixedDifferences(existing, pool);
    if (differences.length) {
      throw rejected(`GKE node pool ${pool.name} of cluster ${ref.name} already exists with ${differences.join(', ')}; delete it or choose another name`);
    }
    if (existing.status === 'ERROR') throw rejected(`GKE node pool ${pool.name} is in ERROR: ${statusMessage(existing)}`);
    const name = s.names.pool(pool.name);
    const zones = existing.locations?.length || clusterZones;

    const wanted = autoscaling(pool, zones);
    if (!sameAutoscaling(existing.autoscaling, wanted)) {
      await s.operation(`set autoscaling of node pool ${pool.name}`, () => s.client.setNodePoolAutoscaling({ name, autoscaling: wanted }));
    }
    // GKE does not report a pool's size, so a fixed pool is always set to it (same size: a no-op operation).
    // An autoscaled pool's size is the autoscaler's to move within the bounds.
    if (!pool.autoscaling) {
      await s.operation(`resize node pool ${pool.name}`, () => s.client.setNodePoolSize({ name, nodeCount: perZone(pool.count, zones) }));
    }
    const labels = !sameLabels(existing.config, pool);
    const taints = !sameTaints(existing.config, pool);
    if (labels || taints) {
      await s.operation(`update labels and taints of node pool ${pool.name}`, () =>
        s.client.updateNodePool({
          name,
          // Required by the API: the pool's own version and image, so that nothing but labels and taints changes.
          nodeVersion: existing.version || '-',
          imageType: existing.config?.imageType || 'COS_CONTAINERD',
          ...(labels ? { labels: { labels: { ...pool.labels } } } : {}),
          ...(taints ? { taints: { taints: gkeTaints(pool.taints) } } : {}),
        }),
      );
    }
    return reportedCount(pool, zones);
  }

  /** projects.locations.clusters.updateMaster; GKE waits for the control plane (regional: one replica at a time). */
  private async upgradeMaster(s: GkeSession, ref: ClusterRef, version: string): Promise<void> {
    const cluster = await this.servingCluster(s, ref);
    if (versionMatches(cluster.currentMasterVersion ?? '', version)) return;
    await s.operation(`upgrade control plane of ${ref.name} to ${version}`, () => s.client.updateMaster({ name: s.names.cluster, masterVersion: version }));
  }

  /** projects.locations.clusters.nodePools.update with the version: GKE surges a node, drains the old one (PDBs respected for up to an hour), and repeats. */
  private async upgradePool(s: GkeSession, ref: ClusterRef, pool: NodePoolSpec, version: string): Promise<number> {
    await this.servingCluster(s, ref);
    const existing = await this.settledPool(s, pool.name);
    if (!existing) throw ApplicationFailure.retryable(`GKE node pool ${pool.name} not found`, FailureType.cloudResourceMissing);
    if (!versionMatches(existing.version ?? '', version)) {
      await s.operation(`upgrade node pool ${pool.name} to ${version}`, () =>
        s.client.updateNodePool({
          name: s.names.pool(pool.name),
          nodeVersion: version,
          imageType: existing.config?.imageType || 'COS_CONTAINERD',
          upgradeSettings: SURGE_UPGRADE,
        }),
      );
    }
    return reportedCount(pool, existing.locations?.length || 1);
  }

  /** The pool once no operation of GKE's is changing it; undefined if it is not there (or was being deleted). */
  private async settledPool(s: GkeSession, name: string): Promise<NodePool | undefined> {
    return s.until(
      () => s.pool(name),
      (p) => !p || !POOL_SETTLING.has(String(p.status)),
    );
  }

  private async deletePool(s: GkeSession, poolName: string): Promise<void> {
    const pool = await s.pool(poolName);
    if (!pool) return;
    if (pool.status !== 'STOPPING') {
      try {
        await s.operation(`delete node pool ${poolName}`, () => s.client.deleteNodePool({ name: s.names.pool(poolName) }));
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    await s.until(
      () => s.pool(poolName),
      (p) => !p,
    );
  }

  private async deleteCluster(s: GkeSession, ref: ClusterRef): Promise<void> {
    const cluster = await s.cluster();
    if (!cluster) return;
    const foreign = notOurs(cluster, ref);
    if (foreign) throw rejected(`not deleting: ${foreign}`);
    if (cluster.status !== 'STOPPING') {
      try {
        await s.operation(`delete GKE cluster ${ref.name}`, () => s.client.deleteCluster({ name: s.names.cluster }));
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    await s.until(
      () => s.cluster(),
      (c) => !c,
    );
  }
}

function adoptCluster(cluster: Cluster, ref: ClusterRef): void {
  const problem = adoptionProblem(cluster, ref);
  if (problem) throw rejected(problem);
  if (cluster.status === 'ERROR') throw rejected(`GKE cluster ${ref.name} is in ERROR: ${statusMessage(cluster)}`);
  if (cluster.status === 'STOPPING') throw ApplicationFailure.retryable(`GKE cluster ${ref.name} is being deleted`, FailureType.beingDeleted);
}
