/**
 * Readable, deterministic workflow IDs: the entity and each of its steps can be
 * found by name in the Web UI, and a repeated start lands on the same ID.
 */
export function clusterWorkflowId(org: string, name: string): string {
  return `cluster/${org}/${name}`;
}

export function provisionWorkflowId(org: string, name: string): string {
  return `${clusterWorkflowId(org, name)}/provision`;
}

export function deleteWorkflowId(org: string, name: string, requestId: string): string {
  return `${clusterWorkflowId(org, name)}/delete/${requestId}`;
}

export function nodePoolWorkflowId(org: string, name: string, pool: string, action: string, requestId: string): string {
  return `${clusterWorkflowId(org, name)}/nodepool/${pool}/${action}/${requestId}`;
}

export function upgradeWorkflowId(org: string, name: string, requestId: string): string {
  return `${clusterWorkflowId(org, name)}/upgrade/${requestId}`;
}

/**
 * Operation IDs name their entity, so the API can find an operation from its
 * ID alone: `cluster.<name>.<seq>`. Names are DNS labels, so '.' cannot clash.
 */
export function clusterOperationId(name: string, seq: number): string {
  return `cluster.${name}.${seq}`;
}

/**
 * The operation of a request handed over by signal (updateNodePoolSignal): the API answers before
 * the entity has seen it, so its ID comes from the request ID, not from the entity's sequence.
 * `r.` keeps it apart from sequence numbers whatever the request ID is.
 */
export function handedOverOperationId(name: string, requestId: string): string {
  return `cluster.${name}.r.${requestId}`;
}

export function deploymentOperationId(group: string, release: string, seq: number): string {
  return `deployment.${group}.${release}.${seq}`;
}

export type ParsedOperationId = { kind: 'cluster'; name: string } | { kind: 'deployment'; group: string; release: string; seq: number };

export function parseOperationId(id: string): ParsedOperationId | undefined {
  const cluster = /^cluster\.([a-z0-9-]{1,63})\.(?:[1-9][0-9]{0,9}|r\.[A-Za-z0-9][A-Za-z0-9._:-]{0,127})$/.exec(id);
  if (cluster) return { kind: 'cluster', name: cluster[1]! };
  const deployment = /^deployment\.([a-z0-9-]{1,63})\.([a-z0-9-]{1,53})\.([1-9][0-9]{0,9})$/.exec(id);
  return deployment ? { kind: 'deployment', group: deployment[1]!, release: deployment[2]!, seq: Number(deployment[3]) } : undefined;
}

export function groupWorkflowId(org: string, group: string): string {
  return `clustergroup/${org}/${group}`;
}

export function deploymentWorkflowId(org: string, group: string, release: string): string {
  return `deployment/${org}/${group}/${release}`;
}

/** An org's registered Helm repositories. */
export function helmRepositoriesWorkflowId(org: string): string {
  return `helmrepos/${org}`;
}

/** An org's provider profiles. */
export function profilesWorkflowId(org: string): string {
  return `profiles/${org}`;
}

/** One reconcile pass of an org, asked for through the API; `passId` makes each pass its own run. */
export function reconcileWorkflowId(org: string, passId: string): string {
  return `reconcile/${org}/${passId}`;
}

/** One chart rendered and sized for POST /recommendations; `requestId` makes each its own run. */
export function sizingWorkflowId(org: string, requestId: string): string {
  return `sizing/${org}/${requestId}`;
}

/** One read of a provider's Kubernetes versions for GET /kubernetes-versions; `requestId` makes each its own run. */
export function kubernetesVersionsWorkflowId(org: string, requestId: string): string {
  return `kubernetes-versions/${org}/${requestId}`;
}

/** The passes the reconcile schedule starts (Temporal appends the time of each). */
export const SCHEDULED_RECONCILE_WORKFLOW_ID = 'reconcile/scheduled';

/** Task queue of the helm activities: served where helm and every provider's kubeconfig are at hand. */
export const HELM_TASK_QUEUE = 'helm';

/** Task queue of the reconcile activities (lists through Temporal, probes clusters). */
export const RECONCILE_TASK_QUEUE = 'reconcile';

/** The schedule that starts the reconcile workflow. */
export const RECONCILE_SCHEDULE_ID = 'flotilla-reconcile';

/** Idempotency keys become update IDs and parts of workflow IDs, so they stay tame. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Task queue of a provider's activities (docs/architecture.md, decision 3). */
export function providerTaskQueue(provider: string): string {
  return `provider-${provider}`;
}

/** Task queue of all Flotilla workflows (they are provider-agnostic). */
export const WORKFLOW_TASK_QUEUE = 'flotilla';
