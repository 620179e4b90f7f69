import type { Client } from '@temporalio/client';
import type { ClusterAccess } from '../adapters/cluster-access.js';
import type { ClusterRef } from '../domain/cluster.js';
import type { LabelSelector } from '../domain/label-selector.js';
import { deploymentView, type DeploymentOperation, type DeploymentSpec, type DeploymentView, type GroupView, type TargetRecord } from '../domain/groups.js';
import { deploymentWorkflowId, groupWorkflowId } from '../domain/ids.js';
import { targetValues, unrenderableMessage } from '../domain/target-values.js';
import { appliedProfiles, profilesFor, withProfileDrift } from '../domain/profiles.js';
import type { ProfileGateway } from './profile-gateway.js';
import type { Problem } from '../domain/problems.js';
import { withRecordedHealth, type RolloutAction } from '../domain/rollout.js';
import { deploymentEntity, groupEntity, withStart } from '../temporal/entity-starts.js';
import { CREATE_REQUEST_ID } from '../workflows/group.js';
import {
  createDeploymentUpdate,
  deleteDeploymentUpdate,
  deleteGroupUpdate,
  deploymentStateQuery,
  editDeploymentUpdate,
  rolloutActionUpdate,
  setGroupMembersUpdate,
  syncDeploymentUpdate,
  type EditDeploymentRequest,
} from '../workflows/messages.js';
import { createEntity } from './entity-creates.js';
import { notFound } from './errors.js';
import { orgPath, runLink, type Links } from './links.js';
import type { Cursors, Page, PageRequest } from './pagination.js';
import { askTemporal } from './temporal-errors.js';

/** How long a live read of one target may take before it counts as UNKNOWN. */
const LIVE_READ_MS = 8_000;

export interface GroupResource extends GroupView {
  links: { self: string; run?: string };
}

/** The answer to a deployment's create: what the entity said about itself. */
export interface DeploymentAccepted {
  releaseName: string;
  group: string;
  status: DeploymentView['status'];
  operationId: string;
  links: { self: string; operation: string; run?: string };
}

/** A deployment with each target read live. */
export interface DeploymentResource extends Omit<DeploymentView, 'lastResults'> {
  targetClusters: TargetRecord[];
  operations: DeploymentOperation[];
  links: { self: string; run?: string };
}

export type DeploymentOperationResource = DeploymentOperation & {
  group: string;
  release: string;
  targets: string[];
  links: { self: string; deployment: string; run?: string };
};

/** The API's dealings with Temporal for cluster groups and their deployments. */
export class GroupGateway {
  constructor(
    private readonly client: Client,
    private readonly links: Links,
    private readonly access: ClusterAccess,
    private readonly cursors: Cursors,
    private readonly profiles: ProfileGateway,
  ) {}

  /** A group of named members, or of the clusters a selector matches (which the group finds itself). */
  async createGroup(org: string, name: string, of: { members: ClusterRef[] } | { selector: LabelSelector }): Promise<GroupResource> {
    const now = new Date().toISOString();
    const members = 'members' in of ? of.members : [];
    const selector = 'selector' in of ? { selector: of.selector } : {};
    const view: GroupView = { org, name, ...selector, members: members.map((m) => m.name), deployments: [], createdAt: now, updatedAt: now };
    // The create's update waits until the group has claimed (or found) its members: a cluster of another group is a 409, and no group is left behind.
    const start = withStart(groupEntity({ org, name, members, ...selector, requestId: CREATE_REQUEST_ID }, view));
    const created = await askTemporal(`cluster group '${name}'`, () =>
      this.client.workflow.executeUpdateWithStart(setGroupMembersUpdate, { args: [{ requestId: CREATE_REQUEST_ID, members }], startWorkflowOperation: start }),
    );
    return this.withLinks(created);
  }

  async getGroup(org: string, name: string): Promise<GroupResource> {
    const memo = await this.memo(groupWorkflowId(org, name), `cluster group '${name}'`);
    if (!memo.closed && memo.group) return this.withLinks(memo.group);
    throw notFound(`cluster group '${name}'`);
  }

  /** One page of the org's groups, newest first. */
  async pageGroups(org: string, page: PageRequest): Promise<Page<GroupView>> {
    const query = `FlotillaKind = 'clustergroup' AND FlotillaOrg = '${org}' AND ExecutionStatus = 'Running'`;
    const { items, nextCursor } = await this.cursors.visibilityPage(this.client, query, page);
    const views = items.map((memo) => memo.group as GroupView | undefined).filter((v): v is GroupView => !!v);
    return { items: views.map((v) => this.withLinks(v)), ...(nextCursor ? { nextCursor } : {}) };
  }

  async setMembers(org: string, name: string, members: ClusterRef[], requestId: string): Promise<GroupResource> {
    await this.getGroup(org, name);
    const handle = this.client.workflow.getHandle(groupWorkflowId(org, name));
    return this.withLinks(await askTemporal(`cluster group '${name}'`, () => handle.executeUpdate(setGroupMembersUpdate, { args: [{ requestId, members }], updateId: requestId })));
  }

  async deleteGroup(org: string, name: string, force: boolean, requestId: string): Promise<GroupView> {
    await this.getGroup(org, name);
    const handle = this.client.workflow.getHandle(groupWorkflowId(org, name));
    return askTemporal(`cluster group '${name}'`, () => handle.executeUpdate(deleteGroupUpdate, { args: [{ requestId, force }], updateId: requestId }));
  }

  /** Deployments of the org, live ones only, with their last recorded results (no live read). */
  async listDeployments(org: string, group?: string): Promise<DeploymentView[]> {
    const views = await askTemporal('the list', async () => {
      const found: DeploymentView[] = [];
      for await (const execution of this.client.workflow.list({ query: deploymentsQuery(org, group) })) {
        const view = execution.memo?.deployment as DeploymentView | undefined;
        if (view) found.push(view);
      }
      return found;
    });
    return views.sort((a, b) => a.releaseName.localeCompare(b.releaseName));
  }

  /** One page of a group's deployments, newest first. */
  async pageDeployments(org: string, group: string, page: PageRequest): Promise<Page<DeploymentView>> {
    const { items, nextCursor } = await this.cursors.visibilityPage(this.client, deploymentsQuery(org, group), page);
    const views = items.map((memo) => memo.deployment as DeploymentView | undefined).filter((v): v is DeploymentView => !!v);
    return { items: views, ...(nextCursor ? { nextCursor } : {}) };
  }

  /**
   * Creates the entity by update-with-start (createEntity): it answers with its
   * status and the operation that installs it; a live deployment of that name in
   * the group refuses any request but the one that created it, a 409 that carries it.
   */
  async createDeployment(org: string, group: GroupView, targets: ClusterRef[], spec: DeploymentSpec, requestId: string): Promise<DeploymentAccepted> {
    const { releaseName } = spec;
    const entity = deploymentEntity({ org, group: group.name, spec, targets, requestId });
    const created = await createEntity(this.client, createDeploymentUpdate, entity, requestId, `deployment '${releaseName}'`, async () => ({
      deployment: await this.getDeployment(org, group.name, releaseName),
    }));
    return {
      releaseName,
      group: group.name,
      status: created.status,
      operationId: created.operationId,
      links: { ...this.deploymentLinks(org, group.name, releaseName), operation: `${orgPath(org)}/operations/${created.operationId}` },
    };
  }

  /** The desired state plus each target's live status, read from the clusters within a bounded time. */
  async getDeployment(org: string, group: string, release: string): Promise<DeploymentResource> {
    const handle = this.client.workflow.getHandle(deploymentWorkflowId(org, group, release));
    const state = await askTemporal(`deployment '${release}'`, () => handle.query(deploymentStateQuery));
    if (state.status === 'DELETED') throw notFound(`deployment '${release}'`);
    const profiles = await this.profiles.list(org);
    const targetClusters = await Promise.all(
      state.targets.map(async (target) => {
        const values = targetValues(state.spec, target);
        if ('problems' in values) return unrenderableTarget(target, values.problems);
        const desired = { values: values.values, ...(state.spec.version ? { chartVersion: state.spec.version } : {}) };
        try {
          const read = await withTimeout(this.access.releaseStatus(target, { name: release, namespace: state.spec.namespace }, desired), LIVE_READ_MS);
          return withProfileDrift(withRecordedHealth(read, state.results[target.name]), state.appliedProfiles?.[target.name], appliedProfiles(profilesFor(profiles, target)));
        } catch (err) {
          const unknown: TargetRecord = {
            clusterName: target.name,
            provider: target.provider,
            status: 'UNKNOWN',
            stale: true,
            message: `cluster unreachable: ${(err as Error).message}`,
            lastCheckedAt: new Date().toISOString(),
          };
          return unknown;
        }
      }),
    );
    const { lastResults: _last, ...view } = deploymentView(state);
    return { ...view, targetClusters, operations: state.operations.slice(-10), links: this.deploymentLinks(org, group, release) };
  }

  /** What a live deployment asks for (chart, version, values), from its memo: no live read, no workflow task. */
  async deploymentSpec(org: string, group: string, release: string): Promise<DeploymentView> {
    const { deployment, closed } = await this.memo(deploymentWorkflowId(org, group, release), `deployment '${group}/${release}'`);
    if (closed || !deployment) throw notFound(`deployment '${group}/${release}'`);
    return deployment;
  }

  /** One operation of a deployment, with the targets it runs on. */
  async deploymentOperation(org: string, group: string, release: string, id: string): Promise<DeploymentOperationResource> {
    const handle = this.client.workflow.getHandle(deploymentWorkflowId(org, group, release));
    const state = await askTemporal(`operation '${id}'`, () => handle.query(deploymentStateQuery));
    const op = state.operations.find((o) => o.id === id);
    if (!op) throw notFound(`operation '${id}'`);
    const { self: deployment, ...run } = this.deploymentLinks(org, group, release);
    return { ...op, group, release, targets: state.targets.map((t) => t.name), links: { self: `${orgPath(org)}/operations/${id}`, deployment, ...run } };
  }

  async editDeployment(org: string, group: string, release: string, request: EditDeploymentRequest): Promise<DeploymentOperation> {
    return this.deploymentUpdate(org, group, release, (h) => h.executeUpdate(editDeploymentUpdate, { args: [request], updateId: request.requestId }));
  }

  async syncDeployment(org: string, group: string, release: string, requestId: string): Promise<DeploymentOperation> {
    return this.deploymentUpdate(org, group, release, (h) => h.executeUpdate(syncDeploymentUpdate, { args: [{ requestId }], updateId: requestId }));
  }

  async rolloutAction(org: string, group: string, release: string, action: RolloutAction): Promise<DeploymentOperation> {
    return this.deploymentUpdate(org, group, release, (h) => h.executeUpdate(rolloutActionUpdate, { args: [{ action }] }));
  }

  async deleteDeployment(org: string, group: string, release: string, force: boolean, requestId: string): Promise<DeploymentOperation> {
    return this.deploymentUpdate(org, group, release, (h) => h.executeUpdate(deleteDeploymentUpdate, { args: [{ requestId, force }], updateId: requestId }));
  }

  private async deploymentUpdate(
    org: string,
    group: string,
    release: string,
    send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<DeploymentOperation>,
  ): Promise<DeploymentOperation> {
    const workflowId = deploymentWorkflowId(org, group, release);
    await this.memo(workflowId, `deployment '${release}'`).then((m) => {
      if (m.closed) throw notFound(`deployment '${release}'`);
    });
    return askTemporal(`deployment '${release}'`, () => send(this.client.workflow.getHandle(workflowId)));
  }

  /** The memo a group or deployment publishes, and whether its run has closed. */
  private async memo(workflowId: string, what: string): Promise<{ group?: GroupView; deployment?: DeploymentView; closed: boolean }> {
    const description = await askTemporal(what, () => this.client.workflow.getHandle(workflowId).describe());
    return { ...(description.memo ?? {}), closed: description.status.name !== 'RUNNING' };
  }

  private withLinks(view: GroupView): GroupResource {
    const run = runLink(this.links, groupWorkflowId(view.org, view.name));
    return { ...view, links: { self: `${orgPath(view.org)}/clustergroups/${view.name}`, ...(run ? { run } : {}) } };
  }

  private deploymentLinks(org: string, group: string, release: string): { self: string; run?: string } {
    const run = runLink(this.links, deploymentWorkflowId(org, group, release));
    return { self: `${orgPath(org)}/clustergroups/${group}/deployments/${release}`, ...(run ? { run } : {}) };
  }
}

function deploymentsQuery(org: string, group?: string): string {
  const clauses = [`FlotillaKind = 'deployment'`, `FlotillaOrg = '${org}'`, `ExecutionStatus = 'Running'`];
  if (group) clauses.push(`FlotillaGroup = '${group}'`);
  return clauses.join(' AND ');
}

/** A target whose values cannot be templated (a label it lacks): the workflow records it FAILED too, without asking helm. */
function unrenderableTarget(target: ClusterRef, problems: Problem[]): TargetRecord {
  return { clusterName: target.name, provider: target.provider, status: 'FAILED', stale: true, message: unrenderableMessage(problems), lastCheckedAt: new Date().toISOString() };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}
