import {
  ApplicationFailure,
  condition,
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
import { checkedRecord, readStatus, sameTargets, type ReleaseRead } from '../domain/deployment.js';
import {
  actionRefusal,
  DEFAULT_HEALTH_TIMEOUT_SECONDS,
  resolveWaves,
  startProgress,
  type RolloutProgress,
  type RolloutSpec,
  type TargetHealth,
  type WaveProgress,
} from '../domain/rollout.js';
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
  rolloutActionUpdate,
  type EditDeploymentRequest,
  syncDeploymentUpdate,
} from './messages.js';
import { now, OperationLedger, runEntity } from './entity.js';
import { refused } from './refused.js';
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

function conflict(message: string): ApplicationFailure {
  return refused(FailureType.conflict, message);
}

class DeploymentEntity {
  private readonly state: DeploymentState;
  private readonly ledger: OperationLedger<DeploymentOperation>;
  private readonly release: string;
  /** The latest reconcile pass's reads of the targets, for the check it queued. */
  private passReads?: Record<string, ReleaseRead | null>;

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
            throw refused(FailureType.invalid, 'the merged values are not valid', problems);
          }
        },
      },
    );
    setHandler(syncDeploymentUpdate, ({ requestId }) => this.enqueue({ type: 'apply' }, requestId), {
      validator: ({ requestId }) => {
        if (!this.ledger.known(requestId) && this.deleting()) throw conflict('the deployment is being deleted');
      },
    });
    setHandler(
      rolloutActionUpdate,
      ({ action }) => {
        const op = this.runningRollout()!;
        const progress = op.rollout!;
        if (action === 'pause') progress.paused = true;
        if (action === 'resume') progress.paused = false;
        if (action === 'approve') progress.awaitingApproval = false;
        if (action === 'abort') progress.aborted = true;
        this.publish();
        return op;
      },
      {
        validator: ({ action }) => {
          const refusal = actionRefusal(this.runningRollout()?.rollout, action);
          if (refusal) throw conflict(refusal);
        },
      },
    );
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
    setHandler(reconcileSignal, (pass) => {
      if (this.deleting()) return;
      if (pass) this.passReads = pass.reads;
      if (!this.ledger.find((op) => op.type === 'check' && op.state === 'QUEUED')) this.enqueue({ type: 'check' }, `reconcile-${uuid4()}`);
    });
  }

  private runningRollout(): DeploymentOperation | undefined {
    return this.ledger.find((op) => op.state === 'RUNNING' && op.rollout !== undefined);
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

  /** A delete waits behind the running operation: a rollout waiting on a pause or an approval gives way to it. */
  private deleteQueued(): boolean {
    return this.ledger.find((op) => op.type === 'delete' && op.state === 'QUEUED') !== undefined;
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

  /**
   * Install or upgrade on every target (or `only` those, for a repair), uninstall from clusters that
   * left: each target on its own; all at once, or wave after wave when the spec has a rollout.
   */
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
    const applying = targets.filter((t) => !waiting.includes(t) && !held[t.name]);
    // DEPLOYED means healthy (issue 16, point 6); runs recorded before the gate did not wait for it.
    const gated = patched('apply-health-gate');
    const rollout = gated && !only ? state.spec.rollout : undefined;
    const healthTimeout = state.spec.rollout?.healthTimeoutSeconds ?? DEFAULT_HEALTH_TIMEOUT_SECONDS;
    await Promise.all([
      rollout ? this.rollOut(op, rollout, applying, profiles) : Promise.all(applying.map((target) => this.applyTarget(op, target, profiles, gated ? healthTimeout : undefined))),
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
    if (state.status !== 'DEPLOYED') op.error ??= 'not every target is deployed; see results';
  }

  /**
   * Installs or upgrades one target; with a health timeout, then waits (PROGRESSING) until its
   * workloads are ready: DEPLOYED, or DEGRADED with the reason when the timeout passes first.
   */
  private async applyTarget(op: DeploymentOperation, target: ClusterRef, profiles: readonly Profile[], healthTimeout?: number, mark?: (health: TargetHealth, reason?: string) => void): Promise<TargetRecord> {
    const { state } = this;
    const result = await this.applyTo(target, profiles);
    this.record(op, healthTimeout === undefined || result.status !== 'DEPLOYED' ? result : { ...result, status: 'PROGRESSING' });
    if (result.status !== 'FAILED' && result.status !== 'UNKNOWN' && !state.installedOn.some((r) => r.name === target.name)) {
      state.installedOn.push(target);
    }
    if (healthTimeout === undefined || result.status !== 'DEPLOYED') {
      mark?.('FAILED', result.message ?? result.status);
      return result;
    }
    mark?.('PROGRESSING');
    const deadline = new Date(Date.now() + healthTimeout * 1000).toISOString();
    const health = await healthGate(healthTimeout)
      .helmAwaitHealthy(target, { name: this.release, namespace: state.spec.namespace }, { revision: result.revision!, deadline })
      .catch((err) => failed(target, err));
    mark?.(health.status === 'DEPLOYED' ? 'HEALTHY' : 'DEGRADED', health.message);
    return this.record(op, { ...health, ...(result.chartVersion ? { chartVersion: result.chartVersion } : {}), revision: result.revision! });
  }

  /**
   * Wave after wave (src/domain/rollout.ts): each waits for pauses, the pause between waves and a
   * manual approval; a wave whose targets do not all turn healthy stops the rollout, and with
   * `rollback` its targets go back to their previous revision. Later waves are not touched.
   */
  private async rollOut(op: DeploymentOperation, rollout: RolloutSpec, targets: readonly ClusterRef[], profiles: readonly Profile[]): Promise<void> {
    const waves = resolveWaves(rollout, targets);
    const progress = (op.rollout = startProgress(waves));
    const stopped = () => progress.aborted || this.deleteQueued();
    for (const [i, wave] of waves.entries()) {
      progress.current = i;
      if (i > 0 && rollout.pauseBetweenWavesSeconds) await condition(stopped, rollout.pauseBetweenWavesSeconds * 1000);
      if (i > 0 && rollout.approval === 'manual' && !stopped()) {
        progress.awaitingApproval = true;
        this.publish();
        await condition(() => !progress.awaitingApproval || stopped());
      }
      const entry = progress.waves[i]!;
      const outcomes: { target: ClusterRef; record: TargetRecord; revision?: number }[] = [];
      entry.state = 'RUNNING';
      await eachAtMost(wave, rollout.maxParallel ?? wave.length, async (target) => {
        await condition(() => !progress.paused || stopped());
        if (stopped()) return;
        const mark = (health: TargetHealth, reason?: string) => this.mark(entry, target.name, health, reason);
        const record = await this.applyTarget(op, target, profiles, rollout.healthTimeoutSeconds, mark);
        outcomes.push({ target, record, ...(record.revision !== undefined ? { revision: record.revision } : {}) });
      });
      const failures = outcomes.filter((o) => o.record.status !== 'DEPLOYED');
      if (failures.length === 0 && !stopped()) {
        entry.state = 'HEALTHY';
        this.publish();
        continue;
      }
      if (failures.length === 0) {
        // Aborted: what this wave reached stays as it is.
        if (outcomes.length === wave.length) entry.state = 'HEALTHY';
        break;
      }
      const why = failures.map((f) => `${f.target.name}: ${f.record.message ?? f.record.status}`).join('; ');
      if (rollout.onFailure === 'rollback') {
        await this.rollBack(op, entry, outcomes, `wave ${i + 1} failed`);
        entry.state = 'ROLLED_BACK';
        op.error = `wave ${i + 1} of ${waves.length} failed and was rolled back; not healthy: ${why}`;
      } else {
        entry.state = 'FAILED';
        op.error = `wave ${i + 1} of ${waves.length} failed; halted; not healthy: ${why}`;
      }
      break;
    }
    for (const entry of progress.waves) if (entry.state === 'PENDING' || entry.state === 'RUNNING') entry.state = 'SKIPPED';
    if (stopped() && !op.error) op.error = `aborted at wave ${progress.current + 1} of ${waves.length}; later waves not applied`;
    progress.awaitingApproval = false;
    this.publish();
  }

  /** Every target of a failed wave back to the revision it had (a first install uninstalled). */
  private async rollBack(op: DeploymentOperation, wave: WaveProgress, outcomes: { target: ClusterRef; revision?: number }[], why: string): Promise<void> {
    const { state } = this;
    await Promise.all(
      outcomes.map(async ({ target, revision }) => {
        const values = this.desiredFor(target);
        // A target whose values cannot be templated was never applied: the desired values compare with nothing.
        const desired = { values: 'values' in values ? values.values : {}, ...(state.spec.version ? { chartVersion: state.spec.version } : {}) };
        const reason = wave.targets.find((t) => t.clusterName === target.name)?.reason;
        try {
          const back = await helm.helmRollback(target, { name: this.release, namespace: state.spec.namespace }, revision, desired);
          this.record(op, { ...back, message: `${back.message} (${why})` });
          if (back.status === 'NOT_INSTALLED') state.installedOn = state.installedOn.filter((r) => r.name !== target.name);
          this.mark(wave, target.name, back.status === 'NOT_INSTALLED' ? 'UNINSTALLED' : 'ROLLED_BACK', reason);
        } catch (err) {
          this.record(op, { ...failed(target, err), message: `rollback failed: ${rootMessage(err)}` });
          this.mark(wave, target.name, 'FAILED', `rollback failed: ${rootMessage(err)}`);
        }
      }),
    );
  }

  private mark(wave: WaveProgress, clusterName: string, health: TargetHealth, reason?: string): void {
    const entry = wave.targets.find((t) => t.clusterName === clusterName);
    if (!entry) return;
    entry.health = health;
    if (reason) entry.reason = reason;
    else delete entry.reason;
    this.publish();
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
    // The pass read every cluster once for all its releases; runs recorded before that read each target here.
    const passReads = this.passReads;
    this.passReads = undefined;
    const given = passReads && patched('reconcile-reads-per-cluster') ? passReads : {};
    const results = await Promise.all(
      state.targets.map(async (target) => {
        const values = this.desiredFor(target);
        if ('problems' in values) return this.record(op, unrenderable(target, values.problems));
        const desired = { values: values.values, ...(state.spec.version ? { chartVersion: state.spec.version } : {}) };
        const passRead = given[target.name];
        // A read older than the revision this entity last applied predates that apply: the target is read again.
        const current = passRead !== undefined && (passRead?.revision ?? Infinity) >= (state.results[target.name]?.revision ?? 0);
        const read = current
          ? checkedRecord(target, readStatus(passRead, desired), passRead, now())
          : await helm.helmCheck(target, { name: this.release, namespace: state.spec.namespace }, desired).catch((err) => failed(target, err));
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
    const rollout = this.runningRollout()?.rollout;
    setCurrentDetails([`**${this.release}** on group ${state.group} — ${state.status}`, ...lines, ...(rollout ? rolloutDetails(rollout) : [])].join('\n'));
  }
}

/** A target whose values could not be templated (a label its cluster lacks): FAILED, and helm is not asked. */
function unrenderable(target: ClusterRef, problems: Problem[]): TargetRecord {
  return { clusterName: target.name, provider: target.provider, status: 'FAILED', stale: true, message: unrenderableMessage(problems), lastCheckedAt: now() };
}

/** The running rollout in the Web UI's current details: the wave, its targets and their health. */
function rolloutDetails(progress: RolloutProgress): string[] {
  const waiting = progress.aborted ? ' (aborting)' : progress.awaitingApproval ? ' (waiting for approval)' : progress.paused ? ' (paused)' : '';
  return [
    '',
    `**Rollout**: wave ${progress.current + 1} of ${progress.waves.length}${waiting}`,
    ...progress.waves.map((w, i) => `- wave ${i + 1} ${w.state}: ${w.targets.map((t) => `${t.clusterName} ${t.health}${t.reason ? ` (${t.reason})` : ''}`).join(', ')}`),
  ];
}

/** Runs `fn` on every item, at most `limit` at once, in order of the items. */
async function eachAtMost<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** The health gate's activity, given time for its whole wait plus a margin; heartbeats notice a lost worker sooner. */
function healthGate(timeoutSeconds: number) {
  return proxyActivities<HelmActivities>({
    taskQueue: HELM_TASK_QUEUE,
    startToCloseTimeout: `${timeoutSeconds + 120} seconds`,
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
  });
}

/** A target that failed: UNKNOWN when its cluster could not be reached (the helm adapter's failure type), else FAILED. */
function failed(target: ClusterRef, err: unknown): TargetRecord {
  const unreachable = failureOfType(err, FailureType.clusterUnreachable) !== undefined;
  return { clusterName: target.name, provider: target.provider, status: unreachable ? 'UNKNOWN' : 'FAILED', stale: true, message: rootMessage(err), lastCheckedAt: now() };
}
