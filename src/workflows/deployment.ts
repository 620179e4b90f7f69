import {
  allHandlersFinished,
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
import type { ClusterRef } from '../domain/cluster.js';
import {
  deploymentView,
  type DeploymentOperation,
  type DeploymentOperationType,
  type DeploymentSpec,
  type DeploymentState,
  type DeploymentView,
  type DriftRecord,
  type TargetRecord,
} from '../domain/groups.js';
import { sameTargets } from '../domain/deployment.js';
import { deploymentOperationId, groupWorkflowId, HELM_TASK_QUEUE } from '../domain/ids.js';
import { mergeValues, valuesProblems } from '../domain/values.js';
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../domain/problems.js';
import {
  deleteDeploymentUpdate,
  deploymentAddedSignal,
  deploymentDeleteSignal,
  deploymentRemovedSignal,
  deploymentStateQuery,
  deploymentTargetsSignal,
  editDeploymentUpdate,
  reconcileSignal,
  type EditDeploymentRequest,
  syncDeploymentUpdate,
} from './messages.js';
import { reportMetrics } from './metrics.js';
import { rootMessage } from '../domain/failures.js';

export interface DeploymentWorkflowInput {
  org: string;
  group: string;
  spec: DeploymentSpec;
  targets: ClusterRef[];
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

const KEEP_OPERATIONS = 30;
const KEEP_DRIFT = 100;

/**
 * A multi-cluster deployment (`deployment/<org>/<group>/<release>`): one Helm
 * release on every member of a group, each target handled on its own and in
 * parallel. Requests queue and run in order, like the cluster entity's.
 */
export async function deploymentWorkflow(input: DeploymentWorkflowInput): Promise<DeploymentView> {
  const now = () => new Date().toISOString();
  const state: DeploymentState = input.state ?? {
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
  const release = state.spec.releaseName;
  const conflict = (message: string) => ApplicationFailure.create({ type: FailureType.conflict, message, nonRetryable: true });

  const publish = () => {
    state.updatedAt = now();
    upsertMemo({ deployment: deploymentView(state) });
    const lines = Object.values(state.results).map((r) => `- ${r.clusterName}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
    setCurrentDetails([`**${release}** on group ${state.group} — ${state.status}`, ...lines].join('\n'));
  };
  const enqueue = (type: DeploymentOperationType, requestId: string, force?: boolean): DeploymentOperation => {
    const known = state.requests[requestId] && state.operations.find((op) => op.id === state.requests[requestId]);
    if (known) return known;
    const op: DeploymentOperation = {
      id: deploymentOperationId(state.group, release, state.nextSeq++),
      type,
      state: 'QUEUED',
      requestId,
      ...(force !== undefined ? { force } : {}),
      results: [],
      createdAt: now(),
    };
    state.operations.push(op);
    state.requests[requestId] = op.id;
    const finished = state.operations.filter((o) => o.state !== 'QUEUED' && o.state !== 'RUNNING');
    state.operations = state.operations.filter((o) => !finished.slice(0, Math.max(0, finished.length - KEEP_OPERATIONS)).includes(o));
    publish();
    return op;
  };
  const deleting = () => state.status === 'DELETING' || state.operations.some((op) => op.type === 'delete' && (op.state === 'QUEUED' || op.state === 'RUNNING'));

  setHandler(deploymentStateQuery, () => state);
  const edited = ({ spec, reuseValues }: EditDeploymentRequest): DeploymentSpec =>
    reuseValues
      ? {
          ...state.spec,
          ...spec,
          values: mergeValues(state.spec.values, spec.values),
          valueOverrides: Object.fromEntries(
            [...new Set([...Object.keys(state.spec.valueOverrides), ...Object.keys(spec.valueOverrides)])].map((c) => [
              c,
              mergeValues(state.spec.valueOverrides[c] ?? {}, spec.valueOverrides[c]),
            ]),
          ),
        }
      : { ...spec, releaseName: release };
  setHandler(
    editDeploymentUpdate,
    (request) => {
      if (state.requests[request.requestId]) return enqueue('apply', request.requestId);
      state.spec = edited(request);
      return enqueue('apply', request.requestId);
    },
    {
      validator: (request) => {
        if (state.requests[request.requestId]) return;
        if (deleting()) throw conflict('the deployment is being deleted');
        // Merged with reuseValues, values each within the API's limits may together grow past them.
        const next = edited(request);
        const problems = [
          ...valuesProblems(next.values, ['values']),
          ...Object.entries(next.valueOverrides).flatMap(([cluster, values]) => valuesProblems(values, ['valueOverrides', cluster])),
        ];
        if (problems.length) {
          throw ApplicationFailure.create({ type: FailureType.invalid, message: 'the merged values would be too large', details: [problems], nonRetryable: true });
        }
      },
    },
  );
  setHandler(syncDeploymentUpdate, ({ requestId }) => enqueue('apply', requestId), {
    validator: ({ requestId }) => {
      if (!state.requests[requestId] && deleting()) throw conflict('the deployment is being deleted');
    },
  });
  setHandler(deleteDeploymentUpdate, ({ requestId, force }) => enqueue('delete', requestId, force ?? false));
  setHandler(deploymentTargetsSignal, (targets) => {
    // The group tells all its deployments when members change; one started while it was telling
    // may hear the members it started with. Nothing changed, so nothing to apply.
    if (sameTargets(state.targets, targets) && patched('unchanged-targets-no-apply')) return;
    state.targets = targets;
    if (!deleting()) enqueue('apply', `members-${uuid4()}`);
  });
  setHandler(deploymentDeleteSignal, ({ force }) => void enqueue('delete', `group-delete-${uuid4()}`, force));
  setHandler(reconcileSignal, () => {
    if (!deleting() && !state.operations.some((op) => op.type === 'check' && op.state === 'QUEUED')) enqueue('check', `reconcile-${uuid4()}`);
  });

  const failed = (target: ClusterRef, err: unknown): TargetRecord => {
    const message = rootMessage(err);
    const unreachable = /unreachable|connection refused|no such host|i\/o timeout|context deadline exceeded|EOF/i.test(message);
    return { clusterName: target.name, provider: target.provider, status: unreachable ? 'UNKNOWN' : 'FAILED', stale: true, message, lastCheckedAt: now() };
  };
  const desiredFor = (target: ClusterRef) => mergeValues(state.spec.values, state.spec.valueOverrides[target.name]);
  const releaseFor = (target: ClusterRef) => ({
    name: release,
    namespace: state.spec.namespace,
    chart: state.spec.chart,
    ...(state.spec.repo ? { repo: state.spec.repo } : {}),
    ...(state.spec.version ? { version: state.spec.version } : {}),
    values: desiredFor(target),
  });
  const record = (op: DeploymentOperation, result: TargetRecord) => {
    state.results[result.clusterName] = result;
    op.results = [...op.results.filter((r) => r.clusterName !== result.clusterName), result];
    publish();
    return result;
  };

  /** Install or upgrade on every target (or `only` those, for a repair), uninstall from clusters that left: each on its own, all at once. */
  const apply = async (op: DeploymentOperation, only?: readonly string[]) => {
    const targets = only ? state.targets.filter((t) => only.includes(t.name)) : state.targets;
    const departed = only ? [] : state.installedOn.filter((ref) => !state.targets.some((t) => t.name === ref.name));
    await Promise.all([
      ...targets.map(async (target) => {
        const result = await helm.helmApply(target, releaseFor(target)).catch((err) => failed(target, err));
        record(op, result);
        if (result.status !== 'FAILED' && result.status !== 'UNKNOWN' && !state.installedOn.some((r) => r.name === target.name)) {
          state.installedOn.push(target);
        }
      }),
      ...departed.map(async (ref) => {
        try {
          await helm.helmRemove(ref, { name: release, namespace: state.spec.namespace });
          state.installedOn = state.installedOn.filter((r) => r.name !== ref.name);
          delete state.results[ref.name];
        } catch (err) {
          record(op, { ...failed(ref, err), message: `left the group; uninstall failed: ${rootMessage(err)}` });
        }
      }),
    ]);
    const statuses = state.targets.map((t) => state.results[t.name]?.status);
    state.status = statuses.every((s) => s === 'DEPLOYED') ? 'DEPLOYED' : statuses.some((s) => s === 'DEPLOYED') ? 'PARTIAL' : 'FAILED';
    if (state.status !== 'DEPLOYED') op.error = 'not every target is deployed; see results';
  };

  /** Reads every target; records drift; repairs it when the deployment says so. */
  const check = async (op: DeploymentOperation) => {
    const results = await Promise.all(
      state.targets.map(async (target) => {
        const desired = { values: desiredFor(target), ...(state.spec.version ? { chartVersion: state.spec.version } : {}) };
        return record(op, await helm.helmCheck(target, { name: release, namespace: state.spec.namespace }, desired).catch((err) => failed(target, err)));
      }),
    );
    const drifted = results.filter((r) => r.status === 'STALE' || r.status === 'NOT_INSTALLED');
    const seenAt = now();
    const records: DriftRecord[] = drifted.map((r) => ({ clusterName: r.clusterName, status: r.status, ...(r.message ? { reason: r.message } : {}), seenAt }));
    state.drift = [...state.drift, ...records].slice(-KEEP_DRIFT);
    if (drifted.length && state.spec.autoSync) {
      // A repair upgrades the drifted targets alone (runs recorded before this re-applied every target).
      await apply(op, patched('repair-drifted-targets-only') ? drifted.map((r) => r.clusterName) : undefined);
      const repairedAt = now();
      for (const d of records) if (state.results[d.clusterName]?.status === 'DEPLOYED') d.repairedAt = repairedAt;
    }
    drifted.forEach((r, i) => reportMetrics().driftFound({ provider: r.provider, repaired: records[i]!.repairedAt !== undefined }));
  };

  /** Uninstall everywhere; with force, unreachable targets are skipped and reported. */
  const remove = async (op: DeploymentOperation) => {
    state.status = 'DELETING';
    const everywhere = [...state.installedOn, ...state.targets.filter((t) => !state.installedOn.some((r) => r.name === t.name))];
    const failures: string[] = [];
    await Promise.all(
      everywhere.map(async (ref) => {
        try {
          await helm.helmRemove(ref, { name: release, namespace: state.spec.namespace });
          state.installedOn = state.installedOn.filter((r) => r.name !== ref.name);
          delete state.results[ref.name];
        } catch (err) {
          failures.push(ref.name);
          record(op, failed(ref, err));
        }
      }),
    );
    if (failures.length && !op.force) {
      state.status = 'FAILED';
      throw new Error(`uninstall failed on ${failures.join(', ')}; delete with force=true to skip them`);
    }
    if (failures.length) op.skipped = failures;
    state.status = 'DELETED';
  };

  if (!input.state) {
    enqueue('apply', input.requestId);
    await getExternalWorkflowHandle(groupWorkflowId(state.org, state.group)).signal(deploymentAddedSignal, release).catch(() => undefined);
  }
  publish();
  for (;;) {
    await condition(() => state.operations.some((op) => op.state === 'QUEUED') || workflowInfo().continueAsNewSuggested);
    const op = state.operations.find((o) => o.state === 'QUEUED');
    if (!op) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof deploymentWorkflow>({ ...input, spec: state.spec, targets: state.targets, state });
    }
    op.state = 'RUNNING';
    publish();
    try {
      if (op.type === 'apply') await apply(op);
      else if (op.type === 'check') await check(op);
      else await remove(op);
      op.state = op.error ? 'FAILED' : 'SUCCEEDED';
    } catch (err) {
      op.state = 'FAILED';
      op.error = rootMessage(err);
    }
    op.finishedAt = now();
    publish();
    if (state.status === 'DELETED') {
      for (const queued of state.operations.filter((o) => o.state === 'QUEUED')) queued.state = 'CANCELLED';
      await getExternalWorkflowHandle(groupWorkflowId(state.org, state.group)).signal(deploymentRemovedSignal, release).catch(() => undefined);
      await condition(allHandlersFinished);
      return deploymentView(state);
    }
  }
}
