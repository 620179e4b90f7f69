import { restorePoller } from '@azure/arm-containerservice';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { callOptions, settled, type AksContext } from './context.js';
import { isNotFound } from './errors.js';
import { agentPoolBody, agentPoolMatches } from './mapping.js';
import { agentPoolName, managedClusterName, resourceGroupName } from './names.js';
import { fromModular } from './operations.js';

/** Flotilla's node pools: one AKS agent pool (mode User) each. */

/** Creates the pool or brings it to the spec; returns its node count now. */
export async function ensureAgentPool(ctx: AksContext, ref: ClusterRef, pool: NodePoolSpec): Promise<number> {
  const { containers } = ctx.clients;
  const [group, cluster, name] = [resourceGroupName(ref), managedClusterName(ref), agentPoolName(pool.name)];
  const operation = `PUT agentPool ${group}/${cluster}/${name}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(containers, state, containers.agentPools.createOrUpdate, callOptions(ctx))),
  );
  if (resumed) return resumed.result.count ?? pool.count;

  // An operation still running on the pool (an attempt that crashed before saving its poller) is waited out, not raced.
  const existing = await settled(ctx, () => containers.agentPools.get(group, cluster, name, { abortSignal: ctx.signal }));
  if (existing?.provisioningState === 'Succeeded' && agentPoolMatches(existing, pool)) return existing.count ?? 0;

  const result = await ctx.ops.track(
    operation,
    fromModular(containers.agentPools.createOrUpdate(group, cluster, name, agentPoolBody(pool, existing?.count), callOptions(ctx))),
  );
  return result.count ?? pool.count;
}

export async function deleteAgentPool(ctx: AksContext, ref: ClusterRef, poolName: string): Promise<void> {
  const { containers } = ctx.clients;
  const [group, cluster, name] = [resourceGroupName(ref), managedClusterName(ref), agentPoolName(poolName)];
  const operation = `DELETE agentPool ${group}/${cluster}/${name}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(containers, state, containers.agentPools.delete, callOptions(ctx))),
  );
  if (resumed) return;
  try {
    // 204 when the pool is absent; 404 when the cluster or its group is gone: done either way.
    await ctx.ops.track(operation, fromModular(containers.agentPools.delete(group, cluster, name, callOptions(ctx))));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
