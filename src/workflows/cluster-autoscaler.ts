import { proxyActivities } from '@temporalio/workflow';
import type { HelmActivities } from '../activities/helm.js';
import type { ClusterAutoscalerChange } from '../domain/cluster-autoscaler.js';
import type { ClusterRef } from '../domain/cluster.js';
import { HELM_TASK_QUEUE } from '../domain/ids.js';
import type { StepTracker } from './steps.js';

// A cluster that does not answer yet (an EKS API server just made) is retried for a few minutes.
const helm = proxyActivities<HelmActivities>({
  taskQueue: HELM_TASK_QUEUE,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

/**
 * The step that installs the cluster-autoscaler's chart with a cluster's first autoscaled pool, or
 * removes it with the last (the entity decides which: src/domain/cluster-autoscaler.ts). Runs
 * started without a change (all runs from before it existed) run no step.
 */
export async function applyClusterAutoscaler(tracker: StepTracker, ref: ClusterRef, change: ClusterAutoscalerChange | undefined): Promise<void> {
  if (change === 'install') await tracker.run('install cluster-autoscaler', () => helm.installClusterAutoscaler(ref));
  if (change === 'remove') await tracker.run('remove cluster-autoscaler', () => helm.removeClusterAutoscaler(ref));
}
