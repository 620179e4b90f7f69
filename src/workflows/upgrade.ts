import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { clusterRef, type ClusterSpec } from '../domain/cluster.js';
import type { StepsResult } from '../domain/operations.js';
import { clusterVersionSignal } from './messages.js';
import { providerActivities } from './provider.js';
import { StepTracker } from './steps.js';

export interface UpgradeInput {
  org: string;
  /** The cluster as it is: its kubernetesVersion is the control plane's now. */
  spec: ClusterSpec;
  kubernetesVersion: string;
}

/** How long one node's pods may take to leave before the upgrade stops (its PodDisruptionBudgets may hold them). */
export const DRAIN_TIMEOUT_SECONDS = 600;

/**
 * Child of the cluster entity: the control plane first (kubelets may lag the API server, never lead
 * it), then each node pool in turn, surge and drain, so that one pool at a time has nodes leaving.
 * After each step it tells the entity, so the cluster's versions follow even when a later step fails.
 */
export async function upgradeClusterWorkflow({ org, spec, kubernetesVersion: version }: UpgradeInput): Promise<StepsResult> {
  const tracker = new StepTracker(`Upgrade ${spec.provider} cluster ${org}/${spec.name} to Kubernetes ${version}`);
  const cloud = providerActivities(spec.provider);
  const entity = getExternalWorkflowHandle(workflowInfo().parent!.workflowId);

  await tracker.run(`upgrade control plane to ${version}`, () => cloud.upgradeControlPlane(clusterRef(org, spec), version));
  await entity.signal(clusterVersionSignal, { version });
  const upgraded = clusterRef(org, { ...spec, kubernetesVersion: version });
  const currentCounts: Record<string, number> = {};
  for (const pool of spec.nodePools) {
    currentCounts[pool.name] = await tracker.run(`upgrade node pool ${pool.name} to ${version} (surge, drain, replace)`, () =>
      cloud.upgradeNodePool(upgraded, pool, version, { timeoutSeconds: DRAIN_TIMEOUT_SECONDS }),
    );
    await entity.signal(clusterVersionSignal, { version, nodePool: pool.name });
  }
  return { steps: tracker.steps, currentCounts };
}
