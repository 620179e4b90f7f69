import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ClusterView } from '../domain/cluster-state.js';
import { clusterRef, type ClusterRef } from '../domain/cluster.js';
import { CLUSTER_ANNOUNCED_SIGNAL, JOIN_GROUP_UPDATE, type ClusterAnnouncement, type DeploymentView, type JoinGroupRequest } from '../domain/groups.js';
import { clusterWorkflowId } from '../domain/ids.js';
import { FailureType } from '../domain/problems.js';

/** A cluster's answer to a group that asked it to join. */
export type JoinOutcome = { joined: true } | { joined: false; otherGroup: string } | { joined: false; gone: true };

/** A cluster a deployment can be installed on: provisioned, and not being deleted. */
const PROVISIONED: readonly string[] = ['RUNNING', 'UPDATING', 'WARNING'];

/**
 * What group and cluster entities ask of each other: workflows cannot send each other updates, nor
 * list workflows, so an activity does (docs/architecture.md, decision 5). Served with the
 * workflows, where a Temporal client is at hand.
 */
export interface MembershipActivities {
  joinGroup(org: string, cluster: string, group: string): Promise<JoinOutcome>;
  /** Tells every live group of the org what became of a cluster; each group decides what it means for it. */
  announceCluster(org: string, announcement: ClusterAnnouncement): Promise<void>;
  /** The org's provisioned clusters: what a new selector group chooses its members from. */
  provisionedClusters(org: string): Promise<ClusterRef[]>;
  /**
   * For each of `clusters`, another group's deployment that holds the release there (same name and
   * namespace), if any: the one installed there, else the one created first.
   */
  releaseHolders(deployment: Pick<DeploymentView, 'org' | 'group' | 'releaseName' | 'namespace' | 'createdAt'>, clusters: string[]): Promise<Record<string, string>>;
}

/** Installed there, in whatever state Helm has it. */
const INSTALLED = (status: string) => !['NOT_INSTALLED', 'UNKNOWN', 'FAILED'].includes(status);

export function membershipActivities(client: Client): MembershipActivities {
  const running = async function* (org: string, kind: string) {
    yield* client.workflow.list({ query: `FlotillaKind = '${kind}' AND FlotillaOrg = '${org}' AND ExecutionStatus = 'Running'` });
  };
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
    announceCluster: async (org, announcement) => {
      for await (const group of running(org, 'clustergroup')) {
        // A group that ended since it was listed has nothing to hear.
        await client.workflow
          .getHandle(group.workflowId)
          .signal<[ClusterAnnouncement]>(CLUSTER_ANNOUNCED_SIGNAL, announcement)
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
      }
    },
    provisionedClusters: async (org) => {
      const found: ClusterRef[] = [];
      for await (const execution of running(org, 'cluster')) {
        const view = execution.memo?.cluster as ClusterView | undefined;
        if (view && PROVISIONED.includes(view.status)) found.push(clusterRef(org, view));
      }
      return found;
    },
    releaseHolders: async (self, clusters) => {
      const holders: Record<string, string> = {};
      for await (const execution of running(self.org, 'deployment')) {
        const other = execution.memo?.deployment as DeploymentView | undefined;
        if (!other || other.group === self.group || other.releaseName !== self.releaseName || other.namespace !== self.namespace) continue;
        for (const cluster of clusters.filter((c) => other.targets.includes(c) && !holders[c])) {
          const installed = other.lastResults.some((r) => r.clusterName === cluster && INSTALLED(r.status));
          if (installed || other.createdAt < self.createdAt) holders[cluster] = `deployment '${other.releaseName}' of group '${other.group}'`;
        }
      }
      return holders;
    },
  };
}
