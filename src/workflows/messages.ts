// Updates and queries of the workflows, shared by the workflows and the API
// client so both sides agree on names and types.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ClusterState, OperationSummary } from '../domain/cluster-state.js';
import type { NodePoolChanges, NodePoolSpec } from '../domain/cluster.js';
import type { Operation, Step } from '../domain/operations.js';

export interface AddNodePoolRequest {
  requestId: string;
  pool: NodePoolSpec;
}

export interface UpdateNodePoolRequest {
  requestId: string;
  pool: string;
  changes: NodePoolChanges;
}

export interface RemoveNodePoolRequest {
  requestId: string;
  pool: string;
}

export interface DeleteClusterRequest {
  requestId: string;
  /** Delete what can be deleted, report the rest; preempts a running operation. */
  force?: boolean;
}

export const addNodePoolUpdate = defineUpdate<OperationSummary, [AddNodePoolRequest]>('addNodePool');
export const updateNodePoolUpdate = defineUpdate<OperationSummary, [UpdateNodePoolRequest]>('updateNodePool');
export const removeNodePoolUpdate = defineUpdate<OperationSummary, [RemoveNodePoolRequest]>('removeNodePool');
export const deleteClusterUpdate = defineUpdate<OperationSummary, [DeleteClusterRequest]>('deleteCluster');

export const clusterStateQuery = defineQuery<ClusterState>('state');
export const operationQuery = defineQuery<Operation | null, [string]>('operation');

/** Live steps of a running step workflow (provision, delete, node pool change). */
export const progressQuery = defineQuery<Step[]>('progress');
