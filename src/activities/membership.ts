import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { JOIN_GROUP_UPDATE, type JoinGroupRequest } from '../domain/groups.js';
import { clusterWorkflowId } from '../domain/ids.js';
import { FailureType } from '../domain/problems.js';

/** A cluster's answer to a group that asked it to join. */
export type JoinOutcome = { joined: true } | { joined: false; otherGroup: string } | { joined: false; gone: true };

/**
 * What a group entity asks of cluster entities: workflows cannot send each other updates, so an
 * activity does, and the cluster's validator decides (docs/architecture.md, decision 5). Served on
 * the reconcile task queue, where a Temporal client is at hand.
 */
export interface MembershipActivities {
  joinGroup(org: string, cluster: string, group: string): Promise<JoinOutcome>;
}

export function membershipActivities(client: Client): MembershipActivities {
  return {
    joinGroup: async (org, cluster, group) => {
      try {
        await client.workflow.getHandle(clusterWorkflowId(org, cluster)).executeUpdate<void, [JoinGroupRequest]>(JOIN_GROUP_UPDATE, { args: [{ group }] });
        return { joined: true };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          if (err.cause.type === FailureType.conflict) return { joined: false, otherGroup: String(err.cause.details?.[0]) };
          if (err.cause.type === FailureType.notFound) return { joined: false, gone: true };
        }
        // A cluster whose entity has ended (deleted) or never was.
        if (err instanceof WorkflowNotFoundError || (err as { cause?: { code?: number } }).cause?.code === 5) return { joined: false, gone: true };
        throw err;
      }
    },
  };
}
