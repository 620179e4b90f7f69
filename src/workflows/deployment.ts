import {
  ApplicationFailure,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { HelmActivities } from '../activities/helm.js';
import type { ProfileActivities } from '../activities/profiles.js';
import { appliedProfiles, postRenderRules, profilesFor, withProfileDrift, type Profile } from '../domain/profiles.js';
import type { MembershipActivities } from '../activities/membership.js';
import type { ClusterRef } from '../domain/cluster.js';
import {
  deploymentView,
  type DeploymentOperation,
  type DeploymentOperationRequest,
  type DeploymentSpec,
  type DeploymentState,
  type DeploymentView,
  type DriftRecord,
  type TargetRecord,
} from '../domain/groups.js';
import { sameTargets } from '../domain/deployment.js';
import { deploymentOperationId, groupWorkflowId, HELM_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from '../domain/ids.js';
import { mergeValues, type Values } from '../domain/values.js';
import { specValuesProblems, targetRelease, targetValues, unrenderableMessage } from '../domain/target-values.js';
import type { Problem } from '../domain/problems.js';
import { FailureType } from '../domain/problems.js';
import {
  createDeploymentUpdate,
  deleteDeploymentUpdate,
  deploymentAddedSignal,
  deploymentClusterDeletedSignal,
  deploymentDeleteSignal,
  deploymentRemovedSignal,
  deploymentStateQuery,
  deploymentTargetsSignal,
  editDeploymentUpdate,
  reconcileSignal,
  type EditDeploymentRequest,
  syncDeploymentUpdate,
} from './messages.js';
import { OperationLedger, runEntity } from './entity.js';
import { reportMetrics } from './metrics.js';
import { failureOfType, rootMessage } from '../domain/failures.js';

export interface DeploymentWorkflowInput {
  org: string;
  group: string;
  spec: DeploymentSpec;
  targets: ClusterRef[];
  /** The create request's idempotency key. */
  requestId: string;
  state?: DeploymentState;
}

// Each target is retried a little, then reported: an unreachable cluster must not hold the others up for long.
// The heartbeat timeout retries a call whose worker died, or whose result was lost while Temporal was down, in
// seconds rather than at the start-to-close timeout.
const helm = proxyActivities<HelmActivities>({
  taskQueue: HELM_TASK_QUEUE,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

// Served with the workflows, on their queue by name (as membership): reads of the org's provider profiles (docs/architecture.md, decision 11).
const profileStore = proxyActivities<ProfileActivities>({ taskQueue: WORKFLOW_TASK_QUEUE, startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

// Served by the workflows' own workers (src/worker.ts), which hold a Temporal client: on their
// queue by name, so an entity run on a queue of its own (a test's worker) still reaches them.
const membership = proxyActivities<MembershipActivities>({ taskQueue: WORKFLOW_TASK_QUEUE, startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

const KEEP_OPERATIONS = 30;
const KEEP_REQUEST_IDS = 200;
const KEEP_DRIFT = 100;

/**
 * A multi-cluster deployment (`deployment/<org>/<group>/<release>`): one Helm
 * release on every member of a group, each target handled on its own and in
 * parallel. Requests queue and run in order, like the cluster entity's.
 */
export async function deploymentWorkflow(input: DeploymentWorkflowInput): Promise<DeploymentView> {
  return new DeploymentEntity(input).run();
}

function now(): string {
  return new Date().toISOString();
}

function conflict(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.conflict, message, nonRetryable: true });
}

class DeploymentEntity {
  private readonly state: DeploymentState;
  private readonly ledger: OperationLedger<DeploymentOperation>;
  private readonly release: string;

  constructor(private readonly input: DeploymentWorkflowInput) {
    this.state = input.state ?? {
      org: input.org,
      group: input.group,
      spec: input.spec,
      targets: input.targets,
      installedOn: [],
      results: {},
      drift: [],
      operations: [],
      nextSeq: 1,
      requests: {},
      status: 'DEPLOYING',
      createdAt: now(),
      updatedAt: now(),
    };
    this.ledger = new OperationLedger(this.state, { finished: KEEP_OPERATIONS, requests: KEEP_REQUEST_IDS });
    this.release = this.state.spec.releaseName;
    this.registerHandlers();
  }

  async run(): Promise<DeploymentView> {
    if (!this.input.state) {
      this.enqueue({ type: 'apply' }, this.input.requestId);
      await this.tellGroup(deploymentAddedSignal);
    }
    this.publish();
    return runEntity({
      ledger: this.ledger,
      handlersFirst: false,
      // The queue is drained before continuing as new.
      shouldContinueAsNew: () => !this.ledger.next() && workflowInfo().continueAsNewSuggested,
      continueAsNew: () => continueAsNew<typeof deploymentWorkflow>({ ...this.input, spec: this.state.spec, targets: this.state.targets, state: this.state }),
      execute: (op) => this.execute(op),
      ended: () => (this.state.status === 'DELETED' ? deploymentView(this.state) : undefined),
    });
  }

  private registerHandlers(): void {
    const { state } = this;
    setHandler(deploymentStateQuery, () => state);
    // Registering a handler writes nothing to history: runs recorded without it replay as they did.
    setHandler(
      createDeploymentUpdate,
      // The apply, queued when the entity started, is its operation 1; its request may since have been trimmed from `requests`.
      () => ({ status: state.status, operationId: state.requests[this.input.requestId] ?? deploymentOperationId(state.group, this.release, 1) }),
      {
        validator: ({ requestId }) => {
          if (requestId !== this.input.requestId) throw conflict(`deployment '${this.release}' already exists`);
        },
      },
    );
    setHandler(
      editDeploymentUpdate,
      (request) => {
        if (!this.ledger.known(request.requestId)) state.spec = this.edited(request);
        return this.enqueue({ type: 'apply' }, request.requestId);
      },
      {
        validator: (request) => {
          if (this.ledger.known(request.requestId)) return;
          if (this.deleting()) throw conflict('the deployment is being deleted');
          // Merged with reuseValues, values each within the API's limits may together grow past them.
          const problems = specValuesProblems(this.edited(request));
          if (problems.length) {
            throw ApplicationFailure.create({ type: FailureType.invalid, message: 'the merged values are not valid', details: [problems], nonRetryable: true });
          }
        },
      },
    );
    setHandler(syncDeploymentUpdate, ({ requestId }) => this.enqueue({ type: 'apply' }, requestId), {
      validator: ({ requestId }) => {
        if (!this.ledger.known(requestId) && this.deleting()) throw conflict('the deployment is being deleted');
      },
    });
    setHandler(deleteDeploymentUpdate, ({ requestId, force }) => this.enqueue({ type: 'delete', force: force ?? false }, requestId));
    setHandler(deploymentTargetsSignal, (targets) => {
      // The group tells all its deployments when members change; one started while it was telling
      // may hear the members it started with. Nothing changed, so nothing to apply.
      if (sameTargets(state.targets, targets) && patched('unchanged-targets-no-apply')) return;
      state.targets = targets;
      if (!this.deleting()) this.enqueue({ type: 'apply', membersChanged: true }, `members-${uuid4()}`);
    });
    setHandler(deploymentClusterDeletedSignal, (name) => {
      // The cluster and the release on it are gone: nothing to uninstall, so a delete of the deployment need not wait for it.
      state.targets = state.targets.filter((t) => t.name !== name);
      state.installedOn = state.installedOn.filter((r) => r.name !== name);
      delete state.results[name];
      this.publish();
    });
    setHandler(deploymentDeleteSignal, ({ force }) => void this.enqueue({ type: 'delete', force }, `group-delete-${uuid4()}`));
    setHandler(reconcileSignal, () => {
      if (!this.deleting() && !this.ledger.find((op) => op.type === 'check' && op.state === 'QUEUED')) this.enqueue({ type: 'check' }, `reconcile-${uuid4()}`);
    });
  }

  /** Queues an operation, or answers a retried request with the operation it made. */
  private enqueue(request: DeploymentOperationRequest, requestId: string): DeploymentOperation {
    const known = this.ledger.known(requestId);
    if (known) return known;
    const op = this.ledger.enqueue(requestId, (seq) => ({
      id: deploymentOperationId(this.state.group, this.release, seq),
      ...request,
      state: 'QUEUED',
      requestId,
      results: [],
      createdAt: now(),
    }));
    this.publish();
    return op;
  }

  private deleting(): boolean {
    return this.state.status === 'DELETING' || this.ledger.find((op) => op.type === 'delete' && (op.state === 'QUEUED' || op.state === 'RUNNING')) !== undefined;
  }

  private edited({ spec, reuseValues }: EditDeploymentRequest): DeploymentSpec {
    const current = this.state.spec;
    if (!reuseValues) return { ...spec, releaseName: this.release };
    const clusters = [...new Set([...Object.keys(current.valueOverrides), ...Object.keys(spec.valueOverrides)])];
    return {
      ...current,
      ...spec,
      values: mergeValues(current.values, spec.values),
      // Selector overrides are a list in order: an edit that gives some replaces them, one that gives none keeps them.
      valueOverridesBySelector: spec.valueOverridesBySelector?.length ? spec.valueOverridesBySelector : (current.valueOverridesBySelector ?? []),
      valueOverrides: Object.fromEntries(clusters.map((c) => [c, mergeValues(current.valueOverrides[c] ?? {}, spec.valueOverrides[c])])),
    };
  }

  private async execute(op: DeploymentOperation): Promise<void> {
    op.state = 'RUNNING';
    this.publish();
    try {
      switch (op.type) {
        case 'apply':
          await this.apply(op);
          break;
        case 'check':
          await this.check(op);
          break;
        case 'delete':
          await this.remove(op);
          break;
      }
      op.state = op.error ? 'FAILED' : 'SUCCEEDED';
    } catch (err) {
      op.state = 'FAILED';
      op.error = rootMessage(err);
    }
    op.finishedAt = now();
    this.publish();
    if (this.state.status === 'DELETED') {
      this.ledger.cancelQueued(() => true, 'the deployment was deleted', now());
      await this.tellGroup(deploymentRemovedSignal);
    }
  }

  /** Install or upgrade on every target (or `only` those, for a repair), uninstall from clusters that left: each on its own, all at once. */
  private async apply(op: DeploymentOperation, only?: readonly string[]): Promise<void> {
    const { state } = this;
    const targets = only ? state.targets.filter((t) => only.includes(t.name)) : state.targets;
    const departed = only ? [] : state.installedOn.filter((ref) => !state.targets.some((t) => t.name === ref.name));
    // installOnJoin false: a members change installs nowhere new; clusters that joined wait for a sync.
    const waiting = op.type === 'apply' && op.membersChanged && state.spec.installOnJoin === false ? targets.filter((t) => !state.installedOn.some((r) => r.name === t.name)) : [];
    for (const target of waiting) {
      this.record(op, { clusterName: target.name, provider: target.provider, status: 'NOT_INSTALLED', stale: true, message: 'joined the group; installed by the next sync (installOnJoin: false)', lastCheckedAt: now() });
    }
    const profiles = await this.profiles();
    const held = await this.heldElsewhere(targets.filter((t) => !waiting.includes(t)));
    if (Object.keys(held).length || state.heldElsewhere) state.heldElsewhere = Object.keys(held);
    for (const [cluster, holder] of Object.entries(held)) {
      const target = targets.find((t) => t.name === cluster)!;
      this.record(op, { clusterName: cluster, provider: target.provider, status: 'FAILED', stale: true, message: `release '${this.release}' on cluster '${cluster}' belongs to ${holder}`, lastCheckedAt: now() });
    }
    await Promise.all([
      ...targets.filter((t) => !waiting.includes(t) && !held[t.name]).map(async (target) => {
        const result = await this.applyTo(target, profiles);
        this.record(op, result);
        if (result.status !== 'FAILED' && result.status !== 'UNKNOWN' && !state.installedOn.some((r) => r.name === target.name)) {
          state.installedOn.push(target);
        }
      }),
      ...departed.map(async (ref) => {
        try {
          await helm.helmRemove(ref, { name: this.release, namespace: state.spec.namespace });
          state.installedOn = state.installedOn.filter((r) => r.name !== ref.name);
          delete state.results[ref.name];
        } catch (err) {
          this.record(op, { ...failed(ref, err), message: `left the group; uninstall failed: ${rootMessage(err)}` });
        }
      }),
    ]);
    const statuses = state.targets.filter((t) => !waiting.includes(t)).map((t) => state.results[t.name]?.status);
    state.status = statuses.every((s) => s === 'DEPLOYED') ? 'DEPLOYED' : statuses.some((s) => s === 'DEPLOYED') ? 'PARTIAL' : 'FAILED';
    if (state.status !== 'DEPLOYED') op.error = 'not every target is deployed; see results';
  }

  /**
   * Clusters new to this release whose release of that name another group's deployment holds (a
   * cluster in two selector groups): never installed over (runs from before did not ask).
   */
  private async heldElsewhere(targets: ClusterRef[]): Promise<Record<string, string>> {
    const { state } = this;
    const newcomers = targets.filter((t) => !state.installedOn.some((r) => r.name === t.name)).map((t) => t.name);
    if (!newcomers.length || !patched('release-holders-asked')) return {};
    const self = { org: state.org, group: state.group, releaseName: this.release, namespace: state.spec.namespace, createdAt: state.createdAt };
    return membership.releaseHolders(self, newcomers);
  }

  /** Reads every target; records drift; repairs it when the deployment says so. */
  private async check(op: DeploymentOperation): Promise<void> {
    const { state } = this;
    const profiles = await this.profiles();
    const results = await Promise.all(
      state.targets.map(async (target) => {
        const values = this.desiredFor(target);
        if ('problems' in values) return this.record(op, unrenderable(target, values.problems));
        const desired = { values: values.values, ...(state.spec.version ? { chartVersion: state.spec.version } : {}) };
        const read = await helm.helmCheck(target, { name: this.release, namespace: state.spec.namespace }, desired).catch((err) => failed(target, err));
        return this.record(op, this.profileDrift(read, target, profiles));
      }),
    );
    const drifted = results.filter((r) => r.status === 'STALE' || r.status === 'NOT_INSTALLED');
    const seenAt = now();
    const records: DriftRecord[] = drifted.map((r) => ({ clusterName: r.clusterName, status: r.status, ...(r.message ? { reason: r.message } : {}), seenAt }));
    state.drift = [...state.drift, ...records].slice(-KEEP_DRIFT);
    if (drifted.length && state.spec.autoSync) {
      // A repair upgrades the drifted targets alone (runs recorded before this re-applied every target).
      await this.apply(op, patched('repair-drifted-targets-only') ? drifted.map((r) => r.clusterName) : undefined);
      const repairedAt = now();
      for (const d of records) if (state.results[d.clusterName]?.status === 'DEPLOYED') d.repairedAt = repairedAt;
    }
    drifted.forEach((r, i) => reportMetrics().driftFound({ provider: r.provider, repaired: records[i]!.repairedAt !== undefined }));
  }

  /** Uninstall everywhere; with force, unreachable targets are skipped and reported. */
  private async remove(op: Extract<DeploymentOperation, { type: 'delete' }>): Promise<void> {
    const { state } = this;
    state.status = 'DELETING';
    const everywhere = [...state.installedOn, ...state.targets.filter((t) => !state.installedOn.some((r) => r.name === t.name) && !state.heldElsewhere?.includes(t.name))];
    const failures: string[] = [];
    await Promise.all(
      everywhere.map(async (ref) => {
        try {
          await helm.helmRemove(ref, { name: this.release, namespace: state.spec.namespace });
          state.installedOn = state.installedOn.filter((r) => r.name !== ref.name);
          delete state.results[ref.name];
        } catch (err) {
          failures.push(ref.name);
          this.record(op, failed(ref, err));
        }
      }),
    );
    if (failures.length && !op.force) {
      state.status = 'FAILED';
      throw new Error(`uninstall failed on ${failures.join(', ')}; delete with force=true to skip them`);
    }
    if (failures.length) op.skipped = failures;
    state.status = 'DELETED';
  }

  /** The org's provider profiles; none in runs recorded before them. */
  private async profiles(): Promise<Profile[]> {
    return patched('provider-profiles') ? profileStore.orgProfiles(this.state.org) : [];
  }

  /** Installs or upgrades one target with its own values and its provider profiles (post-rendered); records the profile versions it applied. */
  private async applyTo(target: ClusterRef, profiles: readonly Profile[]): Promise<TargetRecord> {
    const desired = this.desiredFor(target);
    if ('problems' in desired) return unrenderable(target, desired.problems);
    const applying = profilesFor(profiles, target);
    const postRender = postRenderRules(applying, target);
    const result = await helm.helmApply(target, { ...targetRelease(this.state.spec, desired.values), ...(postRender ? { postRender } : {}) }).catch((err) => failed(target, err));
    if (result.status !== 'FAILED' && result.status !== 'UNKNOWN') (this.state.appliedProfiles ??= {})[target.name] = appliedProfiles(applying);
    return result;
  }

  private profileDrift(read: TargetRecord, target: ClusterRef, profiles: readonly Profile[]): TargetRecord {
    return withProfileDrift(read, this.state.appliedProfiles?.[target.name], appliedProfiles(profilesFor(profiles, target)));
  }

  /** The target's values: merged by name alone in runs recorded before selector overrides and templates. */
  private desiredFor(target: ClusterRef): { values: Values } | { problems: Problem[] } {
    const { spec } = this.state;
    if (!patched('values-by-selector-and-templates')) return { values: mergeValues(spec.values, spec.valueOverrides[target.name]) };
    return targetValues(spec, target);
  }

  private record(op: DeploymentOperation, result: TargetRecord): TargetRecord {
    this.state.results[result.clusterName] = result;
    op.results = [...op.results.filter((r) => r.clusterName !== result.clusterName), result];
    this.publish();
    return result;
  }

  /** Tells the group this deployment began or ended (it may be gone already). */
  private async tellGroup(signal: typeof deploymentAddedSignal): Promise<void> {
    await getExternalWorkflowHandle(groupWorkflowId(this.state.org, this.state.group)).signal(signal, this.release).catch(() => undefined);
  }

  private publish(): void {
    const { state } = this;
    state.updatedAt = now();
    upsertMemo({ deployment: deploymentView(state) });
    const lines = Object.values(state.results).map((r) => `- ${r.clusterName}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
    setCurrentDetails([`**${this.release}** on group ${state.group} — ${state.status}`, ...lines].join('\n'));
  }
}

/** A target whose values could not be templated (a label its cluster lacks): FAILED, and helm is not asked. */
function unrenderable(target: ClusterRef, problems: Problem[]): TargetRecord {
  return { clusterName: target.name, provider: target.provider, status: 'FAILED', stale: true, message: unrenderableMessage(problems), lastCheckedAt: now() };
}

/** A target that failed: UNKNOWN when its cluster could not be reached (the helm adapter's failure type), else FAILED. */
function failed(target: ClusterRef, err: unknown): TargetRecord {
  const unreachable = failureOfType(err, FailureType.clusterUnreachable) !== undefined;
  return { clusterName: target.name, provider: target.provider, status: unreachable ? 'UNKNOWN' : 'FAILED', stale: true, message: rootMessage(err), lastCheckedAt: now() };
}
