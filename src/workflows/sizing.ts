import { proxyActivities } from '@temporalio/workflow';
import type { HelmActivities } from '../activities/helm.js';
import { HELM_TASK_QUEUE } from '../domain/ids.js';
import type { ChartWorkload } from '../domain/recommend/workload.js';

const { helmWorkload } = proxyActivities<HelmActivities>({
  taskQueue: HELM_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  // A chart that does not render fails at once (non-retryable); a lost worker or a download is tried again.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

export interface SizingWorkflowInput {
  org: string;
  release: Parameters<HelmActivities['helmWorkload']>[0];
}

/**
 * A chart's workload for POST /recommendations (docs/economics.md, "Sizing for
 * a chart"): rendered on the `helm` task queue, where helm runs for every
 * deployment, so the helm workers' activity slots bound how many render at
 * once, not the API. Only the sums come back into the history.
 */
export async function sizingWorkflow(input: SizingWorkflowInput): Promise<ChartWorkload> {
  return helmWorkload(input.release);
}
