import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ClusterView } from '../domain/cluster-state.js';
import { clusterRef, type ClusterRef } from '../domain/cluster.js';
import { probeVersion } from '../adapters/kube/client.js';
import { kubeconfigOf, type KubeconfigFetchers } from '../adapters/providers/provider.js';

export interface ReconcileTargets {
  deployments: string[];
  clusters: ClusterRef[];
}

export interface ClusterHealth {
  ok: boolean;
  message?: string;
}

/** What a reconcile pass needs from outside its workflow: what exists, and whether each cluster answers. */
export interface ReconcileActivities {
  listReconcileTargets(org?: string): Promise<ReconcileTargets>;
  checkClusterHealth(ref: ClusterRef): Promise<ClusterHealth>;
}

export function reconcileActivities(client: Client, kubeconfigs: KubeconfigFetchers): ReconcileActivities {
  const list = async (query: string) => {
    const found = [];
    for await (const execution of client.workflow.list({ query })) found.push(execution);
    return found;
  };
  return {
    listReconcileTargets: async (org) => {
      const inOrg = org ? ` AND FlotillaOrg = '${org}'` : '';
      const deployments = await list(`FlotillaKind = 'deployment' AND ExecutionStatus = 'Running'${inOrg}`);
      const clusters = await list(`FlotillaKind = 'cluster' AND ExecutionStatus = 'Running' AND (FlotillaStatus = 'RUNNING' OR FlotillaStatus = 'WARNING')${inOrg}`);
      return {
        deployments: deployments.map((d) => d.workflowId),
        clusters: clusters
          .map((c) => c.memo?.cluster as ClusterView | undefined)
          .filter((v): v is ClusterView => v !== undefined && kubeconfigs[v.provider] !== undefined)
          .map((v) => clusterRef(v.org, v)),
      };
    },
    checkClusterHealth: async (ref) => {
      try {
        await probeVersion(await kubeconfigOf(kubeconfigs, ref));
        return { ok: true };
      } catch (err) {
        log.warn('cluster API server unreachable', { cluster: `${ref.org}/${ref.name}`, provider: ref.provider, message: (err as Error).message });
        return { ok: false, message: (err as Error).message };
      }
    },
  };
}
