import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client, type Workflow, type WorkflowHandleWithFirstExecutionRunId, type WorkflowStartOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { ClusterStatus } from '../domain/cluster.js';
import type { GroupView } from '../domain/groups.js';
import { clusterWorkflowId, deploymentWorkflowId, groupWorkflowId, helmRepositoriesWorkflowId, profilesWorkflowId, reconcileWorkflowId, sizingWorkflowId, kubernetesVersionsWorkflowId, WORKFLOW_TASK_QUEUE } from '../domain/ids.js';
import { clusterWorkflow, type ClusterWorkflowInput } from '../workflows/cluster.js';
import { deploymentWorkflow, type DeploymentWorkflowInput } from '../workflows/deployment.js';
import { clusterGroupWorkflow, type GroupWorkflowInput } from '../workflows/group.js';
import { helmRepositoriesWorkflow } from '../workflows/helm-repositories.js';
import { profilesWorkflow } from '../workflows/profiles.js';
import { reconcileWorkflow } from '../workflows/reconcile.js';
import { sizingWorkflow, type SizingWorkflowInput } from '../workflows/sizing.js';
import { kubernetesVersionsWorkflow, type KubernetesVersionsInput } from '../workflows/kubernetes-versions.js';
import { FlotillaGroup, FlotillaKind, FlotillaOrg, FlotillaProvider, FlotillaStatus } from '../workflows/search-attributes.js';

/** A workflow with all it is started with: its ID, input, search attributes (lists filter on them from the start) and summary. */
export interface EntityStart<W extends Workflow> {
  workflow: W;
  options: WorkflowStartOptions<W>;
}

/**
 * A start of an ID still running fails (a second create of a live entity); an
 * ID whose run has closed (a deleted cluster) may be used again.
 */
const ONE_LIVE_RUN = { workflowIdConflictPolicy: 'FAIL', workflowIdReusePolicy: 'ALLOW_DUPLICATE' } as const;

function searchAttributes(org: string, kind: string, more: SearchAttributePair[] = []): SearchAttributePair[] {
  return [{ key: FlotillaOrg, value: org }, { key: FlotillaKind, value: kind }, ...more];
}

export function clusterEntity(input: ClusterWorkflowInput): EntityStart<typeof clusterWorkflow> {
  const { org, spec } = input;
  return {
    workflow: clusterWorkflow,
    options: {
      workflowId: clusterWorkflowId(org, spec.name),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [input],
      ...ONE_LIVE_RUN,
      typedSearchAttributes: searchAttributes(org, 'cluster', [
        { key: FlotillaProvider, value: spec.provider },
        { key: FlotillaStatus, value: 'CREATING' satisfies ClusterStatus },
      ]),
      staticSummary: `${spec.provider} cluster ${org}/${spec.name}`,
    },
  };
}

/** `view` is the group's memo from the start, so the group can be read before its first workflow task ran. */
export function groupEntity(input: GroupWorkflowInput, view: GroupView): EntityStart<typeof clusterGroupWorkflow> {
  const { org, name } = input;
  return {
    workflow: clusterGroupWorkflow,
    options: {
      workflowId: groupWorkflowId(org, name),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [input],
      ...ONE_LIVE_RUN,
      memo: { group: view },
      typedSearchAttributes: searchAttributes(org, 'clustergroup', [{ key: FlotillaGroup, value: name }]),
      staticSummary: `Cluster group ${org}/${name}`,
    },
  };
}

export function deploymentEntity(input: DeploymentWorkflowInput): EntityStart<typeof deploymentWorkflow> {
  const { org, group, spec } = input;
  return {
    workflow: deploymentWorkflow,
    options: {
      workflowId: deploymentWorkflowId(org, group, spec.releaseName),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [input],
      ...ONE_LIVE_RUN,
      typedSearchAttributes: searchAttributes(org, 'deployment', [{ key: FlotillaGroup, value: group }]),
      staticSummary: `Helm release ${spec.releaseName} (${spec.chart}) on group ${group}`,
    },
  };
}

/** Started by the org's first registration; later ones reach the running workflow. */
export function helmRepositoriesEntity(org: string): EntityStart<typeof helmRepositoriesWorkflow> {
  return {
    workflow: helmRepositoriesWorkflow,
    options: {
      workflowId: helmRepositoriesWorkflowId(org),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [{ org }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: searchAttributes(org, 'helmrepos'),
    },
  };
}

/** Started by the org's first profile; later changes reach the running workflow. */
export function profilesEntity(org: string): EntityStart<typeof profilesWorkflow> {
  return {
    workflow: profilesWorkflow,
    options: {
      workflowId: profilesWorkflowId(org),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [{ org }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: searchAttributes(org, 'profiles'),
    },
  };
}

/** A reconcile pass of one org (the schedule's passes cover every org). */
export function reconcilePass(org: string): EntityStart<typeof reconcileWorkflow> {
  return {
    workflow: reconcileWorkflow,
    options: { workflowId: reconcileWorkflowId(org, randomUUID()), taskQueue: WORKFLOW_TASK_QUEUE, args: [{ org }], typedSearchAttributes: searchAttributes(org, 'reconcile') },
  };
}

/**
 * A chart sized for POST /recommendations, which waits for its result. Bounded in time
 * (`SIZING_TIMEOUT`), so a request never waits on a helm queue without workers for long.
 */
export function chartSizing(input: SizingWorkflowInput): EntityStart<typeof sizingWorkflow> {
  return {
    workflow: sizingWorkflow,
    options: {
      workflowId: sizingWorkflowId(input.org, randomUUID()),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [input],
      workflowExecutionTimeout: SIZING_TIMEOUT,
      typedSearchAttributes: searchAttributes(input.org, 'sizing'),
      staticSummary: `Chart ${input.release.chart} sized for a recommendation`,
    },
  };
}

/** A provider's versions read for GET /kubernetes-versions, bounded as a sizing is (VERSIONS_TIMEOUT). */
export function kubernetesVersionsRead(input: KubernetesVersionsInput): EntityStart<typeof kubernetesVersionsWorkflow> {
  return {
    workflow: kubernetesVersionsWorkflow,
    options: {
      workflowId: kubernetesVersionsWorkflowId(input.org, randomUUID()),
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [input],
      workflowExecutionTimeout: VERSIONS_TIMEOUT,
      typedSearchAttributes: searchAttributes(input.org, 'kubernetes-versions'),
      staticSummary: `Kubernetes versions of ${input.provider} in ${input.region}`,
    },
  };
}

/** How long reading a provider's versions may take, its retries included. */
export const VERSIONS_TIMEOUT = '60 seconds';

/** How long a chart's sizing may take, a download and a retry included. */
export const SIZING_TIMEOUT = '90 seconds';

export function startEntity<W extends Workflow>(client: Client, { workflow, options }: EntityStart<W>): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  return client.workflow.start(workflow, options);
}

/**
 * The start of an update-with-start. With the conflict policy `FAIL`, a live
 * entity of that ID fails the start and takes no update; with `USE_EXISTING`,
 * it takes the update.
 */
export function withStart<W extends Workflow>({ workflow, options }: EntityStart<W>): WithStartWorkflowOperation<W> {
  const { workflowIdConflictPolicy } = options;
  if (!workflowIdConflictPolicy) throw new Error(`an update-with-start of ${options.workflowId} needs a workflow ID conflict policy`);
  return new WithStartWorkflowOperation(workflow, { ...options, workflowIdConflictPolicy });
}
