import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ClusterView } from '../domain/cluster-state.js';
import { clusterRef, type ClusterRef } from '../domain/cluster.js';
import type { ClusterReads } from '../domain/deployment.js';
import type { DeploymentView } from '../domain/groups.js';
import { answerWithin, coreApi, probeVersion } from '../adapters/kube/client.js';
import { nodeCountsByPool } from '../adapters/kube/node-pools.js';
import { kubeconfigOf, type KubeconfigFetchers } from '../adapters/providers/provider.js';
import { readCluster } from '../adapters/helm/cluster-reads.js';
import type { ReleaseRef } from '../adapters/helm/helm.js';
import { withHeartbeat } from '../adapters/heartbeat.js';

export interface ReconcileTargets {
  deployments: string[];
  clusters: ClusterRef[];
  /** Each deployment's release and the names of its target clusters, from its memo (absent from runs recorded before reads per cluster). */
  releases?: DeploymentReleases[];
}

export interface DeploymentReleases extends ReleaseRef {
  workflowId: string;
  org: string;
  clusters: string[];
}

export interface ClusterHealth {
  ok: boolean;
  message?: string;
  /** Nodes per pool as the cluster's nodes say, when it answered the read. */
  nodeCounts?: Record<string, number>;
}

/** What a reconcile pass needs from outside its workflow: what exists, and whether each cluster answers. */
export interface ReconcileActivities {
  listReconcileTargets(org?: string): Promise<ReconcileTargets>;
  checkClusterHealth(ref: ClusterRef): Promise<ClusterHealth>;
  /** Helm's records and the live drift of these releases on one cluster, read once for them all. */
  readClusterReleases(ref: ClusterRef, releases: ReleaseRef[]): Promise<ClusterReads>;
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
      const views = deployments.flatMap((d) => {
        const view = d.memo?.deployment as DeploymentView | undefined;
        return view ? [{ workflowId: d.workflowId, org: view.org, name: view.releaseName, namespace: view.namespace, clusters: view.targets }] : [];
      });
      return {
        deployments: deployments.map((d) => d.workflowId),
        releases: views,
        clusters: clusters
          .map((c) => c.memo?.cluster as ClusterView | undefined)
          .filter((v): v is ClusterView => v !== undefined && kubeconfigs[v.provider] !== undefined)
          .map((v) => clusterRef(v.org, v)),
      };
    },
    checkClusterHealth: async (ref) => {
      try {
        const kubeconfig = await kubeconfigOf(kubeconfigs, ref);
        await probeVersion(kubeconfig);
        // Pools an autoscaler moves (or nodes that left) show their real size; a cluster that refuses the read is still healthy.
        const nodeCounts = await answerWithin(() => nodeCountsByPool(coreApi(kubeconfig))).catch(() => undefined);
        return { ok: true, ...(nodeCounts ? { nodeCounts } : {}) };
      } catch (err) {
        log.warn('cluster API server unreachable', { cluster: `${ref.org}/${ref.name}`, provider: ref.provider, message: (err as Error).message });
        return { ok: false, message: (err as Error).message };
      }
    },
    readClusterReleases: (ref, releases) => withHeartbeat(async (signal) => readCluster(await kubeconfigOf(kubeconfigs, ref), releases, signal)),
  };
}
