import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { ClusterState } from '../../src/domain/cluster-state.js';
import type { ClusterSpec } from '../../src/domain/cluster.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { flotillaDataConverter } from '../../src/temporal/codec.js';
import { clusterEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { clusterWorkflow } from '../../src/workflows/cluster.js';
import { clusterStateQuery } from '../../src/workflows/messages.js';
import { eventually, testCodec } from '../helpers/stack.js';

/** A client of the test run's Temporal (or of `address`), with the suite's payload codec. */
export async function chaosClient(options: { address?: string; namespace?: string } = {}): Promise<Client> {
  const connection = await Connection.connect({ address: options.address ?? process.env.TEMPORAL_ADDRESS! });
  return new Client({ connection, namespace: options.namespace ?? 'default', dataConverter: flotillaDataConverter(testCodec()) });
}

/** Starts a cluster entity directly, as the API would. */
export function startCluster(client: Client, org: string, spec: ClusterSpec): Promise<WorkflowHandle<typeof clusterWorkflow>> {
  return startEntity(client, clusterEntity({ org, spec, requestId: `create-${spec.name}` }));
}

/** The entity's state once `ready` holds for it; queries wait for a worker, so this also waits for a restarted one. */
export async function clusterStateWhen(client: Client, org: string, name: string, ready: (s: ClusterState) => boolean, what: string, timeoutMs = 300_000): Promise<ClusterState> {
  const handle = client.workflow.getHandle(clusterWorkflowId(org, name));
  return eventually(async () => {
    const state: ClusterState = await handle.query(clusterStateQuery);
    return ready(state) ? state : undefined;
  }, `${org}/${name} ${what}`, timeoutMs);
}

/** Every operation of the entity has finished and it is in `status`. */
export const settledIn = (status: ClusterState['status']) => (s: ClusterState) =>
  s.status === status && s.operations.every((op) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.state));

/** Prints what a chaos test reached, for the figures in docs/reliability.md. */
export function report(title: string, figures: Record<string, number | string>): void {
  console.log(`[chaos] ${title}\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
}
