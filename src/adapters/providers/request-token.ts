import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';

/**
 * Idempotency token for a cloud create call (a client request token): the same
 * for every attempt of the same workflow step, so the cloud answers a retry
 * with what the first attempt made instead of making a second one.
 */
export function requestToken(suffix: string): string {
  const { workflowExecution, activityId } = Context.current().info;
  return createHash('sha256').update(`${workflowExecution?.workflowId ?? activityId}/${suffix}`).digest('hex').slice(0, 64);
}
