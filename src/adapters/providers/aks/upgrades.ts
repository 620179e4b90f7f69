import { restorePoller } from '@azure/arm-containerservice';
import { ApplicationFailure } from '@temporalio/activity';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { sameVersion } from '../../../domain/kubernetes-versions.js';
import { FailureType } from '../../../domain/problems.js';
import type { DrainOptions } from '../provider.js';
import { callOptions, settled, type AksContext } from './context.js';
import { agentPoolBody, managedClusterBody, type ProxySecrets } from './mapping.js';
import { agentPoolName, managedClusterName, resourceGroupName, SYSTEM_POOL } from './names.js';
import { fromModular } from './operations.js';

/**
 * Upgrades: a PUT of the managed cluster with the new kubernetesVersion (its system pool's
 * orchestratorVersion with it, the user pools' left as they are, so that they follow one at a
 * time), then a PUT of each agent pool with the new orchestratorVersion, surging one node and
 * draining each old one for at most the drain timeout.
 */
export async function upgradeManagedCluster(ctx: AksContext, ref: ClusterRef, version: string, secrets: ProxySecrets): Promise<void> {
  const { containers } = ctx.clients;
  const [group, name] = [resourceGroupName(ref), managedClusterName(ref)];
  const operation = `PUT managedCluster ${group}/${name} kubernetesVersion ${version}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(containers, state, containers.managedClusters.createOrUpdate, callOptions(ctx))),
  );
  if (resumed) return;
  const existing = await settled(ctx, () => containers.managedClusters.get(group, name, { abortSignal: ctx.signal }));
  if (!existing) throw ApplicationFailure.retryable(`AKS cluster ${name} not found`, FailureType.cloudResourceMissing);
  if (sameVersion(existing.currentKubernetesVersion ?? existing.kubernetesVersion ?? '', version)) return;
  // The cluster as Flotilla made it (what AKS reports back holds read-only fields a PUT must not send), at the new version;
  // with the proxy's CA and user, which a PUT without them would take away.
  const made = managedClusterBody({ ...ref, kubernetesVersion: version }, secrets);
  const body = { ...made, agentPoolProfiles: made.agentPoolProfiles?.map((p) => (p.name === SYSTEM_POOL.name ? { ...p, orchestratorVersion: version } : p)) };
  await ctx.ops.track(operation, fromModular(containers.managedClusters.createOrUpdate(group, name, body, callOptions(ctx))));
}

export async function upgradeAgentPool(ctx: AksContext, ref: ClusterRef, pool: NodePoolSpec, version: string, drain: DrainOptions): Promise<number> {
  const { containers } = ctx.clients;
  const [group, cluster, name] = [resourceGroupName(ref), managedClusterName(ref), agentPoolName(pool.name)];
  const operation = `PUT agentPool ${group}/${cluster}/${name} orchestratorVersion ${version}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(containers, state, containers.agentPools.createOrUpdate, callOptions(ctx))),
  );
  if (resumed) return resumed.result.count ?? pool.count;
  const existing = await settled(ctx, () => containers.agentPools.get(group, cluster, name, { abortSignal: ctx.signal }));
  if (!existing) throw ApplicationFailure.retryable(`AKS agent pool ${name} not found`, FailureType.cloudResourceMissing);
  if (sameVersion(existing.currentOrchestratorVersion ?? existing.orchestratorVersion ?? '', version)) return existing.count ?? pool.count;
  const body = agentPoolUpgradeBody(agentPoolBody(pool, existing.count), version, drain);
  const result = await ctx.ops.track(operation, fromModular(containers.agentPools.createOrUpdate(group, cluster, name, body, callOptions(ctx))));
  return result.count ?? pool.count;
}

/** The pool as Flotilla made it, at `version`: one node of surge, each old node drained for at most the timeout (AKS counts whole minutes). */
export function agentPoolUpgradeBody<T extends object>(existing: T, version: string, drain: DrainOptions): T & { orchestratorVersion: string; upgradeSettings: { maxSurge: string; drainTimeoutInMinutes: number } } {
  return { ...existing, orchestratorVersion: version, upgradeSettings: { maxSurge: '1', drainTimeoutInMinutes: Math.max(1, Math.ceil(drain.timeoutSeconds / 60)) } };
}
