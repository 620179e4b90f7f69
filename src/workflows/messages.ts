// Updates and queries of the workflows, shared by the workflows and the API
// client so both sides agree on names and types.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LabelChanges } from '../domain/cluster-labels.js';
import type { ClusterState, ClusterView, OperationSummary } from '../domain/cluster-state.js';
import type { Profile, ProfileSpec } from '../domain/profiles.js';
import type { ClusterRef, ClusterStatus, NodePoolChanges, NodePoolSpec } from '../domain/cluster.js';
import type { RolloutAction } from '../domain/rollout.js';
import type { ReleaseRead } from '../domain/deployment.js';
import {
  CLUSTER_ANNOUNCED_SIGNAL,
  JOIN_GROUP_UPDATE,
  type ClusterAnnouncement,
  type DeploymentOperation,
  type DeploymentSpec,
  type DeploymentState,
  type GroupState,
  type GroupView,
  type JoinGroupRequest,
} from '../domain/groups.js';
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

/** The entity's answer to its create request: where it stands and the operation that provisions it. */
export interface ClusterCreated {
  status: ClusterStatus;
  operationId: string;
}

/**
 * Sent with the entity's start (update-with-start): answers the request that
 * created it, and rejects any other one as a conflict (the cluster exists).
 */
export const createClusterUpdate = defineUpdate<ClusterCreated, [{ requestId: string }]>('createCluster');
export const addNodePoolUpdate = defineUpdate<OperationSummary, [AddNodePoolRequest]>('addNodePool');
export const updateNodePoolUpdate = defineUpdate<OperationSummary, [UpdateNodePoolRequest]>('updateNodePool');
export const removeNodePoolUpdate = defineUpdate<OperationSummary, [RemoveNodePoolRequest]>('removeNodePool');
export const deleteClusterUpdate = defineUpdate<OperationSummary, [DeleteClusterRequest]>('deleteCluster');
/**
 * PUT /clusters/{name}/nodepools/{pool}, handed over without waiting for a worker (the server
 * acknowledges a signal on its own): the entity queues the change as the Update would, or records
 * it as a FAILED operation with the reason; either way under handedOverOperationId(name, requestId),
 * the ID the API answered with (docs/architecture.md, decision 2).
 */
export const updateNodePoolSignal = defineSignal<[UpdateNodePoolRequest]>('updateNodePoolHandedOver');
/** PATCH /clusters/{name} { labels }: merged into the tenant's labels at once (no operation: nothing changes in the cloud). */
/** PATCH /clusters/{name} { kubernetesVersion }: an upgrade, one minor up, queued like every change. */
export const upgradeClusterUpdate = defineUpdate<OperationSummary, [{ requestId: string; kubernetesVersion: string }]>('upgradeCluster');
/** From a running upgrade to its entity: the control plane (no nodePool) or a pool now serves this version. */
export const clusterVersionSignal = defineSignal<[{ version: string; nodePool?: string }]>('clusterVersion');
export const setClusterLabelsUpdate = defineUpdate<ClusterView, [{ labels: LabelChanges }]>('setClusterLabels');

export const clusterStateQuery = defineQuery<ClusterState>('state');
export const operationQuery = defineQuery<Operation | null, [string]>('operation');

/** Live steps of a running step workflow (provision, delete, node pool change). */
export const progressQuery = defineQuery<Step[]>('progress');

// Cluster groups and deployments.

/** Sent by a group to a cluster entity: the group it now belongs to, or null. */
export const clusterGroupSignal = defineSignal<[string | null]>('clusterGroup');
/**
 * Asked of a cluster entity for a group (through the membership activity): join it, or be refused
 * (FailureType.conflict, the other group in the details) when the cluster belongs to another group.
 * The entity answers one request at a time, so of two groups claiming one cluster only one wins.
 */
export const joinGroupUpdate = defineUpdate<void, [JoinGroupRequest]>(JOIN_GROUP_UPDATE);

export interface SetGroupMembersRequest {
  requestId: string;
  members: ClusterRef[];
}

export const setGroupMembersUpdate = defineUpdate<GroupView, [SetGroupMembersRequest]>('setGroupMembers');
export const deleteGroupUpdate = defineUpdate<GroupView, [{ requestId: string; force?: boolean }]>('deleteGroup');
export const groupStateQuery = defineQuery<GroupState>('groupState');
export const deploymentAddedSignal = defineSignal<[string]>('deploymentAdded');
export const deploymentRemovedSignal = defineSignal<[string]>('deploymentRemoved');
/** Sent to every group of the org by the membership activity, for a cluster entity: its labels now, or its deletion. */
export const clusterAnnouncedSignal = defineSignal<[ClusterAnnouncement]>(CLUSTER_ANNOUNCED_SIGNAL);

export interface EditDeploymentRequest {
  requestId: string;
  spec: Omit<DeploymentSpec, 'releaseName'>;
  /** Merge the request into the stored values and overrides instead of replacing them. */
  reuseValues?: boolean;
}

/** The deployment's answer to its create request: where it stands and the operation that installs it. */
export interface DeploymentCreated {
  status: DeploymentState['status'];
  operationId: string;
}

/**
 * Sent with the deployment's start (update-with-start): answers the request that
 * created it, and rejects any other one as a conflict (the deployment exists).
 */
export const createDeploymentUpdate = defineUpdate<DeploymentCreated, [{ requestId: string }]>('createDeployment');
export const editDeploymentUpdate = defineUpdate<DeploymentOperation, [EditDeploymentRequest]>('editDeployment');
export const syncDeploymentUpdate = defineUpdate<DeploymentOperation, [{ requestId: string }]>('syncDeployment');
export const deleteDeploymentUpdate = defineUpdate<DeploymentOperation, [{ requestId: string; force?: boolean }]>('deleteDeployment');
export const deploymentStateQuery = defineQuery<DeploymentState>('deploymentState');
/** Pause, resume, abort or approve the running rollout: answers with its apply operation; a 409 when the action does not apply now. */
export const rolloutActionUpdate = defineUpdate<DeploymentOperation, [{ action: RolloutAction }]>('rolloutAction');
/** From the group: the members now. */
export const deploymentTargetsSignal = defineSignal<[ClusterRef[]]>('deploymentTargets');
/** From the group: a target cluster was deleted; there is nothing left there to uninstall. */
export const deploymentClusterDeletedSignal = defineSignal<[string]>('deploymentClusterDeleted');
/** From the group being force-deleted. */
export const deploymentDeleteSignal = defineSignal<[{ force: boolean }]>('deploymentDelete');
/** From the reconcile workflow: check every target for drift now (with the pass's reads of them). */
export const reconcileSignal = defineSignal<[ReconcileReads?]>('reconcile');

/** A pass's reads of a deployment's targets, by cluster name (null: not installed); a target not in them is read by the deployment. */
export interface ReconcileReads {
  reads: Record<string, ReleaseRead | null>;
}

/** From the reconcile workflow: whether the cluster's API server answered. */
/** A reconcile pass's probe of the cluster; `nodeCounts`: nodes per pool, read from the cluster's nodes. */
export const clusterHealthSignal = defineSignal<[{ ok: boolean; message?: string; nodeCounts?: Record<string, number> }]>('clusterHealth');

export interface HelmRepository {
  name: string;
  url: string;
}
export const addHelmRepositoryUpdate = defineUpdate<HelmRepository[], [HelmRepository]>('addHelmRepository');
export const helmRepositoriesQuery = defineQuery<HelmRepository[]>('helmRepositories');

/** A profile's create (`create`: a 409 when it exists) or change (`replace`: a 404 when it does not). */
export interface PutProfileRequest {
  name: string;
  spec: ProfileSpec;
  mode: 'create' | 'replace';
}
export const putProfileUpdate = defineUpdate<Profile, [PutProfileRequest]>('putProfile');
export const deleteProfileUpdate = defineUpdate<Profile, [{ name: string }]>('deleteProfile');
export const profilesQuery = defineQuery<Profile[]>('profiles');
