import { proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities, VersionsQuery } from '../activities/provider.js';
import { providerTaskQueue } from '../domain/ids.js';
import { withUpgradePaths, type ListedVersion } from '../domain/kubernetes-versions.js';
import { FailureType } from '../domain/problems.js';

export interface KubernetesVersionsInput extends VersionsQuery {
  provider: string;
}

/**
 * The versions a provider offers (GET /kubernetes-versions), read by its adapter on its own
 * task queue, where its credentials are; each with the versions it may be upgraded to.
 */
export async function kubernetesVersionsWorkflow(input: KubernetesVersionsInput): Promise<ListedVersion[]> {
  const { provider, ...query } = input;
  // A read the tenant waits for: a few quick attempts, not a provisioning step's patience.
  const { kubernetesVersions } = proxyActivities<Required<ProviderActivities>>({
    taskQueue: providerTaskQueue(provider),
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.nonRetryableCloud, FailureType.invalid] },
  });
  return withUpgradePaths(await kubernetesVersions(query));
}
