import { allHandlersFinished, condition, getExternalWorkflowHandle, setHandler, upsertMemo, workflowInfo, continueAsNew } from '@temporalio/workflow';
import type { ClusterRef } from '../domain/cluster.js';
import { groupView, type GroupState, type GroupView } from '../domain/groups.js';
import { clusterWorkflowId, deploymentWorkflowId } from '../domain/ids.js';
import { FailureType } from '../domain/problems.js';
import {
  clusterGroupSignal,
  deleteGroupUpdate,
  deploymentAddedSignal,
  deploymentDeleteSignal,
  deploymentRemovedSignal,
  deploymentTargetsSignal,
  groupStateQuery,
  setGroupMembersUpdate,
} from './messages.js';
import { ApplicationFailure } from '@temporalio/workflow';

export interface GroupWorkflowInput {
  org: string;
  name: string;
  members: ClusterRef[];
  state?: GroupState;
}

/**
 * A cluster group (`clustergroup/<org>/<name>`): its members, and its
 * deployments, which it tells when members come and go. The API checks
 * members (they exist, in the caller's org, in no other group) before it asks.
 */
export async function clusterGroupWorkflow(input: GroupWorkflowInput): Promise<GroupView> {
  const now = () => new Date().toISOString();
  const state: GroupState = input.state ?? {
    org: input.org,
    name: input.name,
    members: [],
    deployments: [],
    createdAt: now(),
    updatedAt: now(),
  };

  const tellClusters = async (refs: ClusterRef[], group: string | null) => {
    // A member deleted meanwhile has no entity to tell.
    await Promise.all(refs.map((ref) => getExternalWorkflowHandle(clusterWorkflowId(state.org, ref.name)).signal(clusterGroupSignal, group).catch(() => undefined)));
  };
  const tellDeployments = async () => {
    await Promise.all(
      state.deployments.map((release) =>
        getExternalWorkflowHandle(deploymentWorkflowId(state.org, state.name, release)).signal(deploymentTargetsSignal, state.members).catch(() => undefined),
      ),
    );
  };
  const setMembers = async (members: ClusterRef[]) => {
    const left = state.members.filter((m) => !members.some((n) => n.name === m.name));
    const joined = members.filter((m) => !state.members.some((n) => n.name === m.name));
    state.members = members;
    state.updatedAt = now();
    upsertMemo({ group: groupView(state) });
    await tellClusters(joined, state.name);
    await tellClusters(left, null);
    await tellDeployments();
  };

  setHandler(groupStateQuery, () => state);
  setHandler(deploymentAddedSignal, (release) => {
    if (!state.deployments.includes(release)) state.deployments.push(release);
    upsertMemo({ group: groupView(state) });
  });
  setHandler(deploymentRemovedSignal, (release) => {
    state.deployments = state.deployments.filter((r) => r !== release);
    upsertMemo({ group: groupView(state) });
  });
  setHandler(
    setGroupMembersUpdate,
    async ({ members }) => {
      await setMembers(members);
      return groupView(state);
    },
    {
      validator: (_request) => {
        if (state.deleting) throw ApplicationFailure.create({ type: FailureType.conflict, message: 'the group is being deleted', nonRetryable: true });
      },
    },
  );
  setHandler(
    deleteGroupUpdate,
    async ({ force }) => {
      state.deleting = true;
      if (force) {
        await Promise.all(
          state.deployments.map((release) =>
            getExternalWorkflowHandle(deploymentWorkflowId(state.org, state.name, release)).signal(deploymentDeleteSignal, { force: true }).catch(() => undefined),
          ),
        );
      }
      return groupView(state);
    },
    {
      validator: ({ force }) => {
        if (state.deployments.length && !force) {
          throw ApplicationFailure.create({
            type: FailureType.conflict,
            message: `the group has deployments (${state.deployments.join(', ')}); delete them first, or delete the group with force=true`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  if (!input.state) await setMembers(input.members);
  upsertMemo({ group: groupView(state) });
  for (;;) {
    await condition(() => (state.deleting === true && state.deployments.length === 0) || workflowInfo().continueAsNewSuggested);
    await condition(allHandlersFinished);
    if (state.deleting && state.deployments.length === 0) break;
    return continueAsNew<typeof clusterGroupWorkflow>({ org: state.org, name: state.name, members: state.members, state });
  }
  await tellClusters(state.members, null);
  return groupView(state);
}
