import { WorkflowExecutionAlreadyStartedError, type Client, type UpdateDefinition, type WorkflowHandle } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterView, type ClusterState, type ClusterView, type OperationSummary } from '../domain/cluster-state.js';
import type { ClusterSpec, ClusterStatus, ProviderName } from '../domain/cluster.js';
import { clusterOperationId, clusterWorkflowId, WORKFLOW_TASK_QUEUE } from '../domain/ids.js';
import { isFinished, plannedStepCount, type Step } from '../domain/operations.js';
import { clusterWorkflow } from '../workflows/cluster.js';
import { clusterStateQuery, progressQuery } from '../workflows/messages.js';
import { FlotillaKind, FlotillaOrg, FlotillaProvider, FlotillaStatus } from '../workflows/search-attributes.js';
import { fromTemporal, HttpError, notFound } from './errors.js';
import { orgPath, runLink, type Links } from './links.js';
import { ListCache } from './list-cache.js';
import type { Cursors, Page, PageRequest } from './pagination.js';

export interface ClusterFilter {
  provider?: ProviderName;
  status?: ClusterStatus;
}

export interface AcceptedOperation extends OperationSummary {
  operationId: string;
  links: { operation: string; cluster: string; run?: string };
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

  /** Starts the entity; a second create of a live cluster is a 409 unless it repeats the same request. */
  async create(org: string, spec: ClusterSpec, requestId: string): Promise<Record<string, unknown>> {
    const workflowId = clusterWorkflowId(org, spec.name);
    try {
      await this.client.workflow.start(clusterWorkflow, {
        workflowId,
        taskQueue: WORKFLOW_TASK_QUEUE,
        args: [{ org, spec, requestId }],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        memo: { createRequestId: requestId },
        typedSearchAttributes: [
          { key: FlotillaOrg, value: org },
          { key: FlotillaKind, value: 'cluster' },
          { key: FlotillaProvider, value: spec.provider },
          { key: FlotillaStatus, value: 'CREATING' satisfies ClusterStatus },
        ],
        staticSummary: `${spec.provider} cluster ${org}/${spec.name}`,
      });
      this.pages.invalidate(org);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw fromTemporal(err, `cluster '${spec.name}'`) ?? err;
      const description = await this.client.workflow.getHandle(workflowId).describe();
      if (description.memo?.createRequestId !== requestId) {
        const existing = await this.get(org, spec.name);
        throw new HttpError(409, 'conflict', `cluster '${spec.name}' already exists`, [], { cluster: existing });
      }
    }
    const operationId = clusterOperationId(spec.name, 1);
    return {
      name: spec.name,
      status: 'CREATING' satisfies ClusterStatus,
      operationId,
      workflowId,
      links: this.clusterLinks(org, spec.name, { operation: `${orgPath(org)}/operations/${operationId}` }),
    };
  }

  async get(org: string, name: string): Promise<ClusterView & Record<string, unknown>> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, name));
    let view: ClusterView | undefined;
    try {
      view = (await handle.describe()).memo?.cluster as ClusterView | undefined;
    } catch (err) {
      throw fromTemporal(err, `cluster '${name}'`) ?? err;
    }
    // The entity publishes its memo on its first task; until then, ask it.
    view ??= await this.queryView(handle, name);
    if (view.operation?.state === 'RUNNING') {
      const steps = await this.liveSteps(view.operation.workflowId);
      const current = steps?.findLast((s) => s.state === 'RUNNING');
      if (current) view = { ...view, operation: { ...view.operation, currentStep: current.name } };
    }
    return this.withLinks(view);
  }

  /** Every cluster of the org that matches, by name (for the API's own checks; clients page through `page`). */
  async list(org: string, filter: ClusterFilter): Promise<ClusterView[]> {
    const views: ClusterView[] = [];
    for await (const execution of this.client.workflow.list({ query: this.listQuery(org, filter) })) {
      const view = execution.memo?.cluster as ClusterView | undefined;
      if (view && (!filter.status || view.status === filter.status)) views.push(this.withLinks(view));
    }
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * One page of the org's clusters that match, newest first, as the JSON the API
   * answers. Readers share it (ListCache) already serialized: at 500 clusters,
   * serializing is most of what a shared read costs.
   */
  async page(org: string, filter: ClusterFilter, page: PageRequest): Promise<string> {
    const query = this.listQuery(org, filter);
    return this.pages.get(org, `${query}\n${page.limit}\n${page.cursor ?? ''}`, async () => {
      const { items, nextCursor } = await this.cursors.visibilityPage(this.client, query, page);
      const views = items.map((memo) => memo.cluster as ClusterView | undefined).filter((v): v is ClusterView => !!v && (!filter.status || v.status === filter.status));
      return JSON.stringify({ items: views.map((v) => this.withLinks(v)), ...(nextCursor ? { nextCursor } : {}) } satisfies Page<ClusterView>);
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

  /** Sends a request to the entity; the request ID doubles as the update ID, so a retry is not applied twice. */
  async update<A>(org: string, name: string, def: UpdateDefinition<OperationSummary, [A]>, arg: A, requestId: string): Promise<AcceptedOperation> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, name));
    let summary: OperationSummary;
    try {
      summary = await handle.executeUpdate(def, { args: [arg], updateId: requestId });
      this.pages.invalidate(org);
    } catch (err) {
      throw fromTemporal(err, `cluster '${name}'`) ?? err;
    }
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
  async operation(org: string, clusterName: string, id: string): Promise<Record<string, unknown>> {
    const handle = this.client.workflow.getHandle(clusterWorkflowId(org, clusterName));
    let state: ClusterState;
    try {
      state = await handle.query(clusterStateQuery);
    } catch (err) {
      throw fromTemporal(err, `operation '${id}'`) ?? err;
    }
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

  private async queryView(handle: WorkflowHandle, name: string): Promise<ClusterView> {
    try {
      return clusterView(await handle.query(clusterStateQuery));
    } catch (err) {
      throw fromTemporal(err, `cluster '${name}'`) ?? err;
    }
  }

  /** Steps of a running child, or undefined when it cannot say in time (it may just have finished). */
  private async liveSteps(workflowId: string): Promise<Step[] | undefined> {
    const query = this.client.workflow.getHandle(workflowId).query(progressQuery);
    query.catch(() => undefined);
    return Promise.race([query, sleep(2_000).then(() => undefined)]).catch(() => undefined);
  }

  private withLinks(view: ClusterView): ClusterView & Record<string, unknown> {
    return { ...view, workflowId: clusterWorkflowId(view.org, view.name), links: this.clusterLinks(view.org, view.name) };
  }

  private clusterLinks(org: string, name: string, extra: Record<string, string> = {}): Record<string, string> {
    return { self: `${orgPath(org)}/clusters/${name}`, ...extra, ...this.run(clusterWorkflowId(org, name)) };
  }

  private run(workflowId: string): { run?: string } {
    const link = runLink(this.links, workflowId);
    return link ? { run: link } : {};
  }
}
