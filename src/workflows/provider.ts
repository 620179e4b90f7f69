import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities } from '../activities/provider.js';
import { providerTaskQueue } from '../domain/ids.js';
import { FailureType } from '../domain/problems.js';

/**
 * The provider's activities, on its own task queue. Cloud calls retry with
 * backoff (throttling, 5xx, a crashed worker); a bounded number of attempts
 * turns a cloud that keeps failing into an ERROR with its message instead of a
 * cluster stuck in CREATING. Cancellation waits for the activity to stop, so a
 * forced delete never races a create that is still running.
 */
export function providerActivities(provider: string) {
  return proxyActivities<ProviderActivities>({
    taskQueue: providerTaskQueue(provider),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [FailureType.nonRetryableCloud, FailureType.invalid],
    },
  });
}
