import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { Kwokctl } from '../../src/adapters/providers/kwok/kwokctl.js';
import { toolPaths } from '../../src/toolchain.js';
import { serveChartRepository } from '../helpers/chart-repository.js';
import { eventually, testHelm, type Stack } from '../helpers/stack.js';
import { startKwokFleet, stopKwokFleet } from '../helpers/kwok-fleet.js';

// Three real KWOK clusters, the real helm, a chart from the test fixtures.
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-fleet'));
const helm = testHelm();
const base = '/api/v1/orgs/acme';
const clusters = ['east', 'west', 'north'];
let stack: Stack;

const kubeconfigOf = (name: string) => kwok.kubeconfig({ org: 'acme', name });
async function kubeApi<T extends CoreV1Api | AppsV1Api>(cluster: string, api: new (...args: any[]) => T): Promise<T> {
  const config = new KubeConfig();
  config.loadFromString(await kubeconfigOf(cluster));
  return config.makeApiClient(api);
}
async function configMap(cluster: string, name: string) {
  return (await kubeApi(cluster, CoreV1Api)).readNamespacedConfigMap({ name, namespace: 'apps' });
}
/** What `kubectl edit` does to a Deployment of a release: replicas and image changed, and a container added, through the Kubernetes API. */
async function editByHand(cluster: string, name: string) {
  const apps = await kubeApi(cluster, AppsV1Api);
  const live = await apps.readNamespacedDeployment({ name, namespace: 'apps' });
  live.spec!.replicas = 3;
  live.spec!.template.spec!.containers[0]!.image = 'example/hello:tampered';
  live.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'example/sidecar:1' });
  await apps.replaceNamespacedDeployment({ name, namespace: 'apps', body: live });
}
async function liveDeployment(cluster: string, name: string) {
  const live = await (await kubeApi(cluster, AppsV1Api)).readNamespacedDeployment({ name, namespace: 'apps' });
  return { replicas: live.spec!.replicas, images: live.spec!.template.spec!.containers.map((c) => c.image) };
}
async function deployment(release: string, ready: (body: any) => boolean, what: string): Promise<any> {
  return eventually(async () => {
    const res = await stack.api('GET', `${base}/clustergroups/fleet/deployments/${release}`);
    return res.status === 200 && ready(res.body) ? res.body : undefined;
  }, what, 120_000);
}
/** The activities a workflow's current run scheduled, by type. */
async function scheduled(workflowId: string): Promise<string[]> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events!;
  return events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
}
const statuses = (body: any) => Object.fromEntries(body.targetClusters.map((t: any) => [t.clusterName, t.status]));
const idle = (body: any) => body.operations.every((op: any) => op.state !== 'QUEUED' && op.state !== 'RUNNING');

beforeAll(async () => {
  stack = await startKwokFleet(kwok, base, clusters);
});
afterAll(() => stopKwokFleet(stack, kwok, base, clusters));

describe('cluster groups', () => {
  it('groups clusters that exist in the org and belong to no other group', async () => {
    const bad = await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fleet', members: ['east', 'ghost'] } });
    expect([bad.status, bad.body.error.details.map((d: any) => d.field)]).toEqual([400, ['members[1]']]);
    const res = await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fleet', members: clusters } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'fleet', members: clusters });
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/east`)).body.group === 'fleet' ? true : undefined), 'east in fleet');
    const taken = await stack.api('POST', `${base}/clustergroups`, { body: { name: 'other', members: ['east'] } });
    expect(taken.status).toBe(409);
    // Other suites share the org, so look only at this test's two names.
    const names = (await stack.api('GET', `${base}/clustergroups?limit=500`)).body.items.map((g: any) => g.name);
    expect(names.filter((n: string) => ['fleet', 'other'].includes(n))).toEqual(['fleet']);
  });
});

describe('multi-cluster deployments', () => {
  const request = {
    releaseName: 'web',
    chart,
    namespace: 'apps',
    values: { message: 'hello', replicas: 1, image: { tag: '1.0' } },
    valueOverrides: { west: { message: 'hello west', image: { tag: '2.0' } } },
    autoSync: true,
  };

  it('dry-runs: the values per target, nothing installed', async () => {
    const res = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: { ...request, dryRun: true } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([]);
    const west = res.body.targets.find((t: any) => t.clusterName === 'west');
    expect(west.values).toEqual({ message: 'hello west', replicas: 1, image: { tag: '2.0' } });
    expect((await stack.api('GET', `${base}/clustergroups/fleet/deployments/web`)).status).toBe(404);
    expect(await helm.status(await kubeconfigOf('east'), { name: 'web', namespace: 'apps' })).toBeUndefined();
    const broken = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: { ...request, chart: join(chart, 'missing'), dryRun: true } });
    expect(broken.body.errors).toHaveLength(3);
  });

  it('takes an override for a cluster that is not a member yet, and templates each member’s values', async () => {
    const body = { ...request, values: { ...request.values, host: '${cluster.name}.${cluster.provider}' }, valueOverrides: { ...request.valueOverrides, mars: { message: 'later' } }, dryRun: true };
    const res = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body });
    expect([res.status, res.body.errors]).toEqual([200, []]);
    expect(Object.fromEntries(res.body.targets.map((t: any) => [t.clusterName, t.values.host]))).toEqual({ east: 'east.kwok', west: 'west.kwok', north: 'north.kwok' });
  });

  it('installs on every member in parallel, with each cluster’s override merged in', async () => {
    const res = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: request });
    expect(res.status).toBe(202);
    const body = await deployment('web', (b) => Object.values(statuses(b)).every((s) => s === 'DEPLOYED'), 'DEPLOYED everywhere');
    expect(body.targetClusters).toHaveLength(3);
    expect(body.targetClusters[0]).toMatchObject({ provider: 'kwok', chartVersion: '0.1.0', stale: false, lastCheckedAt: expect.any(String) });
    expect((await helm.status(await kubeconfigOf('west'), { name: 'web', namespace: 'apps' }))!.values).toEqual({ message: 'hello west', replicas: 1, image: { tag: '2.0' } });
    expect((await configMap('west', 'web-config')).data!.message).toBe('hello west');
    expect((await configMap('east', 'web-config')).data!.message).toBe('hello');
    expect((await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: request })).status).toBe(409);
    const list = await stack.api('GET', `${base}/clustergroups/fleet/deployments`);
    expect(list.body.items.map((d: any) => d.releaseName)).toEqual(['web']);
  });

  it('sees drift made by hand with helm, and repairs it on a triggered reconcile (autoSync)', async () => {
    await helm.upgradeInstall(await kubeconfigOf('north'), { name: 'web', namespace: 'apps', chart, values: { message: 'changed by hand' } });
    const drifted = await deployment('web', (b) => statuses(b).north === 'STALE', 'north STALE');
    expect(drifted.targetClusters.find((t: any) => t.clusterName === 'north')).toMatchObject({ stale: true });
    expect((await stack.api('POST', `${base}/reconcile`)).status).toBe(202);
    const repaired = await deployment('web', (b) => statuses(b).north === 'DEPLOYED' && b.drift.some((d: any) => d.clusterName === 'north' && d.repairedAt), 'north repaired');
    expect(repaired.drift.find((d: any) => d.clusterName === 'north')).toMatchObject({ status: 'STALE', seenAt: expect.any(String) });
    expect((await configMap('north', 'web-config')).data!.message).toBe('hello');
    // Only the drifted target was upgraded: the others keep the revision of the install.
    expect((await helm.status(await kubeconfigOf('east'), { name: 'web', namespace: 'apps' }))!.revision).toBe(1);
  });

  it('sees live objects changed by hand (a Deployment edited, a ConfigMap deleted) and puts them back as the chart says (autoSync)', async () => {
    await editByHand('north', 'web');
    await (await kubeApi('east', CoreV1Api)).deleteNamespacedConfigMap({ name: 'web-config', namespace: 'apps' });
    const before = (await helm.status(await kubeconfigOf('east'), { name: 'web', namespace: 'apps' }))!.revision;
    // Helm's record is untouched: only the live objects tell.
    const seen = await deployment('web', (b) => statuses(b).north === 'STALE' && statuses(b).east === 'STALE', 'north and east STALE');
    const message = (cluster: string) => seen.targetClusters.find((t: any) => t.clusterName === cluster).message;
    expect(message('north')).toContain('Deployment apps/web: spec.replicas is 3, the chart says 1 (+1 more fields)');
    expect(message('east')).toContain('ConfigMap apps/web-config: deleted');
    const since = new Date().toISOString();
    const pass = await stack.api('POST', `${base}/reconcile`);
    expect(pass.status).toBe(202);
    const repaired = await deployment(
      'web',
      (b) => ['north', 'east'].every((c) => statuses(b)[c] === 'DEPLOYED' && b.drift.some((d: any) => d.clusterName === c && d.seenAt >= since && d.repairedAt)),
      'north and east repaired',
    );
    const record = (cluster: string) => repaired.drift.find((d: any) => d.clusterName === cluster && d.seenAt >= since);
    expect(record('north')).toMatchObject({ status: 'STALE', reason: expect.stringContaining('Deployment apps/web: spec.replicas is 3') });
    expect(record('east')).toMatchObject({ status: 'STALE', reason: expect.stringContaining('ConfigMap apps/web-config: deleted') });
    // Helm's three-way merge put the edited fields back and made the deleted ConfigMap again; the container it kept, the repair removed.
    expect(await liveDeployment('north', 'web')).toEqual({ replicas: 1, images: ['example/hello:1.0'] });
    expect((await configMap('east', 'web-config')).data).toEqual({ message: 'hello', replicas: '1' });
    expect((await helm.status(await kubeconfigOf('east'), { name: 'web', namespace: 'apps' }))!.revision).toBe(before + 1);
    // West was not touched.
    expect((await helm.status(await kubeconfigOf('west'), { name: 'web', namespace: 'apps' }))!.revision).toBe(1);
    // The pass read each member cluster once for all its releases; the deployment read no target itself. (Probes are left
    // out: clusters of org acme that other suites left running, with no release on them, are probed instead of read.)
    await stack.client.workflow.getHandle(pass.body.workflowId).result();
    expect((await scheduled(pass.body.workflowId)).filter((type) => type !== 'checkClusterHealth').sort()).toEqual(['listReconcileTargets', 'readClusterReleases', 'readClusterReleases', 'readClusterReleases']);
    expect(await scheduled('deployment/acme/fleet/web')).not.toContain('helmCheck');
  });

  it('without autoSync, records live drift and leaves the objects as they are', async () => {
    const res = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: { releaseName: 'quiet', chart, namespace: 'apps', autoSync: false } });
    expect(res.status).toBe(202);
    await deployment('quiet', (b) => idle(b) && Object.values(statuses(b)).every((s) => s === 'DEPLOYED'), 'quiet DEPLOYED');
    await editByHand('east', 'quiet');
    // Helm's three-way merge alone (a repair's first step): the edited fields come back, the container added by hand stays.
    await editByHand('west', 'quiet');
    await helm.upgradeInstall(await kubeconfigOf('west'), { name: 'quiet', namespace: 'apps', chart, values: {} });
    expect(await liveDeployment('west', 'quiet')).toEqual({ replicas: 1, images: ['example/hello:1.0', 'example/sidecar:1'] });
    expect((await stack.api('POST', `${base}/reconcile`)).status).toBe(202);
    const body = await deployment('quiet', (b) => idle(b) && b.drift.length === 2, 'quiet drift recorded');
    expect(body.drift.sort((a: any, b: any) => a.clusterName.localeCompare(b.clusterName))).toEqual([
      expect.objectContaining({ clusterName: 'east', status: 'STALE', reason: expect.stringContaining('Deployment apps/quiet: spec.replicas is 3') }),
      expect.objectContaining({ clusterName: 'west', status: 'STALE', reason: expect.stringContaining('Deployment apps/quiet: spec.template.spec.containers is "2 items", the chart says "1 items"') }),
    ]);
    expect(body.drift.filter((d: any) => d.repairedAt)).toEqual([]);
    expect(statuses(body)).toEqual({ east: 'STALE', west: 'STALE', north: 'DEPLOYED' });
    expect(await liveDeployment('east', 'quiet')).toEqual({ replicas: 3, images: ['example/hello:tampered', 'example/sidecar:1'] });
    expect((await stack.api('DELETE', `${base}/clustergroups/fleet/deployments/quiet`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fleet/deployments/quiet`)).status === 404 ? true : undefined), 'quiet gone', 120_000);
  });

  it('edits with reuseValues (merge) and without (replace)', async () => {
    const merge = await stack.api('PUT', `${base}/clustergroups/fleet/deployments/web`, {
      body: { chart, namespace: 'apps', values: { replicas: 2 }, valueOverrides: {}, autoSync: true, reuseValues: true },
    });
    expect(merge.status).toBe(202);
    await deployment('web', (b) => idle(b) && b.values.replicas === 2 && Object.values(statuses(b)).every((s) => s === 'DEPLOYED'), 'merged');
    expect((await configMap('west', 'web-config')).data).toEqual({ message: 'hello west', replicas: '2' });
    const replace = await stack.api('PUT', `${base}/clustergroups/fleet/deployments/web`, {
      body: { chart, namespace: 'apps', values: { message: 'replaced' }, valueOverrides: {}, autoSync: true },
    });
    expect(replace.status).toBe(202);
    await deployment('web', (b) => idle(b) && b.values.message === 'replaced' && Object.values(statuses(b)).every((s) => s === 'DEPLOYED'), 'replaced');
    expect((await configMap('west', 'web-config')).data).toEqual({ message: 'replaced', replicas: '1' });
  });

  it('uninstalls from a cluster that leaves the group', async () => {
    const res = await stack.api('PUT', `${base}/clustergroups/fleet`, { body: { members: ['east', 'west'] } });
    expect(res.status).toBe(200);
    await eventually(async () => ((await helm.status(await kubeconfigOf('north'), { name: 'web', namespace: 'apps' })) ? undefined : true), 'uninstalled from north', 60_000);
    const body = await deployment('web', (b) => idle(b) && b.targetClusters.length === 2, 'two targets');
    expect(Object.keys(statuses(body)).sort()).toEqual(['east', 'west']);
    expect((await stack.api('GET', `${base}/clusters/north`)).body.group).toBeUndefined();
  });

  it('deploys `<repo>/<chart>` from a registered Helm repository', async () => {
    const unknown = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: { releaseName: 'from-repo', chart: 'nowhere/hello' } });
    expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'chart']);
    const { url, close } = await serveChartRepository([chart]);
    try {
      expect((await stack.api('POST', `${base}/helm-repositories`, { body: { name: 'local', url } })).status).toBe(201);
      // Other suites register repositories in the same org: look at this test's names only.
      const repos = (await stack.api('GET', `${base}/helm-repositories?limit=500`)).body.items.filter((r: any) => ['local', 'bad'].includes(r.name));
      expect(repos).toEqual([{ name: 'local', url }]);
      expect((await stack.api('POST', `${base}/helm-repositories`, { body: { name: 'bad', url: 'file:///etc' } })).status).toBe(400);
      expect((await stack.api('GET', `${base}/helm-repositories?limit=500`)).body.items.map((r: any) => r.name)).not.toContain('bad');
      const res = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: { releaseName: 'from-repo', chart: 'local/hello', version: '0.1.0', namespace: 'apps' } });
      expect(res.status).toBe(202);
      const body = await deployment('from-repo', (b) => idle(b) && Object.values(statuses(b)).every((s) => s === 'DEPLOYED'), 'from-repo DEPLOYED');
      expect(body).toMatchObject({ chart: 'hello', repo: url, version: '0.1.0' });
      expect((await helm.status(await kubeconfigOf('east'), { name: 'from-repo', namespace: 'apps' }))!.chartVersion).toBe('0.1.0');
      await stack.api('DELETE', `${base}/clustergroups/fleet/deployments/from-repo`);
      await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fleet/deployments/from-repo`)).status === 404 ? true : undefined), 'from-repo gone', 120_000);
    } finally {
      close();
    }
  });

  it('reports an unreachable member as UNKNOWN while the others deploy, and force-deletes around it', async () => {
    await stack.api('PUT', `${base}/clustergroups/fleet`, { body: { members: clusters } });
    await deployment('web', (b) => idle(b) && statuses(b).north === 'DEPLOYED', 'north back');
    await kwok.kwokctl.stop(Kwokctl.clusterName({ org: 'acme', name: 'north' }));
    const sync = await stack.api('PUT', `${base}/clustergroups/fleet/deployments/web/sync`);
    expect(sync.status).toBe(202);
    const body = await deployment('web', (b) => idle(b) && statuses(b).north === 'UNKNOWN', 'north UNKNOWN');
    expect(statuses(body)).toEqual({ east: 'DEPLOYED', west: 'DEPLOYED', north: 'UNKNOWN' });
    // Reconcile probes every cluster: north does not answer, so it is WARNING with the reason.
    expect((await stack.api('POST', `${base}/reconcile`)).status).toBe(202);
    const warned = await eventually(async () => {
      const c = (await stack.api('GET', `${base}/clusters/north`)).body;
      return c.status === 'WARNING' ? c : undefined;
    }, 'north WARNING');
    expect(warned.message).toMatch(/API server unreachable/);
    expect((await stack.api('GET', `${base}/clusters/east`)).body.status).toBe('RUNNING');

    expect((await stack.api('DELETE', `${base}/clustergroups/fleet`)).status).toBe(409);
    const del = await stack.api('DELETE', `${base}/clustergroups/fleet/deployments/web?force=true`);
    expect(del.status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fleet/deployments/web`)).status === 404 ? true : undefined), 'deployment gone', 120_000);
    expect(await helm.status(await kubeconfigOf('east'), { name: 'web', namespace: 'apps' })).toBeUndefined();
    expect(await helm.status(await kubeconfigOf('west'), { name: 'web', namespace: 'apps' })).toBeUndefined();
    await kwok.kwokctl.start(Kwokctl.clusterName({ org: 'acme', name: 'north' }));
    // ...and RUNNING again once it answers.
    await stack.api('POST', `${base}/reconcile`);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/north`)).body.status === 'RUNNING' ? true : undefined), 'north RUNNING again');
    const group = await eventually(async () => {
      const g = await stack.api('GET', `${base}/clustergroups/fleet`);
      return g.body.deployments?.length === 0 ? g.body : undefined;
    }, 'group without deployments');
    expect(group.deployments).toEqual([]);
    expect((await stack.api('DELETE', `${base}/clustergroups/fleet`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fleet`)).status === 404 ? true : undefined), 'group gone');
  });

  it('force-deletes a group with deployments: the deployments go first', async () => {
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fleet2', members: ['east', 'west'] } })).status).toBe(201);
    expect((await stack.api('POST', `${base}/clustergroups/fleet2/deployments`, { body: { releaseName: 'extra', chart, namespace: 'apps' } })).status).toBe(202);
    await eventually(async () => {
      const b = (await stack.api('GET', `${base}/clustergroups/fleet2/deployments/extra`)).body;
      return b.targetClusters?.every((t: any) => t.status === 'DEPLOYED') ? true : undefined;
    }, 'extra DEPLOYED', 120_000);
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fleet2`)).body.deployments?.length === 1 ? true : undefined), 'group knows extra');
    expect((await stack.api('DELETE', `${base}/clustergroups/fleet2`)).status).toBe(409);
    expect((await stack.api('DELETE', `${base}/clustergroups/fleet2?force=true`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fleet2`)).status === 404 ? true : undefined), 'fleet2 gone', 120_000);
    expect(await helm.status(await kubeconfigOf('east'), { name: 'extra', namespace: 'apps' })).toBeUndefined();
    expect((await stack.api('GET', `${base}/clusters/east`)).body.group).toBeUndefined();
  });
});
