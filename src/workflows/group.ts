import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  type SignalDefinition,
  upsertMemo,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { JoinOutcome, MembershipActivities } from '../activities/membership.js';
import type { ClusterRef } from '../domain/cluster.js';
import { clusterLabels } from '../domain/cluster-labels.js';
import { sameTargets } from '../domain/deployment.js';
import { matches, selectorRequirements, type LabelSelector } from '../domain/label-selector.js';
import { groupView, type GroupOperation, type GroupOperationRequest, type GroupState, type GroupView } from '../domain/groups.js';
import { clusterWorkflowId, deploymentWorkflowId } from '../domain/ids.js';
import { isFinished } from '../domain/operations.js';
import { FailureType, type Problem } from '../domain/problems.js';
import { now, OperationLedger, runEntity } from './entity.js';
import { refused } from './refused.js';
import { rootMessage } from '../domain/failures.js';
import {
  clusterAnnouncedSignal,
  clusterGroupSignal,
  deleteGroupUpdate,
  deploymentClusterDeletedSignal,
  deploymentAddedSignal,
  deploymentDeleteSignal,
  deploymentRemovedSignal,
  deploymentTargetsSignal,
  groupStateQuery,
  setGroupMembersUpdate,
} from './messages.js';

export interface GroupWorkflowInput {
  org: string;
  name: string;
  members: ClusterRef[];
  /** A selector group: members are the clusters whose labels match, found by the group itself. */
  selector?: LabelSelector;
  /** The create request's ID: its update (sent with the start) waits for the first members to be claimed. */
  requestId?: string;
  state?: GroupState;
}

// Served by the workflows' own workers (src/worker.ts): a cluster entity's answer takes a moment.
const membership = proxyActivities<MembershipActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

/** The request ID of a group's creation when the starter names none. */
export const CREATE_REQUEST_ID = 'create';
const KEEP_OPERATIONS = 30;
const KEEP_REQUEST_IDS = 200;

/**
 * A cluster group (`clustergroup/<org>/<name>`): its members, and its deployments, which it tells
 * when members come and go. A cluster belongs to one group of named members at most: the group asks
 * each joining cluster's entity, which refuses when it belongs to another. A selector group's members
 * are the clusters its selector matches, which it decides itself from what clusters announce; a
 * cluster may be in any number of those (docs/architecture.md, decision 5).
 */
export async function clusterGroupWorkflow(input: GroupWorkflowInput): Promise<GroupView> {
  return new GroupEntity(input).run();
}

class GroupEntity {
  private readonly state: GroupState;
  private readonly ledger: OperationLedger<GroupOperation>;
  /**
   * Whether requests queue as operations that the main loop runs, claiming joining clusters first
   * (decided once, in the run's first task). Runs begun before did the work in the update handlers,
   * sending their signals from there, and must replay so.
   */
  private readonly queued: boolean;
  private over = false;

  constructor(private readonly input: GroupWorkflowInput) {
    this.queued = patched('group-operations-queued');
    const createdAt = now();
    const old = input.state;
    this.state = old
      ? // A state carried from a run before the ledger has none of it.
        { ...old, operations: old.operations ?? [], nextSeq: old.nextSeq ?? 1, requests: old.requests ?? {} }
      : {
          org: input.org,
          name: input.name,
          ...(input.selector ? { selector: input.selector } : {}),
          members: [],
          deployments: [],
          createdAt,
          updatedAt: createdAt,
          operations: [],
          nextSeq: 1,
          requests: {},
        };
    this.ledger = new OperationLedger(this.state, { finished: KEEP_OPERATIONS, requests: KEEP_REQUEST_IDS });
    // Queued before the handlers exist: the create's update, sent with the start, finds it.
    if (!input.state && this.queued) this.enqueue({ type: 'create', members: input.members }, input.requestId ?? CREATE_REQUEST_ID);
    this.registerHandlers();
  }

  async run(): Promise<GroupView> {
    if (!this.input.state && !this.queued) await this.changeMembers(this.input.members, true);
    upsertMemo({ group: groupView(this.state) });
    return runEntity({
      ledger: this.ledger,
      // A members update waits for its operation: the loop must not wait for it first, nor continue as new before it ran.
      handlersFirst: false,
      shouldContinueAsNew: () => !this.ledger.next() && workflowInfo().continueAsNewSuggested,
      continueAsNew: () =>
        continueAsNew<typeof clusterGroupWorkflow>({ org: this.state.org, name: this.state.name, members: this.state.members, ...(this.state.selector ? { selector: this.state.selector } : {}), state: this.state }),
      execute: (op) => this.execute(op),
      ended: () => (this.over ? groupView(this.state) : undefined),
    });
  }

  private registerHandlers(): void {
    const { state } = this;
    setHandler(groupStateQuery, () => state);
    setHandler(deploymentAddedSignal, (release) => {
      if (!state.deployments.includes(release)) state.deployments.push(release);
      upsertMemo({ group: groupView(state) });
    });
    setHandler(deploymentRemovedSignal, (release) => {
      state.deployments = state.deployments.filter((r) => r !== release);
      upsertMemo({ group: groupView(state) });
    });
    setHandler(clusterAnnouncedSignal, (announcement) => {
      if (!this.queued || state.deleting) return;
      const name = 'deleted' in announcement ? announcement.deleted : announcement.cluster.name;
      // A group of named members minds only its own; a selector group, any cluster that may match.
      if (!state.selector && !state.members.some((m) => m.name === name)) return;
      const request: GroupOperationRequest = 'deleted' in announcement ? { type: 'clusterDeleted', name } : { type: 'clusterChanged', cluster: announcement.cluster };
      this.enqueue(request, `announced-${uuid4()}`);
    });
    setHandler(
      setGroupMembersUpdate,
      async ({ requestId, members }) => {
        if (!this.queued) {
          await this.changeMembers(members, true);
          return groupView(state);
        }
        return this.outcome(this.ledger.known(requestId) ?? this.enqueue({ type: 'setMembers', members }, requestId));
      },
      {
        validator: ({ requestId }) => {
          if (this.queued && this.ledger.known(requestId)) return;
          if (state.deleting) throw refused(FailureType.conflict, 'the group is being deleted');
          // The create of a selector group comes this way too, with no members, before the group has any.
          if (state.selector && requestId !== (this.input.requestId ?? CREATE_REQUEST_ID)) {
            throw refused(FailureType.conflict, 'the members of a selector group follow its selector; they cannot be set');
          }
        },
      },
    );
    setHandler(
      deleteGroupUpdate,
      async ({ requestId, force = false }) => {
        if (this.ledger.known(requestId)) return groupView(state);
        state.deleting = true;
        // Runs from before the ledger told the deployments here; the main loop does now.
        if (!this.queued && force) await this.tellDeployments(deploymentDeleteSignal, { force: true });
        this.enqueue({ type: 'delete', force }, requestId);
        return groupView(state);
      },
      {
        validator: ({ requestId, force }) => {
          if (this.ledger.known(requestId)) return;
          if (state.deployments.length && !force) {
            throw refused(FailureType.conflict, `the group has deployments (${state.deployments.join(', ')}); delete them first, or delete the group with force=true`);
          }
        },
      },
    );
  }

  private enqueue(request: GroupOperationRequest, requestId: string): GroupOperation {
    return this.ledger.enqueue(requestId, (seq) => ({ id: `${this.state.name}.${seq}`, ...request, state: 'QUEUED', requestId, createdAt: now() }));
  }

  /** What a members request answers once its operation ran: the group, or why the members were refused. */
  private async outcome(op: GroupOperation): Promise<GroupView> {
    await condition(() => isFinished(op));
    if (op.state !== 'FAILED') return groupView(this.state);
    const { refusal } = op;
    throw ApplicationFailure.create({
      ...(refusal ? { type: refusal.type === 'conflict' ? FailureType.conflict : FailureType.invalid, details: [refusal.problems] } : {}),
      message: op.error ?? 'the members were not changed',
      nonRetryable: true,
    });
  }

  private async execute(op: GroupOperation): Promise<void> {
    op.state = 'RUNNING';
    try {
      switch (op.type) {
        case 'delete':
          await this.remove(op);
          break;
        case 'clusterChanged':
          await this.clusterChanged(op.cluster);
          break;
        case 'clusterDeleted':
          await this.clusterDeleted(op.name);
          break;
        default:
          if (this.state.selector) await this.changeMembers((await membership.provisionedClusters(this.state.org)).filter((c) => this.selects(c)), false);
          else if (await this.claim(op.members, op)) await this.changeMembers(op.members, false);
      }
    } catch (err) {
      // The clusters could not be asked (the membership activity gave up): this request fails, not the group.
      op.error = rootMessage(err);
    }
    op.state = op.error ? 'FAILED' : 'SUCCEEDED';
    op.finishedAt = now();
    // A create that failed leaves no group behind.
    if (op.type === 'create' && op.state === 'FAILED') this.over = true;
  }

  private selects(cluster: ClusterRef): boolean {
    const selected = selectorRequirements(this.state.selector!);
    // The API refused a selector that does not read; one read before is read the same now.
    return 'requirements' in selected && matches(clusterLabels(cluster), selected.requirements);
  }

  /** A cluster's labels now: a selector group takes it in or lets it go; either group keeps its members' labels current for their deployments. */
  private async clusterChanged(cluster: ClusterRef): Promise<void> {
    const { members } = this.state;
    const isMember = members.some((m) => m.name === cluster.name);
    const belongs = this.state.selector ? this.selects(cluster) : isMember;
    const next = !belongs ? members.filter((m) => m.name !== cluster.name) : isMember ? members.map((m) => (m.name === cluster.name ? cluster : m)) : [...members, cluster];
    if (!sameTargets(next, members)) await this.changeMembers(next, false);
  }

  /** A deleted member leaves: its deployments drop it without an uninstall, which could only fail. */
  private async clusterDeleted(name: string): Promise<void> {
    if (!this.state.members.some((m) => m.name === name)) return;
    this.state.members = this.state.members.filter((m) => m.name !== name);
    this.state.updatedAt = now();
    upsertMemo({ group: groupView(this.state) });
    await this.tellDeployments(deploymentClusterDeletedSignal, name);
  }

  /** Asks every joining cluster to join; when one refuses, gives the others back and records why on `op`. */
  private async claim(members: ClusterRef[], op: GroupOperation): Promise<boolean> {
    const joining = members.filter((m) => !this.state.members.some((n) => n.name === m.name));
    const outcomes = await Promise.all(joining.map((m) => membership.joinGroup(this.state.org, m.name, this.state.name)));
    const problems: Problem[] = [];
    let conflict = false;
    outcomes.forEach((outcome: JoinOutcome, i) => {
      if (outcome.joined) return;
      const cluster = joining[i]!.name;
      const path = ['members', members.findIndex((m) => m.name === cluster)];
      conflict ||= 'otherGroup' in outcome;
      problems.push({ path, message: 'otherGroup' in outcome ? `cluster '${cluster}' already belongs to group '${outcome.otherGroup}'` : `no cluster '${cluster}' in this organization` });
    });
    if (!problems.length) return true;
    await this.tellClusters(joining.filter((_, i) => outcomes[i]!.joined), null);
    op.refusal = { type: conflict ? 'conflict' : 'invalid', problems };
    op.error = problems.map((p) => p.message).join('; ');
    return false;
  }

  /** The new members; clusters that left are told, those that joined too unless they were claimed, and every deployment. */
  private async changeMembers(members: ClusterRef[], tellJoined: boolean): Promise<void> {
    const { state } = this;
    const left = state.members.filter((m) => !members.some((n) => n.name === m.name));
    const joined = members.filter((m) => !state.members.some((n) => n.name === m.name));
    state.members = members;
    state.updatedAt = now();
    upsertMemo({ group: groupView(state) });
    // A cluster's own group is the one that named it; selector groups do not tell.
    if (!state.selector) {
      if (tellJoined) await this.tellClusters(joined, state.name);
      await this.tellClusters(left, null);
    }
    await this.tellDeployments(deploymentTargetsSignal, state.members);
  }

  /** Once its deployments are gone (a forced delete deletes them), the group lets its members go and ends. */
  private async remove(op: Extract<GroupOperation, { type: 'delete' }>): Promise<void> {
    if (this.queued && op.force) await this.tellDeployments(deploymentDeleteSignal, { force: true });
    await condition(() => this.state.deployments.length === 0);
    // The delete's update completes before the members are let go (as runs from before the ledger did it).
    await condition(allHandlersFinished);
    if (!this.state.selector) await this.tellClusters(this.state.members, null);
    this.over = true;
  }

  private async tellClusters(refs: ClusterRef[], group: string | null): Promise<void> {
    // A member deleted meanwhile has no entity to tell.
    await Promise.all(refs.map((ref) => getExternalWorkflowHandle(clusterWorkflowId(this.state.org, ref.name)).signal(clusterGroupSignal, group).catch(() => undefined)));
  }

  private async tellDeployments<Arg>(signal: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
    await Promise.all(
      this.state.deployments.map((release) =>
        getExternalWorkflowHandle(deploymentWorkflowId(this.state.org, this.state.name, release)).signal(signal, arg).catch(() => undefined),
      ),
    );
  }
}
