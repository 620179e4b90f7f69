import { restorePoller, type ManagedCluster } from '@azure/arm-containerservice';
import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRef } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import type { AzureClients } from './clients.js';
import { callOptions, isInProgress, unlessNotFound, type AksContext } from './context.js';
import { isNotFound } from './errors.js';
import { managedClusterBody, type ProxySecrets } from './mapping.js';
import { managedClusterName, resourceGroupName } from './names.js';
import { fromModular } from './operations.js';

/** The managed cluster: AKS's control plane, made with its system pool. */

/** `secrets`: what the proxy's secrets hold, when the cluster names them. */
export async function createManagedCluster(ctx: AksContext, ref: ClusterRef, secrets: ProxySecrets): Promise<void> {
  const { containers } = ctx.clients;
  const [group, name] = [resourceGroupName(ref), managedClusterName(ref)];
  const operation = `PUT managedCluster ${group}/${name}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(containers, state, containers.managedClusters.createOrUpdate, callOptions(ctx))),
  );
  if (resumed) return;

  const existing = await unlessNotFound(containers.managedClusters.get(group, name, { abortSignal: ctx.signal }));
  if (existing?.provisioningState === 'Deleting') {
    throw ApplicationFailure.retryable(`AKS cluster ${name} is still being deleted`, FailureType.beingDeleted);
  }
  // Made, or being made, by an earlier attempt: awaitControlPlane waits for it. Failed or Canceled: PUT again, which is AKS's way to reconcile.
  if (existing && (existing.provisioningState === 'Succeeded' || isInProgress(existing.provisioningState))) return;
  await ctx.ops.track(operation, fromModular(containers.managedClusters.createOrUpdate(group, name, managedClusterBody(ref, secrets), callOptions(ctx))));
}

export async function awaitManagedCluster(ctx: AksContext, ref: ClusterRef): Promise<void> {
  const { containers } = ctx.clients;
  const [group, name] = [resourceGroupName(ref), managedClusterName(ref)];
  for (;;) {
    // A 404 is thrown, as a retryable failure: the cluster was made by the previous step, so ARM is lagging.
    const cluster = await containers.managedClusters.get(group, name, { abortSignal: ctx.signal });
    const state = cluster.provisioningState;
    if (state === 'Succeeded') return;
    if (state === 'Failed' || state === 'Canceled' || state === 'Deleting') {
      throw ApplicationFailure.create({
        message: `AKS cluster ${name} is ${state}${provisioningError(cluster)}`,
        type: FailureType.nonRetryableCloud,
        nonRetryable: true,
      });
    }
    await sleep(ctx.pollIntervalMs, undefined, { signal: ctx.signal });
  }
}

export async function deleteManagedCluster(ctx: AksContext, ref: ClusterRef): Promise<void> {
  const { containers } = ctx.clients;
  const [group, name] = [resourceGroupName(ref), managedClusterName(ref)];
  const operation = `DELETE managedCluster ${group}/${name}`;
  const resumed = await ctx.ops.resume(operation, (state) =>
    fromModular(restorePoller(containers, state, containers.managedClusters.delete, callOptions(ctx))),
  );
  if (resumed) return;
  try {
    // DELETE is idempotent in ARM (204 when absent); a 404 means the resource group is gone too.
    await ctx.ops.track(operation, fromModular(containers.managedClusters.delete(group, name, callOptions(ctx))));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The cluster's user kubeconfig, as AKS issues it (listClusterUserCredential). */
export async function userKubeconfig(clients: AzureClients, ref: ClusterRef): Promise<string> {
  const result = await clients.containers.managedClusters.listClusterUserCredentials(resourceGroupName(ref), managedClusterName(ref));
  const value = result.kubeconfigs?.[0]?.value;
  if (!value) throw new Error(`AKS returned no kubeconfig for cluster ${ref.org}/${ref.name}`);
  // The wire format is base64; the SDK decodes it into bytes (older SDKs left a string).
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : Buffer.from(value).toString('utf8');
}

function provisioningError(cluster: ManagedCluster): string {
  const error = (cluster as ManagedCluster & { status?: { provisioningError?: { code?: string; message?: string } } }).status?.provisioningError;
  return error ? `: ${error.code ?? 'Error'}: ${error.message ?? ''}` : '';
}
