import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { clusterView, summarizeOperation, type ClusterState, type ClusterView, type OperationSummary } from '../domain/cluster-state.js';
import type { MembershipActivities } from '../activities/membership.js';
import { clusterRef, providerInfo, type ClusterSpec, type ClusterStatus, type NodePoolSpec } from '../domain/cluster.js';
import { clusterOperationId, deleteWorkflowId, handedOverOperationId, nodePoolWorkflowId, provisionWorkflowId, upgradeWorkflowId, WORKFLOW_TASK_QUEUE } from '../domain/ids.js';
import { sameVersion, upgradeRefusal } from '../domain/kubernetes-versions.js';
import { isFinished, type Operation, type OperationRequest, type Step, type StepsResult } from '../domain/operations.js';
import { FailureType, type Problem } from '../domain/problems.js';
import { applyNodePoolChanges, MAX_NODE_POOLS, nodePoolProblems } from '../domain/validation.js';
import { changeRefusal, describeRefusal, nodePoolUpdateRefusal, type ClusterFacts, type Refusal } from '../domain/change-refusals.js';
import { deleteClusterWorkflow } from './delete.js';
import { now, OperationLedger, runEntity } from './entity.js';
import { refused } from './refused.js';
import {
  addNodePoolUpdate,
  clusterGroupSignal,
  clusterHealthSignal,
  clusterStateQuery,
  clusterVersionSignal,
  createClusterUpdate,
  deleteClusterUpdate,
  joinGroupUpdate,
  operationQuery,
  removeNodePoolUpdate,
  setClusterLabelsUpdate,
  updateNodePoolSignal,
  updateNodePoolUpdate,
  type UpdateNodePoolRequest,
  upgradeClusterUpdate,
} from './messages.js';
import { nodePoolWorkflow } from './nodepool.js';
import { provisionClusterWorkflow } from './provision.js';
import { upgradeClusterWorkflow } from './upgrade.js';
import { reportMetrics } from './metrics.js';
import { FlotillaGroup, FlotillaStatus } from './search-attributes.js';
import { failureOfType, rootMessage } from '../domain/failures.js';
import { relabelled, tenantLabelProblems } from '../domain/cluster-labels.js';
import { clusterAutoscalerChange, type ClusterAutoscalerChange } from '../domain/cluster-autoscaler.js';

export interface ClusterWorkflowInput {
  org: string;
  spec: ClusterSpec;
  /** The create request's idempotency key. */
  requestId: string;
  /** Set when continuing as new: everything the entity knew. */
  state?: ClusterState;
  /** Continue as new past this many history events, to keep each run short to replay and read. */
  historyLimit?: number;
}

// Served by the workflows' own workers (src/worker.ts), which hold a Temporal client: on their
// queue by name, so an entity run on a queue of its own (a test's worker) still reaches them.
const membership = proxyActivities<MembershipActivities>({ taskQueue: WORKFLOW_TASK_QUEUE, startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

const DEFAULT_HISTORY_LIMIT = 2000;
const UNREACHABLE = 'API server unreachable';
const KEEP_FINISHED_OPERATIONS = 50;
const KEEP_REQUEST_IDS = 200;

/**
 * The cluster entity (docs/architecture.md, decision 1): `cluster/<org>/<name>`. Provisions on
 * start, then serves node pool changes and deletion, one at a time in arrival
 * order, each as a child workflow. Requests are Updates whose validators reject
 * bad ones before anything is written to history.
 */
export async function clusterWorkflow(input: ClusterWorkflowInput): Promise<ClusterView> {
  return new ClusterEntity(input).run();
}

function reject(type: FailureType, message: string, problems: Problem[] = []): never {
  throw refused(type, message, problems);
}

function rejectIf(refusal: Refusal | undefined): void {
  if (refusal) reject(refusal.type, refusal.message, refusal.problems);
}

/** The steps a failed child recorded, carried in its failure's details. */
function stepsOf(err: unknown): Step[] {
  return (failureOfType(err, FailureType.stepFailed)?.details?.[0] as Step[] | undefined) ?? [];
}

class ClusterEntity {
  private readonly state: ClusterState;
  private readonly ledger: OperationLedger<Operation>;
  private readonly historyLimit: number;
  /** The group the search attribute already holds (carried across continue-as-new). */
  private readonly initialGroup?: string;
  /** The operation under way; `started` once its child runs, `cancelOnStart` when a forced delete came before that. */
  private running?: { op: Operation; scope: CancellationScope; started?: boolean; cancelOnStart?: boolean };
  /**
   * What the create asked for, copied before any handler runs: what the provision builds. A change
   * accepted before the provision starts (delivered with the run's first task, as by an
   * update-with-start or a worker slow to pick the run up) edits the desired spec at once but is
   * queued behind the provision; provisioning that spec instead made an added pool twice (the
   * second outlives the delete, whose control plane step then waits on it forever) and skipped a
   * removed one.
   */
  private readonly createSpec?: ClusterSpec;
  private published?: { status: ClusterStatus; memo: string; group?: string };
  /** Announcements to the org's groups go one after another, so a group hears a cluster's labels in the order they were set. */
  private announcing: Promise<void> = Promise.resolve();
  /**
   * Whether this run waits for update handlers before the main loop writes (decided once, when
   * the run starts). Then, wherever the main loop wakes up, it waits until every update and signal
   * handler has finished (they are synchronous here: that is within the same workflow task), so
   * that its commands (search attributes, memo, the next child) follow an update's completion
   * instead of racing it.
   *
   * Without it, when an update arrives in the same workflow task as something that wakes the main
   * loop (a child's outcome), the order of the update's completion and the main loop's commands
   * depends on how many promise ticks each path takes. The OpenTelemetry interceptors wrap
   * update handlers with a few more ticks when the SDK flag OpenTelemetryInterceptorsInstrumentsAllMethods
   * is on; live it always is, but on replay only from the task whose completion recorded the flag,
   * and the SDK can lose that record: a validator that rejects an update asks for the flag in a
   * speculative task that the server discards, after which the flag is never recorded again.
   * Replay then orders the commands differently from history: "Nondeterminism error: Update
   * machine does not handle this event: UpsertWorkflowSearchAttributes" (test/workflows/update-child-race.test.ts).
   */
  private readonly handlersFirst: boolean;

  constructor(input: ClusterWorkflowInput) {
    // Asked here, in the run's first task before any handler can run, so that the marker has the
    // same place in history whatever arrives with that task; later calls would race as well.
    this.handlersFirst = patched('update-handlers-finish-before-main-loop');
    this.historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    const createdAt = now();
    this.state = input.state ?? {
      org: input.org,
      spec: input.spec,
      status: 'CREATING',
      currentCounts: {},
      operations: [],
      nextSeq: 1,
      requests: {},
      createRequestId: input.requestId,
      createdAt,
      updatedAt: createdAt,
    };
    this.ledger = new OperationLedger(this.state, { finished: KEEP_FINISHED_OPERATIONS, requests: KEEP_REQUEST_IDS });
    if (input.state?.group) this.initialGroup = input.state.group;
    if (!input.state) {
      this.createSpec = JSON.parse(JSON.stringify(input.spec)) as ClusterSpec;
      this.enqueue({ type: 'provision' }, input.requestId);
    }
    this.registerHandlers();
  }

  async run(): Promise<ClusterView> {
    this.publish();
    return runEntity({
      ledger: this.ledger,
      handlersFirst: this.handlersFirst,
      shouldContinueAsNew: () => this.shouldContinueAsNew(),
      continueAsNew: () =>
        continueAsNew<typeof clusterWorkflow>({
          org: this.state.org,
          spec: this.state.spec,
          requestId: this.state.createRequestId,
          state: this.state,
          historyLimit: this.historyLimit,
        }),
      execute: (op) => this.execute(op),
      ended: () => (this.state.status === 'DELETED' ? clusterView(this.state) : undefined),
    });
  }

  private registerHandlers(): void {
    setHandler(clusterStateQuery, () => this.state);
    setHandler(clusterHealthSignal, ({ ok, message, nodeCounts }) => {
      // Only an idle cluster's status and counts follow its health; an operation in flight owns them.
      if (this.running || this.ledger.next()) return;
      const counted = nodeCounts ? this.followNodeCounts(nodeCounts) : false;
      if (!ok && this.state.status === 'RUNNING') this.setStatus('WARNING', `${UNREACHABLE}: ${message ?? 'no answer'}`);
      else if (ok && this.state.status === 'WARNING' && this.state.message?.startsWith(UNREACHABLE)) this.setStatus('RUNNING');
      else if (!counted) return;
      this.publish();
    });
    setHandler(clusterGroupSignal, (group) => {
      if (group) this.state.group = group;
      else delete this.state.group;
      this.publish();
    });
    setHandler(
      joinGroupUpdate,
      ({ group }) => {
        this.state.group = group;
        this.publish();
      },
      {
        validator: ({ group }) => {
          if (this.state.status === 'DELETED') reject(FailureType.notFound, 'cluster is deleted');
          const current = this.state.group;
          if (current && current !== group) {
            throw ApplicationFailure.create({
              type: FailureType.conflict,
              message: `cluster '${this.state.spec.name}' already belongs to group '${current}'`,
              details: [current],
              nonRetryable: true,
            });
          }
        },
      },
    );
    setHandler(operationQuery, (id) => this.ledger.find((op) => op.id === id) ?? null);
    // Registering a handler writes nothing to history: runs recorded without it replay as they did.
    setHandler(
      createClusterUpdate,
      // The provision, queued when the entity started, is its operation 1; its request may since have been trimmed from `requests`.
      () => ({ status: this.state.status, operationId: this.state.requests[this.state.createRequestId] ?? clusterOperationId(this.state.spec.name, 1) }),
      {
        validator: ({ requestId }) => {
          if (requestId !== this.state.createRequestId) reject(FailureType.conflict, `cluster '${this.state.spec.name}' already exists`);
        },
      },
    );

    setHandler(
      addNodePoolUpdate,
      ({ requestId, pool }) => this.known(requestId) ?? this.accept({ type: 'addNodePool', nodePool: pool }, requestId, () => this.state.spec.nodePools.push(pool)),
      {
        validator: ({ requestId, pool }) => {
          if (this.known(requestId)) return;
          this.assertAcceptingChanges();
          if (this.findPool(pool.name)) reject(FailureType.conflict, `node pool '${pool.name}' already exists`);
          if (this.state.spec.nodePools.length >= MAX_NODE_POOLS) {
            const message = `the cluster has ${this.state.spec.nodePools.length} node pools, the most a cluster may have (${MAX_NODE_POOLS})`;
            reject(FailureType.invalid, message, [{ path: ['name'], message }]);
          }
          const problems = nodePoolProblems(pool, this.state.spec.provider);
          if (problems.length) reject(FailureType.invalid, 'invalid node pool', problems);
        },
      },
    );

    setHandler(
      updateNodePoolUpdate,
      ({ requestId, pool, changes }) =>
        this.known(requestId) ?? this.acceptPoolUpdate(requestId, pool, changes),
      {
        validator: ({ requestId, pool, changes }) => {
          if (!this.known(requestId)) rejectIf(nodePoolUpdateRefusal(this.facts(), pool, changes));
        },
      },
    );
    setHandler(updateNodePoolSignal, (request) => this.updateNodePoolHandedOver(request));

    setHandler(
      removeNodePoolUpdate,
      ({ requestId, pool }) =>
        this.known(requestId) ??
        this.accept({ type: 'removeNodePool', nodePool: { name: pool } }, requestId, () => {
          this.state.spec.nodePools = this.state.spec.nodePools.filter((p) => p.name !== pool);
        }),
      {
        validator: ({ requestId, pool }) => {
          if (this.known(requestId)) return;
          this.assertAcceptingChanges();
          if (!this.findPool(pool)) reject(FailureType.notFound, `node pool '${pool}' not found`);
        },
      },
    );

    setHandler(
      setClusterLabelsUpdate,
      async ({ labels }) => {
        const next = relabelled(this.state.spec.labels, labels);
        if (Object.keys(next).length) this.state.spec.labels = next;
        else delete this.state.spec.labels;
        this.state.updatedAt = now();
        this.publish();
        const view = clusterView(this.state);
        // A cluster still provisioning announces itself, with the labels it has then, once it is provisioned.
        if (['RUNNING', 'UPDATING', 'WARNING'].includes(view.status)) await this.announce();
        return view;
      },
      {
        validator: ({ labels }) => {
          if (this.state.status === 'DELETED') reject(FailureType.notFound, 'cluster is deleted');
          if (this.pendingDelete()) reject(FailureType.conflict, 'cluster is being deleted');
          const problems = tenantLabelProblems(labels, ['labels']);
          if (problems.length) reject(FailureType.invalid, 'invalid labels', problems);
        },
      },
    );

    setHandler(
      upgradeClusterUpdate,
      ({ requestId, kubernetesVersion }) => this.known(requestId) ?? this.accept({ type: 'upgrade', kubernetesVersion }, requestId, () => {}),
      { validator: ({ requestId, kubernetesVersion }) => this.known(requestId) ?? this.assertUpgradable(kubernetesVersion) },
    );
    // The spec's version is the control plane's; a pool's own version is kept while it lags behind it.
    setHandler(clusterVersionSignal, ({ version, nodePool }) => {
      const { spec } = this.state;
      if (nodePool) {
        if (sameVersion(version, spec.kubernetesVersion) && this.state.nodePoolVersions) delete this.state.nodePoolVersions[nodePool];
      } else if (!sameVersion(version, spec.kubernetesVersion)) {
        this.state.nodePoolVersions = Object.fromEntries(spec.nodePools.map((p) => [p.name, this.state.nodePoolVersions?.[p.name] ?? spec.kubernetesVersion]));
        spec.kubernetesVersion = version;
      }
      if (this.state.nodePoolVersions && !Object.keys(this.state.nodePoolVersions).length) delete this.state.nodePoolVersions;
      this.publish();
    });

    setHandler(deleteClusterUpdate, ({ requestId, force }) => this.known(requestId) ?? this.acceptDelete(requestId, force ?? false), {
      validator: ({ requestId }) => {
        if (this.known(requestId)) return;
        if (this.state.status === 'DELETED') reject(FailureType.notFound, 'cluster is already deleted');
      },
    });
  }

  /**
   * Each pool's current count becomes the number of its nodes the cluster has (an autoscaler's
   * work, or nodes lost); whether any changed. Runs from before sent no counts.
   */
  private followNodeCounts(nodeCounts: Record<string, number>): boolean {
    let changed = false;
    for (const pool of this.state.spec.nodePools) {
      const count = nodeCounts[pool.name] ?? 0;
      if (this.state.currentCounts[pool.name] === count) continue;
      this.state.currentCounts[pool.name] = count;
      changed = true;
    }
    if (changed) this.state.updatedAt = now();
    return changed;
  }

  /** A retried request gets the operation its first attempt created. */
  private known(requestId: string): OperationSummary | undefined {
    const op = this.ledger.known(requestId);
    return op ? summarizeOperation(op) : undefined;
  }

  private assertAcceptingChanges(): void {
    rejectIf(changeRefusal(this.facts()));
  }

  private facts(): ClusterFacts {
    const { spec, status, message } = this.state;
    return { provider: spec.provider, status, ...(message ? { message } : {}), nodePools: spec.nodePools, deleting: !!this.pendingDelete() };
  }

  /** One minor up, never down; the same version only to finish pools a failed upgrade left behind. */
  private assertUpgradable(version: string): void {
    if (!providerInfo(this.state.spec.provider).managesNodePools) {
      reject(FailureType.conflict, `a ${this.state.spec.provider} cluster's version is its owner's to change, not Flotilla's`);
    }
    this.assertAcceptingChanges();
    const underWay = this.ledger.find((op) => op.type === 'upgrade' && !isFinished(op));
    if (underWay?.type === 'upgrade') reject(FailureType.conflict, `an upgrade to ${underWay.kubernetesVersion} is already under way (${underWay.id})`);
    const refusal = upgradeRefusal(this.state.spec.kubernetesVersion, version);
    if (refusal?.kind === 'invalid') reject(FailureType.invalid, refusal.message, [{ path: ['kubernetesVersion'], message: refusal.message }]);
    const lagging = Object.keys(this.state.nodePoolVersions ?? {});
    if (refusal?.kind === 'unchanged' && !lagging.length) reject(FailureType.conflict, refusal.message);
    if (!refusal && lagging.length) {
      const message = `node pools ${lagging.join(', ')} are not at the control plane's ${this.state.spec.kubernetesVersion} yet: upgrade to ${this.state.spec.kubernetesVersion} first`;
      reject(FailureType.invalid, message, [{ path: ['kubernetesVersion'], message }]);
    }
  }

  private accept(request: OperationRequest, requestId: string, applyDesired: () => void, id?: string): OperationSummary {
    applyDesired();
    const op = this.enqueue(request, requestId, id);
    this.publish();
    return summarizeOperation(op);
  }

  /** Queues a node pool change the entity checked, the pool's desired spec changed at once. */
  private acceptPoolUpdate(requestId: string, pool: string, changes: UpdateNodePoolRequest['changes'], id?: string): OperationSummary {
    const next = applyNodePoolChanges(this.findPool(pool)!, changes);
    return this.accept({ type: 'updateNodePool', nodePool: next }, requestId, () => this.replacePool(next), id);
  }

  /**
   * A PUT handed over by signal: nobody waits for an answer here, so the check the validator makes
   * decides between queueing it and recording it FAILED with the reason, under the ID the API gave.
   */
  private updateNodePoolHandedOver({ requestId, pool, changes }: UpdateNodePoolRequest): void {
    if (this.ledger.known(requestId)) return;
    const id = handedOverOperationId(this.state.spec.name, requestId);
    const refusal = nodePoolUpdateRefusal(this.facts(), pool, changes);
    if (!refusal) {
      this.acceptPoolUpdate(requestId, pool, changes, id);
      return;
    }
    // A pool that is not there has no spec: the record names it and what was asked.
    const asked = applyNodePoolChanges(this.findPool(pool) ?? { name: pool, instanceType: '', count: 0 }, changes);
    const at = now();
    this.ledger.enqueue(requestId, () => ({
      ...this.operationOf({ type: 'updateNodePool', nodePool: asked }, requestId, id),
      state: 'FAILED',
      error: `refused: ${describeRefusal(refusal)}`,
      finishedAt: at,
    }));
  }

  private acceptDelete(requestId: string, force: boolean): OperationSummary {
    const pending = this.pendingDelete();
    // A second plain delete joins the first; a forced one supersedes everything.
    if (pending && (!force || pending.force)) {
      this.ledger.alias(requestId, pending);
      return summarizeOperation(pending);
    }
    if (force) {
      this.ledger.cancelQueued(() => true, 'superseded by a forced delete', now());
      this.cancelRunning();
    }
    const op = this.enqueue({ type: 'delete', force }, requestId);
    this.publish();
    return summarizeOperation(op);
  }

  /** Queues the request as the entity's next operation; `id` when the API named it already (handed over by signal). */
  private enqueue(request: OperationRequest, requestId: string, id?: string): Operation {
    return this.ledger.enqueue(requestId, (seq) => this.operationOf(request, requestId, id ?? clusterOperationId(this.state.spec.name, seq)));
  }

  private operationOf(request: OperationRequest, requestId: string, id: string): Operation {
    const { org, spec } = this.state;
    return { id, ...request, state: 'QUEUED', requestId, workflowId: childWorkflowId(org, spec.name, request, requestId), steps: [], createdAt: now() };
  }

  private async execute(op: Operation): Promise<void> {
    op.state = 'RUNNING';
    op.startedAt = now();
    this.setStatus(op.type === 'provision' ? 'CREATING' : op.type === 'delete' ? 'DELETING' : 'UPDATING');
    const scope = new CancellationScope();
    this.running = { op, scope };
    // Runs recorded before this publish existed must replay without it.
    if (patched('publish-running-operation')) this.publish();
    const autoscaler = this.clusterAutoscalerChange(op);
    try {
      const result = await scope.run(() => this.startChild(op, autoscaler));
      op.steps = result.steps;
      op.state = 'SUCCEEDED';
      Object.assign(this.state.currentCounts, result.currentCounts ?? {});
      if (op.type === 'removeNodePool') {
        delete this.state.currentCounts[op.nodePool.name];
        delete this.state.nodePoolVersions?.[op.nodePool.name];
      }
      if (autoscaler === 'install') this.state.clusterAutoscaler = true;
      if (autoscaler === 'remove' || op.type === 'delete') delete this.state.clusterAutoscaler;
      if (op.type === 'delete') {
        this.state.currentCounts = {};
        if (result.leftovers?.length) op.leftovers = result.leftovers;
        this.setStatus('DELETED', result.leftovers?.length ? `forced delete left behind: ${result.leftovers.join('; ')}` : undefined);
      } else {
        this.setStatus('RUNNING');
      }
    } catch (err) {
      if (isCancellation(err)) {
        op.state = 'CANCELLED';
        op.error = 'cancelled by a forced delete';
      } else {
        op.state = 'FAILED';
        op.error = rootMessage(err);
        op.steps = stepsOf(err);
        // A failed create or delete leaves the cluster unusable; a failed pool change does not.
        const broken = op.type === 'provision' || op.type === 'delete';
        this.setStatus(broken ? 'ERROR' : 'WARNING', `${op.type} failed: ${op.error}`);
        if (broken) this.ledger.cancelQueued((queued) => queued.type !== 'delete', 'cluster went to ERROR before this ran', now());
      }
    } finally {
      // An update delivered with the child's outcome may still be completing: let it finish first.
      if (this.handlersFirst) await condition(allHandlersFinished);
      op.finishedAt = now();
      this.running = undefined;
      this.ledger.trim();
      this.publish();
      const outcome = op.state === 'SUCCEEDED' ? 'succeeded' : op.state === 'CANCELLED' ? 'cancelled' : 'failed';
      const seconds = (Date.parse(op.finishedAt) - Date.parse(op.startedAt!)) / 1000;
      // Logs and metrics leave no trace in history and are skipped on replay: no patch needed.
      log.info('cluster operation finished', { operationId: op.id, type: op.type, outcome, seconds, ...(op.error ? { error: op.error } : {}) });
      reportMetrics().operationFinished({ provider: this.state.spec.provider, type: op.type, outcome, seconds });
    }
    // Selector groups take a cluster once it is provisioned; every group lets a deleted one go (runs from before did neither).
    if ((op.type === 'provision' || op.type === 'delete') && op.state === 'SUCCEEDED' && patched('announce-cluster-to-groups')) await this.announce();
  }

  /** Tells the org's groups the cluster's labels now, or that it is deleted. */
  private announce(): Promise<void> {
    const { org, spec, status } = this.state;
    const announcement = status === 'DELETED' ? { deleted: spec.name } : { cluster: clusterRef(org, spec) };
    this.announcing = this.announcing.then(() =>
      membership.announceCluster(org, announcement).catch((err: unknown) => {
        // The groups then see the cluster as it was: the next relabel, or a group's own listing when it starts, corrects that.
        log.warn('could not announce the cluster to its groups', { error: rootMessage(err) });
      }),
    );
    return this.announcing;
  }

  /**
   * Whether this operation's child installs or removes the cluster-autoscaler: judged on the pools
   * it leaves (the desired spec, already holding this change; for the provision, what it builds).
   * A failed child leaves the flag as it was, so the next operation tries again.
   */
  private clusterAutoscalerChange(op: Operation): ClusterAutoscalerChange | undefined {
    // Only the provision and pool changes carry the step; an upgrade or a delete changes no pool's autoscaling.
    if (op.type === 'delete' || op.type === 'upgrade') return undefined;
    const spec = op.type === 'provision' ? (this.createSpec ?? this.state.spec) : this.state.spec;
    return clusterAutoscalerChange(spec, this.state.clusterAutoscaler ?? false);
  }

  private startChild(op: Operation, clusterAutoscaler: ClusterAutoscalerChange | undefined): Promise<StepsResult> {
    const { org, spec } = this.state;
    const options = { workflowId: op.workflowId };
    // A child's arguments are not compared on replay; the children run the autoscaler's step only when told to.
    const autoscaler = clusterAutoscaler ? { clusterAutoscaler } : {};
    switch (op.type) {
      case 'provision': {
        // A child's arguments are not compared on replay: runs recorded before this replay as they did.
        const created = this.createSpec ?? spec;
        return this.child(startChild(provisionClusterWorkflow, {
          ...options,
          args: [{ org, spec: created, ...autoscaler }],
          staticSummary: `Provision ${spec.provider} cluster ${spec.name} with ${created.nodePools.length} node pools`,
        }));
      }
      case 'delete':
        return this.child(startChild(deleteClusterWorkflow, {
          ...options,
          args: [{ org, spec, force: op.force }],
          staticSummary: `${op.force ? 'Force-delete' : 'Delete'} cluster ${spec.name}`,
        }));
      case 'addNodePool':
      case 'updateNodePool': {
        const type = op.type === 'addNodePool' ? 'add' : 'update';
        return this.child(startChild(nodePoolWorkflow, {
          ...options,
          args: [{ org, spec, action: { type, pool: op.nodePool }, ...autoscaler }],
          staticSummary: `${type} node pool ${op.nodePool.name} (count ${op.nodePool.count})`,
        }));
      }
      case 'upgrade':
        return this.child(startChild(upgradeClusterWorkflow, {
          ...options,
          args: [{ org, spec, kubernetesVersion: op.kubernetesVersion }],
          staticSummary: `Upgrade cluster ${spec.name} from Kubernetes ${spec.kubernetesVersion} to ${op.kubernetesVersion}`,
        }));
      case 'removeNodePool':
        return this.child(startChild(nodePoolWorkflow, {
          ...options,
          args: [{ org, spec, action: { type: 'remove', pool: op.nodePool.name }, ...autoscaler }],
          staticSummary: `remove node pool ${op.nodePool.name}`,
        }));
    }
  }

  /**
   * Runs an operation's child and waits for its result. A forced delete cancels the child only once
   * it has started: a cancel sent while the start is still in flight can fail on the server
   * (RequestCancelExternalWorkflowExecutionFailed, the child not there yet) and is never sent again,
   * which left the child, and the entity waiting for it, stuck.
   */
  private async child(start: Promise<ChildWorkflowHandle<(...args: any[]) => Promise<StepsResult>>>): Promise<StepsResult> {
    const handle = await start;
    const running = this.running!;
    running.started = true;
    if (running.cancelOnStart) running.scope.cancel();
    return handle.result();
  }

  /** Cancels the operation under way, for a forced delete; runs recorded before the wait for the child's start cancelled at once. */
  private cancelRunning(): void {
    const running = this.running;
    if (!running) return;
    if (running.started || !patched('cancel-child-once-started')) running.scope.cancel();
    else running.cancelOnStart = true;
  }

  private pendingDelete(): Extract<Operation, { type: 'delete' }> | undefined {
    return this.ledger.find((op): op is Extract<Operation, { type: 'delete' }> => op.type === 'delete' && !isFinished(op));
  }

  private findPool(name: string): NodePoolSpec | undefined {
    return this.state.spec.nodePools.find((p) => p.name === name);
  }

  private replacePool(next: NodePoolSpec): void {
    this.state.spec.nodePools = this.state.spec.nodePools.map((p) => (p.name === next.name ? next : p));
  }

  private shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > this.historyLimit;
  }

  private setStatus(status: ClusterStatus, message?: string): void {
    this.state.status = status;
    if (message === undefined) delete this.state.message;
    else this.state.message = message;
    this.state.updatedAt = now();
  }

  /** Search attributes and memo for lists and the Web UI's filter; current details for the run page. */
  private publish(): void {
    const view = clusterView(this.state);
    const memo = JSON.stringify(view);
    if (this.published?.status !== view.status) upsertSearchAttributes([{ key: FlotillaStatus, value: view.status }]);
    if ((this.published?.group ?? this.initialGroup) !== view.group) upsertSearchAttributes([{ key: FlotillaGroup, value: view.group ?? '' }]);
    if (this.published?.memo !== memo) upsertMemo({ cluster: view });
    this.published = { status: view.status, memo, ...(view.group ? { group: view.group } : {}) };
    setCurrentDetails(describe(view));
  }
}

/** The child workflow's ID: readable, and the same for a retried request. */
function childWorkflowId(org: string, name: string, request: OperationRequest, requestId: string): string {
  switch (request.type) {
    case 'provision':
      return provisionWorkflowId(org, name);
    case 'delete':
      return deleteWorkflowId(org, name, requestId);
    case 'addNodePool':
      return nodePoolWorkflowId(org, name, request.nodePool.name, 'add', requestId);
    case 'updateNodePool':
      return nodePoolWorkflowId(org, name, request.nodePool.name, 'update', requestId);
    case 'removeNodePool':
      return nodePoolWorkflowId(org, name, request.nodePool.name, 'remove', requestId);
    case 'upgrade':
      return upgradeWorkflowId(org, name, requestId);
  }
}

function describe(view: ClusterView): string {
  const pools = view.nodePools.map((p) => `- ${p.name} (${p.instanceType}): ${p.currentCount ?? '–'} of ${p.desiredCount} nodes`);
  const now = view.operation ? `Now: ${view.operation.type}${view.operation.currentStep ? ` — ${view.operation.currentStep}` : ''}` : 'Idle';
  return [
    `**${view.provider} cluster ${view.org}/${view.name}** — ${view.status}${view.message ? `: ${view.message}` : ''}`,
    now + (view.queuedOperations ? `, ${view.queuedOperations} queued` : ''),
    ...pools,
  ].join('\n');
}
