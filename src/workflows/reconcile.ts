import { getExternalWorkflowHandle, patched, proxyActivities } from '@temporalio/workflow';
import type { DeploymentReleases, ReconcileActivities } from '../activities/reconcile.js';
import type { ClusterRef } from '../domain/cluster.js';
import { releaseKey, type ClusterReads, type ReleaseRead } from '../domain/deployment.js';
import { clusterWorkflowId, RECONCILE_TASK_QUEUE } from '../domain/ids.js';
import { clusterHealthSignal, reconcileSignal } from './messages.js';
import { reportMetrics } from './metrics.js';

const { listReconcileTargets, checkClusterHealth } = proxyActivities<ReconcileActivities>({
  taskQueue: RECONCILE_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

// A cluster's read covers every release on it: given longer than a probe, and heartbeating.
const { readClusterReleases } = proxyActivities<ReconcileActivities>({
  taskQueue: RECONCILE_TASK_QUEUE,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 2 },
});

/** Clusters probed at once: a pass stays bounded, and one slow cluster holds up only its own probe. */
const PROBES_AT_ONCE = 10;

export interface ReconcileResult {
  deployments: number;
  clusters: number;
  unreachable: string[];
}

/**
 * One reconcile pass (started by the schedule, or by POST /reconcile for one
 * org): every cluster is read once for all the releases deployed to it, which
 * also tells whether its API server answers (a cluster whose read fails is
 * probed); every deployment gets its targets' reads and checks them for drift
 * (repairing it when it auto-syncs). Runs recorded before reads per cluster
 * signalled the deployments first, to read each target themselves.
 */
export async function reconcileWorkflow(input: { org?: string } = {}): Promise<ReconcileResult> {
  const { deployments, clusters, releases } = await listReconcileTargets(input.org);
  const perCluster = releases !== undefined && patched('reconcile-reads-per-cluster');
  if (!perCluster) await Promise.all(deployments.map((id) => getExternalWorkflowHandle(id).signal(reconcileSignal).catch(() => undefined)));
  const reads = new Map<string, ClusterReads>();
  const unreachable: string[] = [];
  let next = 0;
  const prober = async () => {
    while (next < clusters.length) {
      const ref = clusters[next++]!;
      const wanted = perCluster ? releasesOn(ref, releases!) : [];
      const read = wanted.length ? await readClusterReleases(ref, wanted).catch(() => undefined) : undefined;
      if (read) reads.set(`${ref.org}/${ref.name}`, read);
      const health = read ? { ok: true } : await checkClusterHealth(ref).catch((err: Error) => ({ ok: false, message: err.message }));
      if (!health.ok) unreachable.push(`${ref.org}/${ref.name}`);
      await getExternalWorkflowHandle(clusterWorkflowId(ref.org, ref.name)).signal(clusterHealthSignal, health).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, clusters.length) }, prober));
  if (perCluster) {
    // A deployment without a memo yet (just started) is signalled too, with no reads: it reads its targets itself.
    const byId = new Map(releases!.map((r) => [r.workflowId, r]));
    await Promise.all(
      deployments.map((id) => {
        const release = byId.get(id);
        return getExternalWorkflowHandle(id).signal(reconcileSignal, { reads: release ? readsOf(release, reads) : {} }).catch(() => undefined);
      }),
    );
  }
  reportMetrics().reconcilePassed({ clusters: clusters.length, unreachable: unreachable.length, deployments: deployments.length });
  return { deployments: deployments.length, clusters: clusters.length, unreachable };
}

/** The releases of the cluster's org deployed to it. */
function releasesOn(ref: ClusterRef, releases: readonly DeploymentReleases[]): { name: string; namespace: string }[] {
  return releases.filter((r) => r.org === ref.org && r.clusters.includes(ref.name)).map(({ name, namespace }) => ({ name, namespace }));
}

/** A deployment's reads, by target cluster; a cluster that could not be read is left out (the deployment reads it itself). */
function readsOf(release: DeploymentReleases, reads: ReadonlyMap<string, ClusterReads>): Record<string, ReleaseRead | null> {
  const key = releaseKey(release);
  return Object.fromEntries(
    release.clusters.flatMap((cluster) => {
      const read = reads.get(`${release.org}/${cluster}`)?.[key];
      return read === undefined ? [] : [[cluster, read]];
    }),
  );
}
