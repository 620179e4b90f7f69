import type { NodePoolSpec } from './cluster.js';

export const OPERATION_TYPES = ['provision', 'addNodePool', 'updateNodePool', 'removeNodePool', 'delete', 'upgrade'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];
export type OperationState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface Step {
  name: string;
  state: 'RUNNING' | 'DONE' | 'FAILED';
  startedAt: string;
  finishedAt?: string;
  message?: string;
}

/** What a request asks of a cluster entity, one variant per operation type. */
export type OperationRequest =
  | { type: 'provision' }
  /** The pool as it should be afterwards. */
  | { type: 'addNodePool' | 'updateNodePool'; nodePool: NodePoolSpec }
  | { type: 'removeNodePool'; nodePool: { name: string } }
  /** force: delete what can be deleted, report the rest. */
  | { type: 'delete'; force: boolean }
  /** The control plane, then each pool in turn, to this version (one minor up, src/domain/kubernetes-versions.ts). */
  | { type: 'upgrade'; kubernetesVersion: string };

/** One accepted request on an entity, from the queue to its outcome. */
export type Operation = OperationRequest & {
  id: string;
  state: OperationState;
  requestId: string;
  /** The child workflow that carries it out (readable, shown in the Web UI). */
  workflowId: string;
  steps: Step[];
  error?: string;
  /** What a forced delete could not remove. */
  leftovers?: string[];
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
};

/** What a step child workflow hands back to its entity. */
export interface StepsResult {
  steps: Step[];
  /** Node counts observed per pool after the operation. */
  currentCounts?: Record<string, number>;
  leftovers?: string[];
}

/**
 * How many steps an operation's step workflow runs: provisioning makes the
 * network, the control plane (create, await) and every pool; deleting removes
 * every pool, the control plane and the network; an upgrade, the control plane and every pool; a
 * pool change is one step.
 */
export function plannedStepCount(type: OperationType, poolCount: number): number {
  if (type === 'provision') return 3 + poolCount;
  if (type === 'delete') return poolCount + 2;
  if (type === 'upgrade') return 1 + poolCount;
  return 1;
}

export function isFinished(op: Pick<Operation, 'state'>): boolean {
  return op.state === 'SUCCEEDED' || op.state === 'FAILED' || op.state === 'CANCELLED';
}
