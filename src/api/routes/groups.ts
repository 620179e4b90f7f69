import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { helmRepositories } from './helm-repositories.js';
import type { Helm } from '../../activities/helm/helm.js';
import { clusterRef, type ClusterRef } from '../../domain/cluster.js';
import type { DeploymentSpec, GroupView } from '../../domain/groups.js';
import type { Problem } from '../../domain/problems.js';
import { mergeValues } from '../../domain/values.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { HttpError, invalid } from '../errors.js';
import type { GroupGateway } from '../group-gateway.js';
import { requestIdOf } from '../request-id.js';
import { DeploymentCreate, DeploymentEdit, dnsLabel, ForceQuery, GroupCreate, GroupUpdate } from '../schemas.js';
import { parse } from '../validate.js';

/** /clustergroups and their /deployments (DESIGN decision 5). */
export function groupRoutes(groups: GroupGateway, clusters: ClusterGateway, helm: Helm, client: Client): Router {
  const router = Router({ mergeParams: true });
  const group = (params: Record<string, string>) => parse(dnsLabel, params.group, 'group');
  const release = (params: Record<string, string>) => parse(dnsLabel, params.release, 'release');

  /** Members must exist in the caller's org and belong to no other group. */
  const resolveMembers = async (org: string, groupName: string, names: string[]): Promise<ClusterRef[]> => {
    const problems: Problem[] = [];
    const refs: ClusterRef[] = [];
    for (const [i, name] of [...new Set(names)].entries()) {
      const view = await clusters.get(org, name).catch(() => undefined);
      if (!view || view.status === 'DELETED') {
        problems.push({ path: ['members', i], message: `no cluster '${name}' in this organization` });
        continue;
      }
      if (view.group && view.group !== groupName) throw new HttpError(409, 'conflict', `cluster '${name}' already belongs to group '${view.group}'`);
      refs.push(clusterRef(org, view));
    }
    if (problems.length) throw invalid(problems);
    return refs;
  };

  router.post('/clustergroups', async (req, res) => {
    const body = parse(GroupCreate, req.body);
    const members = await resolveMembers(req.org!, body.name, body.members);
    res.status(201).json(await groups.createGroup(req.org!, body.name, members));
  });

  router.get('/clustergroups', async (req, res) => {
    res.json({ items: await groups.listGroups(req.org!) });
  });

  router.get('/clustergroups/:group', async (req, res) => {
    res.json(await groups.getGroup(req.org!, group(req.params)));
  });

  router.put('/clustergroups/:group', async (req, res) => {
    const name = group(req.params);
    const body = parse(GroupUpdate, req.body);
    const members = await resolveMembers(req.org!, name, body.members);
    res.json(await groups.setMembers(req.org!, name, members, requestIdOf(req)));
  });

  router.delete('/clustergroups/:group', async (req, res) => {
    const force = parse(ForceQuery, req.query).force === 'true';
    res.status(202).json(await groups.deleteGroup(req.org!, group(req.params), force, requestIdOf(req)));
  });

  router.post('/clustergroups/:group/deployments', async (req, res) => {
    const target = await groups.getGroup(req.org!, group(req.params));
    const body = parse(DeploymentCreate, req.body);
    overridesOnlyForMembers(target, body.valueOverrides);
    const source = await chartSource(client, req.org!, body.chart);
    const spec: DeploymentSpec = {
      releaseName: body.releaseName ?? `${chartBaseName(body.chart)}-${randomBytes(3).toString('hex')}`,
      ...source,
      ...(body.version ? { version: body.version } : {}),
      namespace: body.namespace,
      values: body.values,
      valueOverrides: body.valueOverrides,
      autoSync: body.autoSync,
    };
    if (body.dryRun) {
      // Nothing persisted, nothing installed: the values each target would get, and whether the chart renders with them.
      const targets = await Promise.all(
        target.members.map(async (clusterName) => {
          const values = mergeValues(spec.values, spec.valueOverrides[clusterName]);
          const error = await helm
            .template({
              name: spec.releaseName,
              namespace: spec.namespace,
              chart: spec.chart,
              ...(spec.repo ? { repo: spec.repo } : {}),
              ...(spec.version ? { version: spec.version } : {}),
              values,
            })
            .then(() => undefined, (err: Error) => err.message);
          return { clusterName, values, ...(error ? { error } : {}) };
        }),
      );
      return void res.json({ dryRun: true, releaseName: spec.releaseName, targets, errors: targets.filter((t) => t.error).map((t) => `${t.clusterName}: ${t.error}`) });
    }
    // A release name must be unique on every target, whichever deployment put it there.
    const clash = (await groups.listDeployments(req.org!)).find(
      (d) => d.releaseName === spec.releaseName && d.namespace === spec.namespace && d.targets.some((t) => target.members.includes(t)),
    );
    if (clash) throw new HttpError(409, 'conflict', `release '${spec.releaseName}' already exists on a member cluster (deployment of group '${clash.group}')`);
    const members = await resolveMembers(req.org!, target.name, target.members);
    res.status(202).json(await groups.createDeployment(req.org!, target, members, spec, requestIdOf(req)));
  });

  router.get('/clustergroups/:group/deployments', async (req, res) => {
    const name = group(req.params);
    await groups.getGroup(req.org!, name);
    res.json({ items: (await groups.listDeployments(req.org!, name)).map(({ lastResults: _r, ...d }) => d) });
  });

  router.get('/clustergroups/:group/deployments/:release', async (req, res) => {
    res.json(await groups.getDeployment(req.org!, group(req.params), release(req.params)));
  });

  router.put('/clustergroups/:group/deployments/:release', async (req, res) => {
    const target = await groups.getGroup(req.org!, group(req.params));
    const { reuseValues, ...edit } = parse(DeploymentEdit, req.body);
    overridesOnlyForMembers(target, edit.valueOverrides);
    const spec = { ...edit, ...(await chartSource(client, req.org!, edit.chart)) };
    const requestId = requestIdOf(req);
    res.status(202).json(await groups.editDeployment(req.org!, target.name, release(req.params), { requestId, spec, reuseValues }));
  });

  router.put('/clustergroups/:group/deployments/:release/sync', async (req, res) => {
    res.status(202).json(await groups.syncDeployment(req.org!, group(req.params), release(req.params), requestIdOf(req)));
  });

  router.delete('/clustergroups/:group/deployments/:release', async (req, res) => {
    const force = parse(ForceQuery, req.query).force === 'true';
    res.status(202).json(await groups.deleteDeployment(req.org!, group(req.params), release(req.params), force, requestIdOf(req)));
  });

  return router;
}

function overridesOnlyForMembers(group: GroupView, overrides: Record<string, unknown>): void {
  const strangers = Object.keys(overrides).filter((c) => !group.members.includes(c));
  if (strangers.length) throw invalid(strangers.map((c) => ({ path: ['valueOverrides', c], message: `'${c}' is not a member of group '${group.name}'` })));
}

/** `bitnami/nginx`, `oci://host/charts/nginx`, `/charts/nginx-1.2.3.tgz` → a name to build a release name from. */
function chartBaseName(chart: string): string {
  const last = chart.replace(/\/+$/, '').split('/').pop() ?? 'release';
  const name = last.replace(/\.tgz$/, '').replace(/-\d+\.\d+\.\d+.*$/, '').toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  return (name || 'release').slice(0, 40);
}

/**
 * Where a chart comes from: `oci://...` and paths (absolute, or starting with
 * `./`) go to helm as they are; `<repo>/<chart>` must name a registered repository.
 */
async function chartSource(client: Client, org: string, chart: string): Promise<{ chart: string; repo?: string }> {
  const named = /^([a-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(chart);
  if (!named) return { chart };
  const repository = (await helmRepositories(client, org)).find((r) => r.name === named[1]);
  if (!repository) throw invalid([{ path: ['chart'], message: `no Helm repository '${named[1]}' is registered (POST /helm-repositories)` }]);
  return { chart: named[2]!, repo: repository.url };
}
