import { clusterRef, type ClusterSpec } from '../domain/cluster.js';
import type { StepsResult } from '../domain/operations.js';
import { providerActivities } from './provider.js';
import { rootMessage } from '../domain/failures.js';
import { StepTracker } from './steps.js';

export interface DeleteInput {
  org: string;
  spec: ClusterSpec;
  /** Go on past failed steps and report what is left, instead of stopping at the first. */
  force: boolean;
}

/** Child of the cluster entity: everything provisioning made, in reverse order. */
export async function deleteClusterWorkflow({ org, spec, force }: DeleteInput): Promise<StepsResult> {
  const tracker = new StepTracker(`${force ? 'Force-delete' : 'Delete'} ${spec.provider} cluster ${org}/${spec.name}`);
  const cloud = providerActivities(spec.provider);
  const ref = clusterRef(org, spec);
  const leftovers: string[] = [];

  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await tracker.run(name, fn);
    } catch (err) {
      if (!force) throw err;
      leftovers.push(`${name}: ${rootMessage(err)}`);
    }
  };

  await Promise.all(spec.nodePools.map((pool) => step(`delete node pool ${pool.name}`, () => cloud.deleteNodePool(ref, pool.name))));
  await step('delete control plane', () => cloud.deleteControlPlane(ref));
  await step('delete network', () => cloud.deleteNetwork(ref));
  return { steps: tracker.steps, currentCounts: {}, leftovers };
}
