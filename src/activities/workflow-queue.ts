import type { Client } from '@temporalio/client';
import { membershipActivities, type MembershipActivities } from './membership.js';
import { profileActivities, type ProfileActivities } from './profiles.js';

/**
 * The activities served on the workflows' own task queue: entities asking each other (membership)
 * and deployments reading their org's profiles. One function, so every worker that serves the
 * workflows serves all of them (a worker missing one fails those runs, not its start).
 */
export type WorkflowQueueActivities = MembershipActivities & ProfileActivities;

export function workflowQueueActivities(client: Client): WorkflowQueueActivities {
  return { ...membershipActivities(client), ...profileActivities(client) };
}
