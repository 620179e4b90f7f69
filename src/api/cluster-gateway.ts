import type { Client, UpdateDefinition, WorkflowHandle } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterCost, type ClusterCost } from '../domain/catalogue/provider-types.js';
import { clusterView, summarizeOperation, type ClusterState, type ClusterView, type OperationSummary } from '../domain/cluster-state.js';
import type { ClusterSpec, ClusterStatus, NodePoolChanges, NodePoolSpec, ProviderName } from '../domain/cluster.js';
import { clusterWorkflowId, handedOverOperationId, nodePoolWorkflowId } from '../domain/ids.js';
import { nodePoolUpdateRefusal, type ClusterFacts } from '../domain/change-refusals.js';
import { formatRequirement, matches, type Requirement } from '../domain/label-selector.js';
import type { LabelChanges } from '../domain/cluster-labels.js';
import { isFinished, plannedStepCount, type Operation, type Step } from '../domain/operations.js';
import { clusterEntity } from '../temporal/entity-starts.js';
import {
  addNodePoolUpdate,
  clusterStateQuery,
  createClusterUpdate,
  deleteClusterUpdate,
  progressQuery,
  removeNodePoolUpdate,
  setClusterLabelsUpdate,
  updateNodePoolSignal,
  upgradeClusterUpdate,
} from '../workflows/messages.js';
import type { ClusterHourlyCost } from '../observability/api-metrics.js';
import { createEntity } from './entity-creates.js';
import { notFound } from './errors.js';
import { orgPath, runLink, type Links } from './links.js';
import { ListCache } from './list-cache.js';
import type { Cursors, Page, PageRequest } from './pagination.js';
import { askTemporal, refusalAnswer } from './temporal-errors.js';

export interface ClusterFilter {
  provider?: ProviderName;
  status?: ClusterStatus;
  /** Label-selector requirements every listed cluster's labels meet. */
  selector?: Requirement[];
}

function selected(view: ClusterView, filter: ClusterFilter): boolean {
  return (!filter.status || view.status === filter.status) && (!filter.selector || matches(view.labels ?? {}, filter.selector));
}

/** A cluster as the API shows it. */
export interface ClusterResource extends ClusterView {
  /** At list prices, now (docs/economics.md). */
  cost: ClusterCost;
  workflowId: string;
  links: { self: string; run?: string };
}

/** The answer to a create: what the entity said about itself. */
export interface ClusterCreateAccepted {
  name: string;
  status: ClusterStatus;
  operationId: string;
  workflowId: string;
  links: { self: string; operation: string; run?: string };
}

export interface AcceptedOperation extends OperationSummary {
  operationId: string;
  links: { operation: string; cluster: string; run?: string };
}

export type ClusterOperationResource = Operation & {
  totalSteps: number;
  currentStep?: string;
  cluster: string;
  links: { self: string; cluster: string; run?: string };
};

/** What the memo says of the checks a change meets; a delete queued behind a running operation is not in it. */
function factsOf(view: ClusterView): ClusterFacts {
  return {
    provider: view.provider,
    status: view.status,
    ...(view.message ? { message: view.message } : {}),
    nodePools: view.nodePools.map(({ desiredCount: _, currentCount: __, ...spec }) => spec),
    deleting: view.status === 'DELETING',
  };
}

/**
 * The API's whole dealing with Temporal for clusters: start the entity, send
 * it updates, read its memo, query it. No business rules here: the entity
 * workflow owns them.
 */
export class ClusterGateway {
  /** Pages of the cluster list, shared by readers for a moment (see ListCache); scoped by org. */
  private readonly pages: ListCache<string>;

  constructor(
    private readonly client: Client,
    private readonly links: Links,
    private readonly cursors: Cursors,
    listCacheMs: number,
  ) {
    this.pages = new ListCache(listCacheMs);
  }

  /**
   * Creates the entity by update-with-start (createEntity): it answers with its
   * status and the operation that provisions it; a live cluster of that name
   * refuses any request but the one that created it, a 409 that carries it.
   */
  async create(org: string, spec: ClusterSpec, requestId: string): Promise<ClusterCreateAccepted> {
    const entity = clusterEntity({ org, spec, requestId });
    const created = await createEntity(this.client, createClusterUpdate, entity, requestId, `cluster '${spec.name}'`, async () => ({ cluster: await this.get(org, spec.name) }));
    this.pages.invalidate(org);
    return {
      name: spec.name,
      status: created.status,
      operationId: created.operationId,
      workflowId: clusterWorkflowId(org, spec.name),
      links: { ...this.clusterLinks(org, spec.name), operation: `${orgPath(org)}/operations/${created.operationId}` },
    };
  }

  async get(org: string, name: string): Promise<ClusterResource> {
    let view = await this.view(org, name);
    if (view.operation?.state === 'RUNNING') {
      const steps = await this.liveSteps(view.operation.workflowId);
      const current = steps?.findLast((s) => s.state === 'RUNNING');
      if (current) view = { ...view, operation: { ...view.operation, currentStep: current.name } };
    }
    return this.withLinks(view);
  }

  /** Every cluster of the org that matches, by name (for the API's own checks; clients page through `page`). */
  async list(org: string, filter: ClusterFilter): Promise<ClusterResource[]> {
    const views = await askTemporal('the list', async () => {
      const found: ClusterResource[] = [];
      for await (const execution of this.client.workflow.list({ query: this.listQuery(org, filter) })) {
        const view = execution.memo?.cluster as ClusterView | undefined;
        if (view && selected(view, filter)) found.push(this.withLinks(view));
      }
      return found;
    });
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every live cluster of every org, with its cost now: what the cost gauge shows. */
  async costs(): Promise<ClusterHourlyCost[]> {
    return askTemporal('the list', async () => {
      const found: ClusterHourlyCost[] = [];
      for await (const execution of this.client.workflow.list({ query: `FlotillaKind = 'cluster' AND ExecutionStatus = 'Running'` })) {
        const view = execution.memo?.cluster as ClusterView | undefined;
        if (view) found.push({ org: view.org, cluster: view.name, provider: view.provider, region: view.region, hourly: clusterCost(view).hourly });
      }
      return found;
    });
  }

  /**
   * One page of the org's clusters that match, newest first, as the JSON the API
   * answers. Readers share it (ListCache) already serialized: at 500 clusters,
   * serializing is most of what a shared read costs.
   */
  async page(org: string, filter: ClusterFilter, page: PageRequest): Promise<string> {
    const query = this.listQuery(org, filter);
    const selector = filter.selector?.map(formatRequirement).join(',') ?? '';
    return this.pages.get(org, `${query}\n${selector}\n${page.limit}\n${page.cursor ?? ''}`, async () => {
      const { items, nextCursor } = await this.cursors.visibilityPage(this.client, query, page);
      const views = items.map((memo) => memo.cluster as ClusterView | undefined).filter((v): v is ClusterView => !!v && selected(v, filter));
      return JSON.stringify({ items: views.map((v) => this.withLinks(v)), ...(nextCursor ? { nextCursor } : {}) } satisfies Page<ClusterResource>);
    });
  }

  private listQuery(org: string, filter: ClusterFilter): string {
    // Values are schema-checked enums and DNS labels, so they cannot break out of the quotes.
    const clauses = [`FlotillaKind = 'cluster'`, `FlotillaOrg = '${org}'`];
    if (filter.provider) clauses.push(`FlotillaProvider = '${filter.provider}'`);
    if (filter.status === 'DELETED') clauses.push(`ExecutionStatus = 'Completed'`, `FlotillaStatus = 'DELETED'`);
    else {
      clauses.push(`ExecutionStatus = 'Running'`);
      if (filter.status) clauses.push(`FlotillaStatus = '${filter.status}'`);
    }
    return clauses.join(' AND ');
  }

  /** Merges label changes into the cluster's labels; answers with the cluster as it is then. */
  async setLabels(org: string, name: string, labels: LabelChanges, requestId: string): Promise<ClusterResource> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, name));
    const view = await askTemporal(`cluster '${name}'`, () => handle.executeUpdate(setClusterLabelsUpdate, { args: [{ labels }], updateId: requestId }));
    this.pages.invalidate(org);
    return this.withLinks(view);
  }

  /** Deletes the cluster; `force` cancels what runs and is queued, and deletes what can be deleted. */
  deleteCluster(org: string, name: string, force: boolean, requestId: string): Promise<AcceptedOperation> {
    return this.request(org, name, deleteClusterUpdate, { requestId, force }, requestId);
  }

  addNodePool(org: string, name: string, pool: NodePoolSpec, requestId: string): Promise<AcceptedOperation> {
    return this.request(org, name, addNodePoolUpdate, { requestId, pool }, requestId);
  }

  /**
   * Checks the change against the cluster's memo and hands it over by signal, which Temporal
   * acknowledges without waiting for a worker: the answer names the operation the entity will
   * record under the request ID, queued or, when the entity's own check (authoritative: the memo
   * may lag) refuses it, FAILED with the reason (docs/architecture.md, decision 2).
   */
  async updateNodePool(org: string, name: string, pool: string, changes: NodePoolChanges, requestId: string): Promise<AcceptedOperation> {
    const what = `cluster '${name}'`;
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, name));
    const refusal = nodePoolUpdateRefusal(factsOf(await this.view(org, name)), pool, changes);
    if (refusal) {
      // A retry of a request the entity took answers with its operation, whatever the state is now.
      const state = await askTemporal(what, () => handle.query(clusterStateQuery));
      const op = state.operations.find((o) => o.id === state.requests[requestId]);
      if (op) return this.accepted(org, name, summarizeOperation(op));
      throw refusalAnswer(refusal);
    }
    await askTemporal(what, () => handle.signal(updateNodePoolSignal, { requestId, pool, changes }));
    this.pages.invalidate(org);
    const workflowId = nodePoolWorkflowId(org, name, pool, 'update', requestId);
    return this.accepted(org, name, { id: handedOverOperationId(name, requestId), type: 'updateNodePool', state: 'QUEUED', workflowId });
  }

  removeNodePool(org: string, name: string, pool: string, requestId: string): Promise<AcceptedOperation> {
    return this.request(org, name, removeNodePoolUpdate, { requestId, pool }, requestId);
  }

  /** Queues an upgrade of the control plane, then of each pool; the entity refuses a skip, a downgrade or the same version. */
  upgrade(org: string, name: string, kubernetesVersion: string, requestId: string): Promise<AcceptedOperation> {
    return this.request(org, name, upgradeClusterUpdate, { requestId, kubernetesVersion }, requestId);
  }

  /** Sends a request to the entity; the request ID doubles as the update ID, so a retry is not applied twice. */
  private async request<A>(org: string, name: string, def: UpdateDefinition<OperationSummary, [A]>, arg: A, requestId: string): Promise<AcceptedOperation> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, name));
    const summary = await askTemporal(`cluster '${name}'`, () => handle.executeUpdate(def, { args: [arg], updateId: requestId }));
    this.pages.invalidate(org);
    return this.accepted(org, name, summary);
  }

  private accepted(org: string, name: string, summary: OperationSummary): AcceptedOperation {
    return {
      ...summary,
      operationId: summary.id,
      links: {
        operation: `${orgPath(org)}/operations/${summary.id}`,
        cluster: `${orgPath(org)}/clusters/${name}`,
        ...this.run(summary.workflowId),
      },
    };
  }

  /** An operation with its steps: live from the running child, else as the entity recorded them. */
  async operation(org: string, clusterName: string, id: string): Promise<ClusterOperationResource> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, clusterName));
    const state: ClusterState = await askTemporal(`operation '${id}'`, () => handle.query(clusterStateQuery));
    const op = state.operations.find((o) => o.id === id);
    if (!op) throw notFound(`operation '${id}'`);
    const steps = op.state === 'RUNNING' ? ((await this.liveSteps(op.workflowId)) ?? op.steps) : op.steps;
    const current = steps.findLast((s) => s.state === 'RUNNING');
    // A finished operation took the steps it took; an unfinished one is measured against its plan.
    const totalSteps = isFinished(op) ? steps.length : Math.max(plannedStepCount(op.type, state.spec.nodePools.length), steps.length);
    return {
      ...op,
      steps,
      totalSteps,
      ...(current ? { currentStep: current.name } : {}),
      cluster: clusterName,
      links: { self: `${orgPath(org)}/operations/${id}`, cluster: `${orgPath(org)}/clusters/${clusterName}`, ...this.run(op.workflowId) },
    };
  }

  /** The cluster's memo; the entity publishes it on its first task, until then it is asked. */
  private async view(org: string, name: string): Promise<ClusterView> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, name));
    const memo = await askTemporal(`cluster '${name}'`, async () => (await handle.describe()).memo?.cluster as ClusterView | undefined);
    return memo ?? this.queryView(handle, name);
  }

  private async queryView(handle: WorkflowHandle, name: string): Promise<ClusterView> {
    return clusterView(await askTemporal(`cluster '${name}'`, () => handle.query(clusterStateQuery)));
  }

  /** Steps of a running child, or undefined when it cannot say in time (it may just have finished). */
  private async liveSteps(workflowId: string): Promise<Step[] | undefined> {
    const query = this.client.workflow.getHandle(workflowId).query(progressQuery);
    query.catch(() => undefined);
    return Promise.race([query, sleep(2_000).then(() => undefined)]).catch(() => undefined);
  }

  private withLinks(view: ClusterView): ClusterResource {
    return { ...view, cost: clusterCost(view), workflowId: clusterWorkflowId(view.org, view.name), links: this.clusterLinks(view.org, view.name) };
  }

  private clusterLinks(org: string, name: string): ClusterResource['links'] {
    return { self: `${orgPath(org)}/clusters/${name}`, ...this.run(clusterWorkflowId(org, name)) };
  }

  private run(workflowId: string): { run?: string } {
    const link = runLink(this.links, workflowId);
    return link ? { run: link } : {};
  }
}
