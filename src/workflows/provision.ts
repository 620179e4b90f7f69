import { patched } from '@temporalio/workflow';
import { clusterRef, type ClusterSpec } from '../domain/cluster.js';
import type { StepsResult } from '../domain/operations.js';
import { providerActivities } from './provider.js';
import { StepTracker } from './steps.js';
import { applyClusterAutoscaler } from './cluster-autoscaler.js';
import type { ClusterAutoscalerChange } from '../domain/cluster-autoscaler.js';

export interface ProvisionInput {
  org: string;
  spec: ClusterSpec;
  /** 'install' when a pool autoscales on a provider whose autoscaler Flotilla installs. */
  clusterAutoscaler?: ClusterAutoscalerChange;
}

/** Child of the cluster entity: network, control plane, then every pool in parallel. */
export async function provisionClusterWorkflow({ org, spec, clusterAutoscaler }: ProvisionInput): Promise<StepsResult> {
  const tracker = new StepTracker(`Provision ${spec.provider} cluster ${org}/${spec.name}`);
  const cloud = providerActivities(spec.provider);
  const ref = clusterRef(org, spec);

  const made = await tracker.run('ensure network', () => cloud.ensureNetwork(ref));
  // What the network step made goes to the steps that build on it, instead of each finding it again
  // (EKS: ten EC2 lookups); runs from before keep calling them as they did.
  const network = patched('pass-network-forward') && made ? [made] : [];
  await tracker.run('create control plane', () => cloud.createControlPlane(ref, ...network));
  await tracker.run('await control plane', () => cloud.awaitControlPlane(ref));
  const counts = await Promise.all(
    spec.nodePools.map((pool) => tracker.run(`create node pool ${pool.name}`, () => cloud.createNodePool(ref, pool, ...network))),
  );
  await applyClusterAutoscaler(tracker, ref, clusterAutoscaler);
  return {
    steps: tracker.steps,
    currentCounts: Object.fromEntries(spec.nodePools.map((pool, i) => [pool.name, counts[i]!])),
  };
}
