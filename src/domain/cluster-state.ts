import { clusterLabels } from './cluster-labels.js';
import type { ClusterSpec, ClusterStatus, NodePoolSpec } from './cluster.js';
import type { Operation } from './operations.js';

/** The whole of a cluster entity's state: carried across continue-as-new. */
export interface ClusterState {
  org: string;
  /** Desired state: updated when a request is accepted, before it runs. */
  spec: ClusterSpec;
  status: ClusterStatus;
  message?: string;
  /** The pools whose nodes are not at the control plane's version (spec.kubernetesVersion): a failed upgrade left them behind. */
  nodePoolVersions?: Record<string, string>;
  /** Observed node count per pool, as the provider last reported it. */
  currentCounts: Record<string, number>;
  /** Queued, running and the most recent finished operations, oldest first. */
  operations: Operation[];
  nextSeq: number;
  /** Request ID → operation ID of recent requests, so a retried request is not applied twice. */
  requests: Record<string, string>;
  createRequestId: string;
  /** The cluster group it belongs to, if any. */
  group?: string;
  /** Whether the cluster-autoscaler release Flotilla installs (installsClusterAutoscaler) is on the cluster. */
  clusterAutoscaler?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NodePoolView extends NodePoolSpec {
  /** Its nodes' version: the control plane's, or an older one while an upgrade has not reached the pool. */
  kubernetesVersion: string;
  desiredCount: number;
  currentCount: number | null;
}

export interface OperationSummary {
  id: string;
  type: Operation['type'];
  state: Operation['state'];
  /** The child workflow that carries it out. */
  workflowId: string;
  currentStep?: string;
}

export interface ClusterView {
  org: string;
  name: string;
  provider: ClusterSpec['provider'];
  region: string;
  /** The control plane's. */
  kubernetesVersion: string;
  secretId?: string;
  flavor?: ClusterSpec['flavor'];
  network?: ClusterSpec['network'];
  /** The tenant's labels and the flotilla.io/ ones every cluster carries. */
  labels: Record<string, string>;
  status: ClusterStatus;
  message?: string;
  group?: string;
  nodePools: NodePoolView[];
  /** The operation running now, if any. */
  operation?: OperationSummary;
  queuedOperations: number;
  createdAt: string;
  updatedAt: string;
}

export function summarizeOperation(op: Operation): OperationSummary {
  const current = [...op.steps].reverse().find((s) => s.state === 'RUNNING');
  return { id: op.id, type: op.type, state: op.state, workflowId: op.workflowId, ...(current ? { currentStep: current.name } : {}) };
}

export function clusterView(state: ClusterState): ClusterView {
  const { spec } = state;
  const running = state.operations.find((op) => op.state === 'RUNNING');
  return {
    org: state.org,
    name: spec.name,
    provider: spec.provider,
    region: spec.region,
    kubernetesVersion: spec.kubernetesVersion,
    ...(spec.secretId ? { secretId: spec.secretId } : {}),
    ...(spec.flavor ? { flavor: spec.flavor } : {}),
    ...(spec.network ? { network: spec.network } : {}),
    labels: clusterLabels(spec),
    status: state.status,
    ...(state.message ? { message: state.message } : {}),
    ...(state.group ? { group: state.group } : {}),
    nodePools: spec.nodePools.map((pool) => ({
      ...pool,
      kubernetesVersion: state.nodePoolVersions?.[pool.name] ?? spec.kubernetesVersion,
      desiredCount: pool.count,
      currentCount: state.currentCounts[pool.name] ?? null,
    })),
    ...(running ? { operation: summarizeOperation(running) } : {}),
    queuedOperations: state.operations.filter((op) => op.state === 'QUEUED').length,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
