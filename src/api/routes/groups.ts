import { createHash } from 'node:crypto';
import type { Egress } from '../../adapters/egress/egress.js';
import type { ClusterAccess } from '../../adapters/cluster-access.js';
import { sumCosts } from '../../domain/catalogue/cost.js';
import { clusterRef, type ClusterRef } from '../../domain/cluster.js';
import type { DeploymentSpec } from '../../domain/groups.js';
import type { Problem } from '../../domain/problems.js';
import { targetRelease, targetValues, unrenderableMessage } from '../../domain/target-values.js';
import { appliedProfiles, postRenderRules, profilesFor } from '../../domain/profiles.js';
import type { ProfileGateway } from '../profile-gateway.js';
import { chartSource } from '../chart-source.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { HttpError, invalid } from '../errors.js';
import type { GroupGateway } from '../group-gateway.js';
import type { HelmRepositoryGateway } from '../helm-repository-gateway.js';
import { PageQuery, pageRequest } from '../pagination.js';
import type { Routes } from '../route-table.js';
import { DeploymentCreate, DeploymentEdit, dnsLabel, ForceQuery, GroupCreate, GroupUpdate, RolloutActionParams } from '../schemas.js';

/** /clustergroups and their /deployments (docs/architecture.md, decision 5); local charts only from under `chartRoots`. */
export function groupRoutes(
  routes: Routes,
  groups: GroupGateway,
  clusters: ClusterGateway,
  access: ClusterAccess,
  repositories: HelmRepositoryGateway,
  chartRoots: readonly string[],
  egress: Egress,
  profileStore: ProfileGateway,
): void {
  const group = { group: dnsLabel };
  const deployment = { group: dnsLabel, release: dnsLabel };

  /** Members must exist in the caller's org (that they belong to no other group, the workflows decide: docs/architecture.md, decision 5). */
  const resolveMembers = async (org: string, names: string[]): Promise<ClusterRef[]> => {
    const problems: Problem[] = [];
    const refs: ClusterRef[] = [];
    for (const [i, name] of [...new Set(names)].entries()) {
      const view = await clusters.get(org, name).catch(() => undefined);
      if (!view || view.status === 'DELETED') {
        problems.push({ path: ['members', i], message: `no cluster '${name}' in this organization` });
        continue;
      }
      refs.push(clusterRef(org, view));
    }
    if (problems.length) throw invalid(problems);
    return refs;
  };

  routes.post(
    '/clustergroups',
    { summary: 'Create a cluster group', description: 'Of named members (each in one such group at most), or of the clusters a label selector matches, now and later.', body: GroupCreate, responses: { 201: 'the group' }, errors: [409] },
    async (req, res, { body }) => {
      const members = body.selector ? { selector: body.selector } : { members: await resolveMembers(req.org!, body.members!) };
      res.status(201).json(await groups.createGroup(req.org!, body.name, members));
    },
  );

  routes.get('/clustergroups', { summary: 'List cluster groups, newest first', query: PageQuery, responses: { 200: '{ items: [group], nextCursor? }' } }, async (req, res, { query }) => {
    res.json(await groups.pageGroups(req.org!, pageRequest(query)));
  });

  routes.get('/clustergroups/:group', { summary: 'Get a cluster group', params: group, responses: { 200: 'the group with its members, deployments and cost (the sum of its members\'s)' } }, async (req, res, { params }) => {
    const found = await groups.getGroup(req.org!, params.group);
    // A member deleted meanwhile costs nothing.
    const gone = (err: unknown) => (err instanceof HttpError && err.status === 404 ? undefined : Promise.reject(err));
    const members = await Promise.all(found.members.map((name) => clusters.get(req.org!, name).catch(gone)));
    const cost = sumCosts(members.filter((m) => m !== undefined).map((m) => ({ name: m.name, cost: m.cost })));
    res.json({ ...found, cost });
  });

  routes.put(
    '/clustergroups/:group',
    {
      summary: "Set a group's members",
      description: "Clusters that leave lose the group's releases; clusters that join get them.",
      params: group,
      body: GroupUpdate,
      idempotencyKey: true,
      responses: { 200: 'the group' },
      errors: [409],
    },
    async (req, res, { params, body, requestId }) => {
      await groups.getGroup(req.org!, params.group); // a group that is not there is a 404, whatever the members
      const members = await resolveMembers(req.org!, body.members);
      res.json(await groups.setMembers(req.org!, params.group, members, requestId));
    },
  );

  routes.delete(
    '/clustergroups/:group',
    { summary: 'Delete a cluster group', description: '409 while it has deployments; force=true deletes them first.', params: group, query: ForceQuery, idempotencyKey: true, responses: { 202: 'the group, being deleted' }, errors: [409] },
    async (req, res, { params, query, requestId }) => {
      res.status(202).json(await groups.deleteGroup(req.org!, params.group, query.force === 'true', requestId));
    },
  );

  routes.post(
    '/clustergroups/:group/deployments',
    {
      summary: 'Deploy a Helm release to every member of a group',
      description: 'With dryRun: 200 with the values and provider profiles each target would get and chart errors (rendered through the post-renderer); nothing is stored or installed.',
      params: group,
      body: DeploymentCreate,
      idempotencyKey: true,
      responses: { 202: 'accepted: the deployment, being deployed', 200: 'dry run: each target with its values and chart errors' },
      errors: [409],
    },
    async (req, res, { params, body, requestId }) => {
      const target = await groups.getGroup(req.org!, params.group);
      const source = await chartSource(repositories, req.org!, body.chart, chartRoots, egress);
      const spec: DeploymentSpec = {
        // A generated name follows from the request ID, so that a retried create reaches the deployment its first attempt made.
        releaseName: body.releaseName ?? `${chartBaseName(body.chart)}-${createHash('sha256').update(requestId).digest('hex').slice(0, 6)}`,
        ...source,
        ...(body.version ? { version: body.version } : {}),
        namespace: body.namespace,
        values: body.values,
        valueOverridesBySelector: body.valueOverridesBySelector,
        valueOverrides: body.valueOverrides,
        autoSync: body.autoSync,
        installOnJoin: body.installOnJoin,
        ...(body.rollout ? { rollout: body.rollout } : {}),
      };
      if (body.dryRun) {
        const profiles = await profileStore.list(req.org!);
        // Nothing persisted, nothing installed: the values each target would get, and whether the chart renders with them.
        const targets = await Promise.all(
          (await resolveMembers(req.org!, target.members)).map(async (member) => {
            const rendered = targetValues(spec, member);
            if ('problems' in rendered) return { clusterName: member.name, error: unrenderableMessage(rendered.problems) };
            // Rendered as the install would be: through the post-renderer, with the member's provider profiles.
            const applying = profilesFor(profiles, member);
            const postRender = postRenderRules(applying, member);
            const error = await access.dryRun({ ...targetRelease(spec, rendered.values), ...(postRender ? { postRender } : {}) }).then(() => undefined, (err: Error) => err.message);
            return { clusterName: member.name, values: rendered.values, profiles: appliedProfiles(applying), ...(error ? { error } : {}) };
          }),
        );
        return void res.json({ dryRun: true, releaseName: spec.releaseName, targets, errors: targets.filter((t) => t.error).map((t) => `${t.clusterName}: ${t.error}`) });
      }
      // A release name must be unique on every target, whichever deployment put it there. The group's own
      // deployment of that name answers for itself: a retried create again, any other a 409.
      const clash = (await groups.listDeployments(req.org!)).find(
        (d) => d.group !== target.name && d.releaseName === spec.releaseName && d.namespace === spec.namespace && d.targets.some((t) => target.members.includes(t)),
      );
      if (clash) {
        const shared = clash.targets.find((t) => target.members.includes(t));
        throw new HttpError(409, 'conflict', `release '${spec.releaseName}' already exists on cluster '${shared}': deployment '${clash.releaseName}' of group '${clash.group}'`, [], {
          deployment: { group: clash.group, releaseName: clash.releaseName },
        });
      }
      const members = await resolveMembers(req.org!, target.members);
      res.status(202).json(await groups.createDeployment(req.org!, target, members, spec, requestId));
    },
  );

  routes.get(
    '/clustergroups/:group/deployments',
    { summary: "A group's deployments, newest first: desired state, without live status", params: group, query: PageQuery, responses: { 200: '{ items: [deployment], nextCursor? }' } },
    async (req, res, { params, query }) => {
      await groups.getGroup(req.org!, params.group);
      const { items, nextCursor } = await groups.pageDeployments(req.org!, params.group, pageRequest(query));
      res.json({ items: items.map(({ lastResults: _r, ...d }) => d), ...(nextCursor ? { nextCursor } : {}) });
    },
  );

  routes.get(
    '/clustergroups/:group/deployments/:release',
    { summary: 'A deployment: desired state, each target read live, drift, recent operations', params: deployment, responses: { 200: 'the deployment' } },
    async (req, res, { params }) => {
      res.json(await groups.getDeployment(req.org!, params.group, params.release));
    },
  );

  routes.put(
    '/clustergroups/:group/deployments/:release',
    {
      summary: 'Edit a deployment',
      description: 'reuseValues: true merges into the stored values and overrides; false replaces them.',
      params: deployment,
      body: DeploymentEdit,
      idempotencyKey: true,
      responses: { 202: 'accepted: the apply operation' },
      errors: [409],
    },
    async (req, res, { params, body: { reuseValues, ...edit }, requestId }) => {
      const target = await groups.getGroup(req.org!, params.group);
      const spec = { ...edit, ...(await chartSource(repositories, req.org!, edit.chart, chartRoots, egress)) };
      res.status(202).json(await groups.editDeployment(req.org!, target.name, params.release, { requestId, spec, reuseValues }));
    },
  );

  routes.put(
    '/clustergroups/:group/deployments/:release/sync',
    { summary: 'Sync a deployment: install where missing, upgrade where stale, uninstall where a cluster left', params: deployment, idempotencyKey: true, responses: { 202: 'accepted: the apply operation' }, errors: [409] },
    async (req, res, { params, requestId }) => {
      res.status(202).json(await groups.syncDeployment(req.org!, params.group, params.release, requestId));
    },
  );

  routes.post(
    '/clustergroups/:group/deployments/:release/rollout/:action',
    {
      summary: 'Pause, resume, abort or approve the running rollout',
      description:
        'pause holds the next wave (and, with maxParallel, the next targets of this one); approve lets a rollout with approval "manual" start its next wave; abort ends it where it is (no rollback). 409 when no rollout is running or the action does not apply now.',
      params: { ...deployment, ...RolloutActionParams.shape },
      responses: { 200: 'the rollout\'s apply operation, with its waves' },
      errors: [409],
    },
    async (req, res, { params }) => {
      res.json(await groups.rolloutAction(req.org!, params.group, params.release, params.action));
    },
  );

  routes.delete(
    '/clustergroups/:group/deployments/:release',
    {
      summary: 'Uninstall a deployment everywhere',
      description: 'force=true finishes even when targets are unreachable and lists them as skipped.',
      params: deployment,
      query: ForceQuery,
      idempotencyKey: true,
      responses: { 202: 'accepted: the delete operation' },
      errors: [409],
    },
    async (req, res, { params, query, requestId }) => {
      res.status(202).json(await groups.deleteDeployment(req.org!, params.group, params.release, query.force === 'true', requestId));
    },
  );
}

/** `bitnami/nginx`, `oci://host/charts/nginx`, `/charts/nginx-1.2.3.tgz` → a name to build a release name from. */
function chartBaseName(chart: string): string {
  const last = chart.replace(/\/+$/, '').split('/').pop() ?? 'release';
  const name = last.replace(/\.tgz$/, '').replace(/-\d+\.\d+\.\d+.*$/, '').toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  return (name || 'release').slice(0, 40);
}
