import type { ClusterRef } from './cluster.js';
import type { LabelSelector } from './label-selector.js';
import type { TargetStatus } from './deployment.js';
import type { OperationState } from './operations.js';
import type { Problem } from './problems.js';
import type { SelectorOverride } from './target-values.js';
import type { AppliedProfile } from './profiles.js';
import type { RolloutProgress, RolloutSpec } from './rollout.js';
import type { Values } from './values.js';

export interface GroupView {
  org: string;
  name: string;
  /** A selector group's members are the clusters its selector matches, then and later; without one, they are named. */
  selector?: LabelSelector;
  members: string[];
  deployments: string[];
  createdAt: string;
  updatedAt: string;
}

/**
 * What a request asks of a group: its first members (a selector group finds them itself), other
 * members, or its end; or what a cluster announced: its labels now, or its deletion.
 */
export type GroupOperationRequest =
  | { type: 'create' | 'setMembers'; members: ClusterRef[] }
  | { type: 'delete'; force: boolean }
  | { type: 'clusterChanged'; cluster: ClusterRef }
  | { type: 'clusterDeleted'; name: string };

export type GroupOperation = GroupOperationRequest & {
  id: string;
  state: OperationState;
  requestId: string;
  error?: string;
  /** Why the members were refused: clusters of another group (conflict), or clusters that are gone (invalid). */
  refusal?: { type: 'conflict' | 'invalid'; problems: Problem[] };
  createdAt: string;
  finishedAt?: string;
};

/**
 * The Update by which a group asks a cluster entity to join it: defined by this name in
 * src/workflows/messages.ts, and sent by name from the membership activity (activities do not
 * import workflow code).
 */
export const JOIN_GROUP_UPDATE = 'joinGroup';
export interface JoinGroupRequest {
  group: string;
}

/**
 * The signal by which a cluster entity tells its org's groups about itself (through the membership
 * activity, which finds them): provisioned or relabelled, with its labels; or deleted. Each group
 * decides what it means for its members.
 */
export const CLUSTER_ANNOUNCED_SIGNAL = 'clusterAnnounced';
export type ClusterAnnouncement = { cluster: ClusterRef } | { deleted: string };

export interface GroupState extends Omit<GroupView, 'members'> {
  /** Members with what a helm activity needs to reach them. */
  members: ClusterRef[];
  deleting?: boolean;
  /** The operation ledger (src/workflows/entity.ts); runs from before it have none. */
  operations: GroupOperation[];
  nextSeq: number;
  requests: Record<string, string>;
}

export function groupView(state: GroupState): GroupView {
  const { org, name, selector, deployments, createdAt, updatedAt } = state;
  return { org, name, ...(selector ? { selector } : {}), deployments, createdAt, updatedAt, members: state.members.map((m) => m.name) };
}

/** A multi-cluster deployment's desired state (docs/architecture.md, decision 5). */
export interface DeploymentSpec {
  releaseName: string;
  /** A chart directory or package on the worker, an `oci://` reference, or a chart name in `repo`. */
  chart: string;
  /** URL of the registered Helm repository the chart comes from (for `<repo>/<chart>` requests). */
  repo?: string;
  version?: string;
  namespace: string;
  values: Values;
  /** Per label selector, in order: deep-merged over `values` on the clusters it matches (absent in specs from before them). */
  valueOverridesBySelector?: SelectorOverride[];
  /** Per cluster name, member or not yet: deep-merged last. Strings may hold `${cluster.…}` placeholders (src/domain/target-values.ts). */
  valueOverrides: Record<string, Values>;
  /** Repair drift found by reconcile without asking. */
  autoSync: boolean;
  /** false: a cluster that joins the group waits for a sync before the release is installed there (absent: true). */
  installOnJoin?: boolean;
  /** Apply wave after wave behind health gates; without it every target at once. */
  rollout?: RolloutSpec;
}

/** One target cluster's last known state of the release. */
export interface TargetRecord {
  clusterName: string;
  provider: string;
  status: TargetStatus;
  stale: boolean;
  chartVersion?: string;
  revision?: number;
  message?: string;
  lastCheckedAt: string;
}

export interface DriftRecord {
  clusterName: string;
  status: TargetStatus;
  reason?: string;
  seenAt: string;
  /** When autoSync repaired it. */
  repairedAt?: string;
}

/** What a request asks of a deployment: install or upgrade everywhere, read every target, or uninstall everywhere. */
export type DeploymentOperationRequest = { type: 'apply'; /** Queued because the group's members changed. */ membersChanged?: boolean } | { type: 'check' } | { type: 'delete'; force: boolean };

export type DeploymentOperation = DeploymentOperationRequest & {
  id: string;
  state: OperationState;
  requestId: string;
  /** Per target outcome of this operation. */
  results: TargetRecord[];
  skipped?: string[];
  /** An apply by waves: where it stands (src/domain/rollout.ts). */
  rollout?: RolloutProgress;
  error?: string;
  createdAt: string;
  finishedAt?: string;
};

export interface DeploymentState {
  org: string;
  group: string;
  spec: DeploymentSpec;
  targets: ClusterRef[];
  /** Clusters the release was installed on, to uninstall from those that leave the group. */
  installedOn: ClusterRef[];
  /** Per target: the provider profiles (name and version) its last install or upgrade applied; absent in states from before profiles. */
  appliedProfiles?: Record<string, AppliedProfile[]>;
  /** Targets where another group's deployment holds the release: never installed on, nor uninstalled from. */
  heldElsewhere?: string[];
  results: Record<string, TargetRecord>;
  drift: DriftRecord[];
  operations: DeploymentOperation[];
  nextSeq: number;
  requests: Record<string, string>;
  status: 'DEPLOYING' | 'DEPLOYED' | 'PARTIAL' | 'DELETING' | 'DELETED' | 'FAILED';
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentView extends DeploymentSpec {
  org: string;
  group: string;
  status: DeploymentState['status'];
  targets: string[];
  /** Last recorded outcome per target; GET of one deployment replaces it with a live read. */
  lastResults: TargetRecord[];
  drift: DriftRecord[];
  createdAt: string;
  updatedAt: string;
}

export function deploymentView(state: DeploymentState): DeploymentView {
  return {
    ...state.spec,
    org: state.org,
    group: state.group,
    status: state.status,
    targets: state.targets.map((t) => t.name),
    lastResults: Object.values(state.results),
    drift: state.drift,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
