import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities } from '../activities/reconcile.js';
import { clusterWorkflowId, RECONCILE_TASK_QUEUE } from '../domain/ids.js';
import { clusterHealthSignal, reconcileSignal } from './messages.js';
import { reportMetrics } from './metrics.js';

const { listReconcileTargets, checkClusterHealth } = proxyActivities<ReconcileActivities>({
  taskQueue: RECONCILE_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
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
 * org): every deployment checks its targets for drift (and repairs it when
 * it auto-syncs), every cluster's API server is probed.
 */
export async function reconcileWorkflow(input: { org?: string } = {}): Promise<ReconcileResult> {
  const { deployments, clusters } = await listReconcileTargets(input.org);
  await Promise.all(deployments.map((id) => getExternalWorkflowHandle(id).signal(reconcileSignal).catch(() => undefined)));
  const unreachable: string[] = [];
  let next = 0;
  const prober = async () => {
    while (next < clusters.length) {
      const ref = clusters[next++]!;
      const health = await checkClusterHealth(ref).catch((err: Error) => ({ ok: false, message: err.message }));
      if (!health.ok) unreachable.push(`${ref.org}/${ref.name}`);
      await getExternalWorkflowHandle(clusterWorkflowId(ref.org, ref.name)).signal(clusterHealthSignal, health).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, clusters.length) }, prober));
  reportMetrics().reconcilePassed({ clusters: clusters.length, unreachable: unreachable.length, deployments: deployments.length });
  return { deployments: deployments.length, clusters: clusters.length, unreachable };
}
