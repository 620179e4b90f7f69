import { restorePoller } from '@azure/arm-resources';
import { ApplicationFailure, log } from '@temporalio/activity';
import type { ClusterRef } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import { callOptions, unlessNotFound, type AksContext } from './context.js';
import { isNotFound } from './errors.js';
import { flotillaTags } from './mapping.js';
import { CREATED_BY_TAG, resourceGroupName } from './names.js';
import { fromModular } from './operations.js';

/**
 * The cluster's "network" on AKS is its resource group: AKS makes the VNet
 * itself, inside a node resource group it owns and deletes with the cluster.
 */

export async function ensureResourceGroup(ctx: AksContext, ref: ClusterRef): Promise<void> {
  const { resources } = ctx.clients;
  const name = resourceGroupName(ref);
  const existing = await unlessNotFound(resources.resourceGroups.get(name, { abortSignal: ctx.signal }));
  if (existing?.properties?.provisioningState === 'Deleting') {
    // A cluster of the same name was just deleted; its group goes away within minutes.
    throw ApplicationFailure.retryable(`resource group ${name} is still being deleted`, FailureType.beingDeleted);
  }
  // A group that exists is used as it is, and is not tagged: it is not Flotilla's to delete.
  if (existing) return;
  await resources.resourceGroups.createOrUpdate(name, { location: ref.region, tags: flotillaTags(ref) }, { abortSignal: ctx.signal });
}

export async function deleteResourceGroup(ctx: AksContext, ref: ClusterRef): Promise<void> {
  const { resources } = ctx.clients;
  const name = resourceGroupName(ref);
  const operation = `DELETE resourceGroup ${name}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(resources, state, resources.resourceGroups.delete, callOptions(ctx))),
  );
  if (resumed) return;

  const existing = await unlessNotFound(resources.resourceGroups.get(name, { abortSignal: ctx.signal }));
  if (!existing) return;
  if (existing.tags?.[CREATED_BY_TAG.key] !== CREATED_BY_TAG.value) {
    log.info('keeping resource group that Flotilla did not create', { resourceGroup: name });
    return;
  }
  try {
    await ctx.ops.track(operation, fromModular(resources.resourceGroups.delete(name, callOptions(ctx))));
  } catch (err) {
    if (!isNotFound(err)) throw err; // gone meanwhile: done
  }
}
