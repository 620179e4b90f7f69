import { fileURLToPath } from 'node:url';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import type { DeploymentSpec, DeploymentState } from '../../src/domain/groups.js';
import { deploymentEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { deploymentWorkflowId } from '../../src/domain/ids.js';
import { deleteDeploymentUpdate, deploymentStateQuery, editDeploymentUpdate, reconcileSignal, syncDeploymentUpdate } from '../../src/workflows/messages.js';
import { FakeHelm } from '../helpers/fake-helm.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';

// The group and deployment entities on the shared dev server, in seconds: sim clusters, and helm
// faked behind the real helm activities (test/kwok/deployments.test.ts runs the real helm on KWOK).
const ORG = 'acme';
const base = `/api/v1/orgs/${ORG}`;
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const clusters = ['fe-a', 'fe-b', 'fe-c', 'fe-d'];
const release = { name: 'web', namespace: 'apps' };
const helm = new FakeHelm();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() }, fleet: helm.kubeconfigs('sim'), helm: helm.adapter() });
  for (const name of clusters) {
    const res = await stack.api('POST', `${base}/clusters`, { body: { name, provider: 'sim', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] } });
    expect(res.status).toBe(202);
  }
  for (const name of clusters) await eventually(async () => ((await cluster(name)).status === 'RUNNING' ? true : undefined), `${name} RUNNING`);
});
afterAll(async () => {
  // Other suites share the dev server and org: leave no cluster or group behind.
  for (const group of ['fe-one', 'fe-two', 'fe-fleet', 'fe-waves']) await stack?.api('DELETE', `${base}/clustergroups/${group}?force=true`);
  for (const name of clusters) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`);
  await stack?.stop();
});

const cluster = async (name: string) => (await stack.api('GET', `${base}/clusters/${name}`)).body;
const gone = (path: string) => eventually(async () => ((await stack.api('GET', `${base}${path}`)).status === 404 ? true : undefined), `${path} gone`);
const deployment = (release: string, group = 'fe-fleet') => stack.client.workflow.getHandle(deploymentWorkflowId(ORG, group, release));
const stateWhen = (release: string, ready: (s: DeploymentState) => boolean, what: string, group = 'fe-fleet') =>
  eventually(async () => {
    const state = await deployment(release, group).query(deploymentStateQuery);
    const idle = state.operations.every((op) => op.state !== 'QUEUED' && op.state !== 'RUNNING');
    return idle && ready(state) ? state : undefined;
  }, what);
const statuses = (s: DeploymentState) => Object.fromEntries(Object.values(s.results).map((r) => [r.clusterName, r.status]));

describe('one group per cluster, decided by the cluster entities', () => {
  it('of two concurrent creates claiming one cluster, exactly one wins; the other is a 409 naming the winner and leaves nothing behind', async () => {
    const [one, two] = await Promise.all([
      stack.api('POST', `${base}/clustergroups`, { body: { name: 'fe-one', members: ['fe-a'] } }),
      stack.api('POST', `${base}/clustergroups`, { body: { name: 'fe-two', members: ['fe-b', 'fe-a'] } }),
    ]);
    expect([one.status, two.status].sort()).toEqual([201, 409]);
    const [winner, loser] = one.status === 201 ? ['fe-one', two] : ['fe-two', one];
    expect(loser.body.error.message).toBe(`cluster 'fe-a' already belongs to group '${winner}'`);
    expect((await cluster('fe-a')).group).toBe(winner);
    await gone(`/clustergroups/${winner === 'fe-one' ? 'fe-two' : 'fe-one'}`);
    // A cluster the losing create did claim is given back.
    await eventually(async () => ((await cluster('fe-b')).group === (winner === 'fe-two' ? 'fe-two' : undefined) ? true : undefined), 'fe-b as the winner left it');
    expect((await stack.api('DELETE', `${base}/clustergroups/${winner}`)).status).toBe(202);
    await gone(`/clustergroups/${winner}`);
    await eventually(async () => ((await cluster('fe-a')).group === undefined ? true : undefined), 'fe-a without a group');
  });

  it('of two concurrent member changes claiming one cluster, exactly one wins', async () => {
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fe-one', members: ['fe-a'] } })).status).toBe(201);
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fe-two', members: ['fe-b'] } })).status).toBe(201);
    const [one, two] = await Promise.all([
      stack.api('PUT', `${base}/clustergroups/fe-one`, { body: { members: ['fe-a', 'fe-c'] } }),
      stack.api('PUT', `${base}/clustergroups/fe-two`, { body: { members: ['fe-b', 'fe-c'] } }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    const [winner, loser, loserName] = one.status === 200 ? ['fe-one', two, 'fe-two'] : ['fe-two', one, 'fe-one'];
    expect(loser.body.error.message).toBe(`cluster 'fe-c' already belongs to group '${winner}'`);
    expect((await cluster('fe-c')).group).toBe(winner);
    expect((await stack.api('GET', `${base}/clustergroups/${winner}`)).body.members).toContain('fe-c');
    expect((await stack.api('GET', `${base}/clustergroups/${loserName}`)).body.members).not.toContain('fe-c');
    // Nor may a member of the other group join the winner.
    const again = await stack.api('PUT', `${base}/clustergroups/${winner}`, { body: { members: ['fe-a', 'fe-b', 'fe-c'] } });
    expect(again.status).toBe(409);
    for (const group of ['fe-one', 'fe-two']) expect((await stack.api('DELETE', `${base}/clustergroups/${group}`)).status).toBe(202);
    for (const group of ['fe-one', 'fe-two']) await gone(`/clustergroups/${group}`);
    await eventually(async () => ((await cluster('fe-c')).group === undefined ? true : undefined), 'fe-c without a group');
  });
});

describe('deployment entity (fake helm)', () => {
  it('installs on every member with its override, repairs drift on the drifted target alone, uninstalls from a member that leaves', async () => {
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fe-fleet', members: ['fe-a', 'fe-b', 'fe-c'] } })).status).toBe(201);
    const body = { releaseName: 'web', chart, namespace: 'apps', autoSync: true, values: { message: 'hello' }, valueOverrides: { 'fe-b': { message: 'hello b' } } };
    const create = await stack.api('POST', `${base}/clustergroups/fe-fleet/deployments`, { body, headers: { 'idempotency-key': 'create-web' } });
    expect(create.status).toBe(202);
    expect(create.body).toMatchObject({ releaseName: 'web', operationId: 'deployment.fe-fleet.web.1', links: { operation: `${base}/operations/deployment.fe-fleet.web.1` } });
    let state = await stateWhen('web', (s) => s.status === 'DEPLOYED', 'web DEPLOYED');
    expect(statuses(state)).toEqual({ 'fe-a': 'DEPLOYED', 'fe-b': 'DEPLOYED', 'fe-c': 'DEPLOYED' });
    expect(helm.release('fe-b', release)!.values).toEqual({ message: 'hello b' });

    // The same create again: the entity answers, as it is now (deployed, not a predicted DEPLOYING), and installs nothing more.
    const installs = new Map(helm.applies);
    const again = await stack.api('POST', `${base}/clustergroups/fe-fleet/deployments`, { body, headers: { 'idempotency-key': 'create-web' } });
    expect([again.status, again.body.status, again.body.operationId]).toEqual([202, 'DEPLOYED', 'deployment.fe-fleet.web.1']);
    // Another create of that release: a 409 carrying the deployment there is.
    const conflict = await stack.api('POST', `${base}/clustergroups/fe-fleet/deployments`, { body });
    expect([conflict.status, conflict.body.error.deployment?.releaseName]).toEqual([409, 'web']);
    expect((await deployment('web').query(deploymentStateQuery)).operations.filter((op) => op.type === 'apply')).toHaveLength(1);
    expect(helm.applies).toEqual(installs);

    helm.tamper('fe-a', release, { message: 'changed by hand' });
    const applied = new Map(helm.applies);
    await deployment('web').signal(reconcileSignal);
    state = await stateWhen('web', (s) => s.drift.some((d) => d.clusterName === 'fe-a' && d.repairedAt), 'fe-a repaired');
    expect(helm.release('fe-a', release)!.values).toEqual({ message: 'hello' });
    expect(['fe-a', 'fe-b', 'fe-c'].map((c) => (helm.applies.get(c) ?? 0) - (applied.get(c) ?? 0))).toEqual([1, 0, 0]);

    expect((await stack.api('PUT', `${base}/clustergroups/fe-fleet`, { body: { members: ['fe-a', 'fe-b'] } })).status).toBe(200);
    state = await stateWhen('web', (s) => s.targets.length === 2, 'two targets');
    expect(helm.release('fe-c', release)).toBeUndefined();
    expect(Object.keys(statuses(state)).sort()).toEqual(['fe-a', 'fe-b']);
    expect((await cluster('fe-c')).group).toBeUndefined();
  });

  it('reports an unreachable target UNKNOWN while the others deploy; a plain delete fails on it, a forced one goes around it', async () => {
    helm.unreachable('fe-b');
    try {
      expect((await stack.api('PUT', `${base}/clustergroups/fe-fleet/deployments/web/sync`)).status).toBe(202);
      let state = await stateWhen('web', (s) => s.operations.at(-1)!.type === 'apply' && s.status !== 'DEPLOYED', 'sync done');
      expect(statuses(state)).toEqual({ 'fe-a': 'DEPLOYED', 'fe-b': 'UNKNOWN' });
      expect(state.status).toBe('PARTIAL');
      expect(state.results['fe-b']!.message).toMatch(/unreachable/);

      expect((await stack.api('DELETE', `${base}/clustergroups/fe-fleet/deployments/web`)).status).toBe(202);
      state = await stateWhen('web', (s) => s.operations.at(-1)!.type === 'delete', 'plain delete done');
      expect(state.operations.at(-1)).toMatchObject({ state: 'FAILED', error: expect.stringContaining('uninstall failed on fe-b') });
      expect(helm.release('fe-a', release)).toBeUndefined();

      expect((await stack.api('DELETE', `${base}/clustergroups/fe-fleet/deployments/web?force=true`)).status).toBe(202);
      const view = await deployment('web').result();
      expect(view.status).toBe('DELETED');
      const last = (await deployment('web').query(deploymentStateQuery)).operations.at(-1)!;
      expect(last).toMatchObject({ type: 'delete', force: true, state: 'SUCCEEDED', skipped: ['fe-b'] });
    } finally {
      helm.unreachable('fe-b', false);
    }
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/fe-fleet`)).body.deployments?.length === 0 ? true : undefined), 'group without deployments');
    expect((await stack.api('DELETE', `${base}/clustergroups/fe-fleet`)).status).toBe(202);
    await gone('/clustergroups/fe-fleet');
    for (const name of ['fe-a', 'fe-b']) await eventually(async () => ((await cluster(name)).group === undefined ? true : undefined), `${name} without a group`);
  });
});

describe('values per target (fake helm)', () => {
  // Labelled targets, as the group entity hands its members to a deployment: the deployment entity on its own.
  const sim = (name: string, labels: Record<string, string>): ClusterRef => ({ org: ORG, name, provider: 'sim', region: 'sim-1', kubernetesVersion: '1.35', labels });
  const gold = sim('tpl-gold', { tier: 'gold', zone: 'z1' });
  const silver = sim('tpl-silver', { tier: 'silver' });
  const tpl = { name: 'tpl', namespace: 'apps' };

  it('templates each target’s values with its own name and labels, after selector and name overrides; a label a cluster lacks fails that target alone', async () => {
    const spec: DeploymentSpec = {
      releaseName: 'tpl',
      chart,
      namespace: 'apps',
      autoSync: false,
      values: { host: '${cluster.name}.svc', tier: '${cluster.labels.tier}', where: '${cluster.provider}/${cluster.region}', tpl: '{{ .Release.Name }}' },
      valueOverridesBySelector: [
        { selector: { matchLabels: { tier: 'gold' } }, values: { zone: '${cluster.labels.zone}', replicas: 3 } },
        { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold', 'silver'] }] }, values: { replicas: 2 } },
      ],
      valueOverrides: { 'tpl-silver': { host: 'by-name-${cluster.name}' } },
    };
    const handle = await startEntity(stack.client, deploymentEntity({ org: ORG, group: 'fe-tpl', spec, targets: [gold, silver], requestId: 'create-tpl' }));
    let state = await stateWhen('tpl', (s) => s.status === 'DEPLOYED', 'tpl DEPLOYED', 'fe-tpl');
    expect(helm.release('tpl-gold', tpl)!.values).toEqual({ host: 'tpl-gold.svc', tier: 'gold', where: 'sim/sim-1', tpl: '{{ .Release.Name }}', zone: 'z1', replicas: 2 });
    expect(helm.release('tpl-silver', tpl)!.values).toEqual({ host: 'by-name-tpl-silver', tier: 'silver', where: 'sim/sim-1', tpl: '{{ .Release.Name }}', replicas: 2 });

    // A drift check compares each target with its own templated values: nothing is stale.
    await handle.signal(reconcileSignal);
    state = await stateWhen('tpl', (s) => s.operations.at(-1)!.type === 'check', 'checked', 'fe-tpl');
    expect(statuses(state)).toEqual({ 'tpl-gold': 'DEPLOYED', 'tpl-silver': 'DEPLOYED' });

    // Silver has no zone label: its target fails, saying why; helm is not asked there, gold still upgrades.
    const silverApplies = helm.applies.get('tpl-silver');
    await handle.executeUpdate(editDeploymentUpdate, { args: [{ requestId: 'edit-tpl', reuseValues: true, spec: { ...spec, values: {}, valueOverridesBySelector: [], valueOverrides: { 'tpl-silver': { zone: '${cluster.labels.zone}' }, 'tpl-gold': { host: 'edited' } } } }] });
    state = await stateWhen('tpl', (s) => s.operations.at(-1)!.requestId === 'edit-tpl', 'edit applied', 'fe-tpl');
    expect(statuses(state)).toEqual({ 'tpl-gold': 'DEPLOYED', 'tpl-silver': 'FAILED' });
    expect(state.results['tpl-silver']!.message).toBe('values cannot be templated for this cluster: cluster tpl-silver has no label zone');
    expect(helm.applies.get('tpl-silver')).toBe(silverApplies);
    expect(helm.release('tpl-gold', tpl)!.values).toMatchObject({ host: 'edited', zone: 'z1', replicas: 2 });

    await handle.executeUpdate(deleteDeploymentUpdate, { args: [{ requestId: 'delete-tpl' }] });
    expect((await handle.result()).status).toBe('DELETED');
    expect(helm.release('tpl-gold', tpl)).toBeUndefined();
  });

  it('an unknown placeholder is a 400 naming its field, at create and at edit', async () => {
    const create = await stack.api('POST', `${base}/clustergroups/fe-fleet/deployments`, { body: { chart, values: { host: '${cluster.hostname}' } } });
    expect([create.status, create.body.error.details.map((d: { field: string }) => d.field)]).toEqual([400, ['values.host']]);
    expect(create.body.error.details[0].message).toMatch(/^unknown placeholder \$\{cluster\.hostname\}/);
    const edit = await stack.api('PUT', `${base}/clustergroups/fe-fleet/deployments/web`, {
      body: { chart, valueOverridesBySelector: [{ selector: { matchLabels: { tier: 'gold' } }, values: { a: ['ok', '${cluster.labels.}'] } }] },
    });
    expect([edit.status, edit.body.error.details.map((d: { field: string }) => d.field)]).toEqual([400, ['valueOverridesBySelector[0].values.a[1]']]);
  });
});

describe('provider profiles (fake helm)', () => {
  // In globex: a profile applies to every sim target of its org, so other suites' deployments in acme never see this one.
  const org = 'globex';
  const api = (method: string, path: string, body?: unknown) => stack.api(method, `/api/v1/orgs/${org}${path}`, { token: TOKENS.globex, ...(body ? { body } : {}) });
  const proxied: ClusterRef = { org, name: 'prof-proxied', provider: 'sim', region: 'sim-1', kubernetesVersion: '1.35', labels: { network: 'proxied' } };
  const open: ClusterRef = { org, name: 'prof-open', provider: 'sim', region: 'sim-1', kubernetesVersion: '1.35' };
  const profile = {
    provider: 'sim',
    serviceAnnotations: [{ serviceSelector: { type: 'LoadBalancer' }, annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' } }],
    storageClasses: { fast: 'gp3' },
    proxy: { clusterSelector: { matchLabels: { network: 'proxied' } }, httpProxy: 'http://proxy:3128', noProxy: '10.0.0.0/8' },
  };
  const handle = () => stack.client.workflow.getHandle(deploymentWorkflowId(org, 'fe-prof', 'prof'));
  const settled = (ready: (s: DeploymentState) => boolean, what: string) =>
    eventually(async () => {
      const state = await handle().query(deploymentStateQuery);
      return state.operations.every((op) => op.state !== 'QUEUED' && op.state !== 'RUNNING') && ready(state) ? state : undefined;
    }, what);
  const check = async () => {
    const checks = (await handle().query(deploymentStateQuery)).operations.filter((op) => op.type === 'check').length;
    await handle().signal(reconcileSignal);
    return settled((s) => s.operations.filter((op) => op.type === 'check').length > checks, 'a check');
  };
  afterAll(async () => {
    await api('DELETE', '/profiles/sim-private');
  });

  it('applies each target’s matching profiles by post-renderer, records their versions, and a profile change or delete makes the targets STALE until synced', async () => {
    const created = await api('POST', '/profiles', { name: 'sim-private', ...profile });
    expect([created.status, created.body.version]).toEqual([201, 1]);
    expect((await api('POST', '/profiles', { name: 'sim-private', ...profile })).status).toBe(409);

    const spec: DeploymentSpec = { releaseName: 'prof', chart, namespace: 'apps', autoSync: false, values: {}, valueOverrides: {} };
    await startEntity(stack.client, deploymentEntity({ org, group: 'fe-prof', spec, targets: [proxied, open], requestId: 'create-prof' }));
    let state = await settled((s) => s.status === 'DEPLOYED', 'prof DEPLOYED');
    expect(state.appliedProfiles).toEqual({ 'prof-proxied': [{ name: 'sim-private', version: 1 }], 'prof-open': [{ name: 'sim-private', version: 1 }] });
    const annotations = [{ serviceSelector: { type: 'LoadBalancer' }, annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' } }];
    expect(helm.postRendered.get('prof-proxied')).toEqual({
      serviceAnnotations: annotations,
      storageClasses: { fast: 'gp3' },
      proxyEnv: [{ name: 'HTTP_PROXY', value: 'http://proxy:3128' }, { name: 'NO_PROXY', value: '10.0.0.0/8' }],
    });
    // Not behind the proxy by its labels: the rest of the profile, no proxy.
    expect(helm.postRendered.get('prof-open')).toEqual({ serviceAnnotations: annotations, storageClasses: { fast: 'gp3' }, proxyEnv: [] });
    expect(statuses(await check())).toEqual({ 'prof-proxied': 'DEPLOYED', 'prof-open': 'DEPLOYED' });

    // Version 2: both targets STALE, in the drift check and in the API's live read, saying why.
    const changed = await api('PUT', '/profiles/sim-private', { ...profile, storageClasses: { fast: 'io2' } });
    expect([changed.status, changed.body.version]).toEqual([200, 2]);
    state = await check();
    expect(statuses(state)).toEqual({ 'prof-proxied': 'STALE', 'prof-open': 'STALE' });
    expect(state.results['prof-open']!.message).toBe('provider profiles changed: applied [sim-private@v1], now [sim-private@v2]');
    expect(state.drift.map((d) => d.clusterName).sort()).toEqual(['prof-open', 'prof-proxied']);
    const live = await api('GET', '/clustergroups/fe-prof/deployments/prof');
    expect(live.body.targetClusters.map((t: { status: string }) => t.status)).toEqual(['STALE', 'STALE']);

    // A sync applies version 2.
    await handle().executeUpdate(syncDeploymentUpdate, { args: [{ requestId: 'sync-prof' }] });
    state = await settled((s) => s.operations.at(-1)!.requestId === 'sync-prof', 'synced');
    expect(statuses(state)).toEqual({ 'prof-proxied': 'DEPLOYED', 'prof-open': 'DEPLOYED' });
    expect(state.appliedProfiles!['prof-open']).toEqual([{ name: 'sim-private', version: 2 }]);
    expect(helm.postRendered.get('prof-open')!.storageClasses).toEqual({ fast: 'io2' });

    // Deleted: what it applied is stale again; a name made again never repeats a version.
    expect((await api('DELETE', '/profiles/sim-private')).status).toBe(200);
    expect((await api('GET', '/profiles/sim-private')).status).toBe(404);
    expect(statuses(await check())).toEqual({ 'prof-proxied': 'STALE', 'prof-open': 'STALE' });
    expect((await api('POST', '/profiles', { name: 'sim-private', ...profile })).body.version).toBe(3);

    await handle().executeUpdate(deleteDeploymentUpdate, { args: [{ requestId: 'delete-prof' }] });
    expect((await handle().result()).status).toBe('DELETED');
  });

  it('refuses bad profiles with the field at fault, and unknown ones with a 404', async () => {
    const bad = await api('POST', '/profiles', {
      name: 'bad',
      provider: 'sim',
      serviceAnnotations: [{ serviceSelector: { matchLabels: { 'no good': 'x' } }, annotations: { 'bad key!': 'x' } }],
      storageClasses: { Fast: 'gp3' },
      proxy: { httpProxy: 'socks5://proxy' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'proxy.httpProxy',
      'serviceAnnotations[0].annotations["bad key!"]',
      'serviceAnnotations[0].serviceSelector.matchLabels["no good"]',
      'storageClasses.Fast',
    ]);
    expect((await api('PUT', '/profiles/nowhere', profile)).status).toBe(404);
    expect((await api('DELETE', '/profiles/nowhere')).status).toBe(404);
  });
});

describe('rollouts in waves (fake helm)', () => {
  const waves = `${base}/clustergroups/fe-waves/deployments`;
  const ref = (name: string) => ({ name, namespace: 'apps' });
  const threeWaves = [{ clusters: ['fe-a'] }, { clusters: ['fe-b', 'fe-c'] }, { clusters: ['fe-d'] }];
  const rolloutState = (release: string, ready: (s: DeploymentState) => boolean, what: string) => stateWhen(release, ready, what, 'fe-waves');
  const lastOp = (s: DeploymentState) => s.operations.at(-1)!;
  const waveStates = (s: DeploymentState) => lastOp(s).rollout!.waves.map((w) => w.state);
  const create = async (releaseName: string, rollout: object, values: object = { message: 'v1' }) => {
    const res = await stack.api('POST', waves, { body: { releaseName, chart, namespace: 'apps', values, rollout } });
    expect(res.status).toBe(202);
  };
  const action = (release: string, what: string) => stack.api('POST', `${waves}/${release}/rollout/${what}`);
  const remove = async (release: string) => {
    expect((await stack.api('DELETE', `${waves}/${release}?force=true`)).status).toBe(202);
    await deployment(release, 'fe-waves').result();
  };

  beforeAll(async () => {
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fe-waves', members: clusters } })).status).toBe(201);
  });
  afterEach(() => clusters.forEach((c) => helm.unhealthy(c, undefined)));

  it('a wave that does not turn healthy is rolled back, first installs uninstalled; later waves untouched; the operation FAILED naming the cluster', async () => {
    helm.unhealthy('fe-c', 'pod web-1 FailedScheduling: 0/1 nodes are available');
    const applied = new Map(helm.applies);
    await create('first', { waves: threeWaves, healthTimeoutSeconds: 2 });
    const state = await rolloutState('first', (s) => lastOp(s).state === 'FAILED', 'first rollout failed');
    expect(waveStates(state)).toEqual(['HEALTHY', 'ROLLED_BACK', 'SKIPPED']);
    expect(lastOp(state).error).toMatch(/^wave 2 of 3 failed and was rolled back; not healthy: fe-c: not healthy by .*FailedScheduling: 0\/1 nodes are available$/);
    expect(lastOp(state).rollout!.waves[1]!.targets).toEqual([
      { clusterName: 'fe-b', health: 'UNINSTALLED' },
      { clusterName: 'fe-c', health: 'UNINSTALLED', reason: expect.stringContaining('FailedScheduling') },
    ]);
    expect(helm.release('fe-a', ref('first'))).toMatchObject({ revision: 1, values: { message: 'v1' } });
    for (const c of ['fe-b', 'fe-c', 'fe-d']) expect(helm.release(c, ref('first'))).toBeUndefined();
    expect((helm.applies.get('fe-d') ?? 0) - (applied.get('fe-d') ?? 0)).toBe(0);
    expect(statuses(state)).toEqual({ 'fe-a': 'DEPLOYED', 'fe-b': 'NOT_INSTALLED', 'fe-c': 'NOT_INSTALLED' });
    expect(state.installedOn.map((r) => r.name)).toEqual(['fe-a']);
    expect(state.status).toBe('PARTIAL');

    // With every target healthy, a sync rolls out all three waves; an upgrade whose wave fails goes back to the previous revision.
    helm.unhealthy('fe-c', undefined);
    expect((await stack.api('PUT', `${waves}/first/sync`)).status).toBe(202);
    let after = await rolloutState('first', (s) => lastOp(s).type === 'apply' && lastOp(s).state === 'SUCCEEDED' && s.operations.length === 2, 'sync rolled out');
    expect(waveStates(after)).toEqual(['HEALTHY', 'HEALTHY', 'HEALTHY']);
    expect(after.status).toBe('DEPLOYED');
    helm.unhealthy('fe-b', 'Deployment first: 0 of 1 replicas available');
    const edit = await stack.api('PUT', `${waves}/first`, { body: { chart, namespace: 'apps', values: { message: 'v2' }, rollout: { waves: threeWaves, healthTimeoutSeconds: 2 } } });
    expect(edit.status).toBe(202);
    after = await rolloutState('first', (s) => s.operations.length === 3 && lastOp(s).state === 'FAILED', 'upgrade rolled back');
    expect(helm.release('fe-a', ref('first'))!.values).toEqual({ message: 'v2' });
    for (const c of ['fe-b', 'fe-c']) expect(helm.release(c, ref('first'))).toMatchObject({ revision: 3, values: { message: 'v1' } });
    expect(helm.release('fe-d', ref('first'))).toMatchObject({ revision: 1, values: { message: 'v1' } });
    expect(statuses(after)).toMatchObject({ 'fe-a': 'DEPLOYED', 'fe-b': 'STALE', 'fe-c': 'STALE', 'fe-d': 'DEPLOYED' });
    expect(after.results['fe-b']!.message).toBe('rolled back to revision 3 (wave 2 failed)');
    expect(lastOp(after).error).toContain('fe-b: not healthy');
    await remove('first');
  });

  it('with onFailure halt, the failed wave stays as it is (DEGRADED, with the reason) and later waves are not touched', async () => {
    helm.unhealthy('fe-b', 'pod halt-0: ImagePullBackOff');
    const rollbacks = helm.rollbacks.get('fe-b') ?? 0;
    await create('halt', { waves: threeWaves, healthTimeoutSeconds: 2, onFailure: 'halt' });
    const state = await rolloutState('halt', (s) => lastOp(s).state === 'FAILED', 'halted');
    expect(waveStates(state)).toEqual(['HEALTHY', 'FAILED', 'SKIPPED']);
    expect(statuses(state)).toEqual({ 'fe-a': 'DEPLOYED', 'fe-b': 'DEGRADED', 'fe-c': 'DEPLOYED' });
    expect(state.results['fe-b']!.message).toMatch(/ImagePullBackOff/);
    expect(helm.release('fe-b', ref('halt'))).toBeDefined();
    expect(helm.release('fe-d', ref('halt'))).toBeUndefined();
    expect(helm.rollbacks.get('fe-b') ?? 0).toBe(rollbacks);
    expect(lastOp(state).error).toMatch(/^wave 2 of 3 failed; halted; not healthy: fe-b: /);
    await remove('halt');
  });

  it('waits for approval between waves; pause holds an approved wave until resume; abort ends the rollout where it is', async () => {
    expect((await action('gated', 'approve')).status).toBe(404);
    await create('gated', { waves: [{ clusters: ['fe-a'] }, { percent: 25 }, { selector: { matchLabels: { 'flotilla.io/name': 'fe-c' } } }], approval: 'manual' });
    let state = await eventually(async () => {
      const s = await deployment('gated', 'fe-waves').query(deploymentStateQuery);
      return lastOp(s).rollout?.awaitingApproval ? s : undefined;
    }, 'waiting for approval after wave 1');
    // Waves resolved in order: named, a quarter of four by name among the rest, by label; fe-d, in no wave, last.
    expect(lastOp(state).rollout!.waves.map((w) => w.targets.map((t) => t.clusterName))).toEqual([['fe-a'], ['fe-b'], ['fe-c'], ['fe-d']]);
    expect(Object.keys(statuses(state))).toEqual(['fe-a']);
    expect((await action('gated', 'resume')).status).toBe(409);
    expect((await action('gated', 'pause')).status).toBe(200);
    expect((await action('gated', 'pause')).body.error.message).toBe('the rollout is already paused');
    const approved = await action('gated', 'approve');
    expect([approved.status, approved.body.rollout.paused, approved.body.rollout.awaitingApproval]).toEqual([200, true, false]);
    // Paused: wave 2 does not start.
    await new Promise((r) => setTimeout(r, 1500));
    state = await deployment('gated', 'fe-waves').query(deploymentStateQuery);
    expect(helm.release('fe-b', ref('gated'))).toBeUndefined();
    expect(lastOp(state).rollout!.waves[1]!.state).toBe('RUNNING');
    expect((await action('gated', 'resume')).status).toBe(200);
    state = await eventually(async () => {
      const s = await deployment('gated', 'fe-waves').query(deploymentStateQuery);
      return s.operations[0]!.rollout!.current === 2 && s.operations[0]!.rollout!.awaitingApproval ? s : undefined;
    }, 'waiting for approval after wave 2');
    expect(helm.release('fe-b', ref('gated'))).toBeDefined();
    expect((await action('gated', 'abort')).status).toBe(200);
    state = await rolloutState('gated', (s) => lastOp(s).state === 'FAILED', 'aborted');
    expect(lastOp(state).error).toBe('aborted at wave 3 of 4; later waves not applied');
    expect(waveStates(state)).toEqual(['HEALTHY', 'HEALTHY', 'SKIPPED', 'SKIPPED']);
    for (const c of ['fe-c', 'fe-d']) expect(helm.release(c, ref('gated'))).toBeUndefined();
    // Nothing running: no action applies.
    expect((await action('gated', 'approve')).body.error.message).toBe('no rollout is running');
    await remove('gated');
  });
});
