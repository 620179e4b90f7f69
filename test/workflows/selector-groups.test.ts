import { fileURLToPath } from 'node:url';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import type { DeploymentState } from '../../src/domain/groups.js';
import { deploymentWorkflowId } from '../../src/domain/ids.js';
import { deploymentStateQuery } from '../../src/workflows/messages.js';
import { FakeHelm } from '../helpers/fake-helm.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';

// Selector groups on the shared dev server, in seconds: sim clusters, helm faked behind the real
// helm activities (test/kwok/deployments.test.ts runs the real helm on KWOK). Label keys of this
// suite's own (sg-…), so that the clusters of other suites in the org never match.
const ORG = 'acme';
const base = `/api/v1/orgs/${ORG}`;
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const web = { name: 'web', namespace: 'apps' };
const helm = new FakeHelm();
let stack: Stack;

const createCluster = (name: string, labels: Record<string, string>) =>
  stack.api('POST', `${base}/clusters`, { body: { name, provider: 'sim', labels, nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] } });
const cluster = async (name: string) => (await stack.api('GET', `${base}/clusters/${name}`)).body;
const members = async (group: string) => [...(await stack.api('GET', `${base}/clustergroups/${group}`)).body.members].sort();
const membersBecome = (group: string, expected: string[]) =>
  eventually(async () => ((await members(group)).join() === expected.join() ? true : undefined), `${group} members ${expected.join(',')}`);
const relabel = async (name: string, labels: Record<string, string | null>) => expect((await stack.api('PATCH', `${base}/clusters/${name}`, { body: { labels } })).status).toBe(200);
const deployment = (group: string, release: string) => stack.client.workflow.getHandle(deploymentWorkflowId(ORG, group, release));
const stateWhen = (group: string, release: string, ready: (s: DeploymentState) => boolean, what: string) =>
  eventually(async () => {
    const state = await deployment(group, release).query(deploymentStateQuery);
    const idle = state.operations.every((op) => op.state !== 'QUEUED' && op.state !== 'RUNNING');
    return idle && ready(state) ? state : undefined;
  }, what);
const deployedOn = (s: DeploymentState) =>
  Object.values(s.results)
    .filter((r) => r.status === 'DEPLOYED')
    .map((r) => r.clusterName)
    .sort()
    .join();

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() }, fleet: helm.kubeconfigs('sim'), helm: helm.adapter() });
  const labels: Record<string, Record<string, string>> = {
    'sg-a': { 'sg-tier': 'gold', 'sg-zone': 'east' },
    'sg-b': { 'sg-tier': 'gold' },
    'sg-c': { 'sg-tier': 'silver' },
  };
  for (const [name, l] of Object.entries(labels)) expect((await createCluster(name, l)).status).toBe(202);
  for (const name of Object.keys(labels)) await eventually(async () => ((await cluster(name)).status === 'RUNNING' ? true : undefined), `${name} RUNNING`);
});
afterAll(async () => {
  // Other suites share the dev server and org: leave no cluster or group behind.
  for (const group of ['sg-gold', 'sg-east', 'sg-named', 'sg-west']) await stack?.api('DELETE', `${base}/clustergroups/${group}?force=true`);
  for (const name of ['sg-a', 'sg-b', 'sg-c', 'sg-d', 'sg-e']) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`);
  await stack?.stop();
});

describe('selector groups (fake helm)', () => {
  it('take the clusters their selector matches, a cluster in two of them; a release clash on a shared cluster is a 409 naming the other deployment; a relabel moves membership', async () => {
    const gold = await stack.api('POST', `${base}/clustergroups`, { body: { name: 'sg-gold', selector: { matchLabels: { 'sg-tier': 'gold' } } } });
    expect(gold.status).toBe(201);
    expect([...gold.body.members].sort()).toEqual(['sg-a', 'sg-b']);
    expect(gold.body.selector).toEqual({ matchLabels: { 'sg-tier': 'gold' } });
    const east = await stack.api('POST', `${base}/clustergroups`, { body: { name: 'sg-east', selector: { matchExpressions: [{ key: 'sg-zone', operator: 'In', values: ['east', 'north'] }] } } });
    expect([east.status, east.body.members]).toEqual([201, ['sg-a']]);
    // Selector groups are not the cluster's own group (that one names it).
    expect((await cluster('sg-a')).group).toBeUndefined();

    expect((await stack.api('POST', `${base}/clustergroups/sg-gold/deployments`, { body: { releaseName: 'web', chart, namespace: 'apps', values: { message: 'gold' } } })).status).toBe(202);
    expect(deployedOn(await stateWhen('sg-gold', 'web', (s) => s.status === 'DEPLOYED', 'web on gold'))).toBe('sg-a,sg-b');
    expect((await stack.api('POST', `${base}/clustergroups/sg-east/deployments`, { body: { releaseName: 'api', chart, namespace: 'apps' } })).status).toBe(202);
    expect(deployedOn(await stateWhen('sg-east', 'api', (s) => s.status === 'DEPLOYED', 'api on east'))).toBe('sg-a');

    // sg-a is in both groups: the same release name there again is refused, naming the deployment that has it.
    const clash = await stack.api('POST', `${base}/clustergroups/sg-east/deployments`, { body: { releaseName: 'web', chart, namespace: 'apps' } });
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toBe("release 'web' already exists on cluster 'sg-a': deployment 'web' of group 'sg-gold'");
    expect(clash.body.error.deployment).toEqual({ group: 'sg-gold', releaseName: 'web' });
    expect((await stack.api('GET', `${base}/clustergroups/sg-east/deployments/web`)).status).toBe(404);

    // A selector group's members follow its selector only.
    const put = await stack.api('PUT', `${base}/clustergroups/sg-gold`, { body: { members: ['sg-c'] } });
    expect(put.status).toBe(409);
    expect(put.body.error.message).toMatch(/follow its selector/);

    // A group with no member yet may have a release of that name; a cluster that joins it later where another deployment holds the release is not installed over.
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'sg-west', selector: { matchLabels: { 'sg-zone': 'west' } } } })).status).toBe(201);
    expect((await stack.api('POST', `${base}/clustergroups/sg-west/deployments`, { body: { releaseName: 'web', chart, namespace: 'apps', values: { message: 'west' } } })).status).toBe(202);

    // sg-c turns gold and gets the release; sg-b stops being gold and loses it; sg-a leaves east for west.
    await relabel('sg-c', { 'sg-tier': 'gold' });
    await relabel('sg-b', { 'sg-tier': null });
    await relabel('sg-a', { 'sg-zone': 'west' });
    await membersBecome('sg-gold', ['sg-a', 'sg-c']);
    await membersBecome('sg-east', []);
    expect(deployedOn(await stateWhen('sg-gold', 'web', (s) => deployedOn(s) === 'sg-a,sg-c', 'web on sg-a and sg-c'))).toBe('sg-a,sg-c');
    expect(helm.release('sg-c', web)!.values).toEqual({ message: 'gold' });
    expect(helm.release('sg-b', web)).toBeUndefined();
    await stateWhen('sg-east', 'api', (s) => s.targets.length === 0, 'api without targets');
    expect(helm.release('sg-a', { name: 'api', namespace: 'apps' })).toBeUndefined();
    expect(helm.release('sg-a', web)).toBeDefined();

    await membersBecome('sg-west', ['sg-a']);
    const west = await stateWhen('sg-west', 'web', (s) => s.results['sg-a'] !== undefined, 'west web tried sg-a');
    expect(west.results['sg-a']).toMatchObject({ status: 'FAILED', message: "release 'web' on cluster 'sg-a' belongs to deployment 'web' of group 'sg-gold'" });
    expect(helm.release('sg-a', web)!.values).toEqual({ message: 'gold' });
    // Deleting it uninstalls nothing of the other deployment's.
    expect((await stack.api('DELETE', `${base}/clustergroups/sg-west/deployments/web`)).status).toBe(202);
    expect((await deployment('sg-west', 'web').result()).status).toBe('DELETED');
    expect(helm.release('sg-a', web)!.values).toEqual({ message: 'gold' });
  });

  it('take a cluster created later; a deleted member leaves its groups, and its deployments drop it, so a plain delete of them succeeds', async () => {
    expect((await createCluster('sg-d', { 'sg-tier': 'gold' })).status).toBe(202);
    await membersBecome('sg-gold', ['sg-a', 'sg-c', 'sg-d']);
    await stateWhen('sg-gold', 'web', (s) => deployedOn(s) === 'sg-a,sg-c,sg-d', 'web on sg-d too');
    expect(helm.release('sg-d', web)!.values).toEqual({ message: 'gold' });

    expect((await stack.api('DELETE', `${base}/clusters/sg-d`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/sg-d`)).body.status === 'DELETED' ? true : undefined), 'sg-d DELETED');
    // Anything still asking helm about sg-d would now fail, as it would on a cluster that is gone.
    helm.unreachable('sg-d');
    try {
      await membersBecome('sg-gold', ['sg-a', 'sg-c']);
      const state = await stateWhen('sg-gold', 'web', (s) => !s.targets.some((t) => t.name === 'sg-d'), 'web without sg-d');
      expect(state.installedOn.map((r) => r.name).sort()).toEqual(['sg-a', 'sg-c']);
      expect((await stack.api('DELETE', `${base}/clustergroups/sg-gold/deployments/web`)).status).toBe(202);
      expect((await deployment('sg-gold', 'web').result()).status).toBe('DELETED');
      expect((await deployment('sg-gold', 'web').query(deploymentStateQuery)).operations.at(-1)).toMatchObject({ type: 'delete', force: false, state: 'SUCCEEDED' });
      expect(helm.release('sg-a', web)).toBeUndefined();
    } finally {
      helm.unreachable('sg-d', false);
    }
  });

  it('in a group of named members too, a deleted member leaves the group and its deployment', async () => {
    expect((await createCluster('sg-e', {})).status).toBe(202);
    await eventually(async () => ((await cluster('sg-e')).status === 'RUNNING' ? true : undefined), 'sg-e RUNNING');
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'sg-named', members: ['sg-e'] } })).status).toBe(201);
    expect((await cluster('sg-e')).group).toBe('sg-named');
    expect((await stack.api('POST', `${base}/clustergroups/sg-named/deployments`, { body: { releaseName: 'web', chart, namespace: 'other' } })).status).toBe(202);
    await stateWhen('sg-named', 'web', (s) => deployedOn(s) === 'sg-e', 'web on sg-e');

    expect((await stack.api('DELETE', `${base}/clusters/sg-e`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/sg-e`)).body.status === 'DELETED' ? true : undefined), 'sg-e DELETED');
    helm.unreachable('sg-e');
    try {
      await membersBecome('sg-named', []);
      await stateWhen('sg-named', 'web', (s) => s.targets.length === 0 && s.installedOn.length === 0, 'web without sg-e');
      expect((await stack.api('DELETE', `${base}/clustergroups/sg-named/deployments/web`)).status).toBe(202);
      expect((await deployment('sg-named', 'web').result()).status).toBe('DELETED');
      expect((await stack.api('DELETE', `${base}/clustergroups/sg-named`)).status).toBe(202);
    } finally {
      helm.unreachable('sg-e', false);
    }
  });

  it('with installOnJoin false, leave a cluster that joins uninstalled until a sync', async () => {
    const late = { name: 'late', namespace: 'apps' };
    const body = { releaseName: 'late', chart, namespace: 'apps', installOnJoin: false };
    expect((await stack.api('POST', `${base}/clustergroups/sg-gold/deployments`, { body })).status).toBe(202);
    await stateWhen('sg-gold', 'late', (s) => deployedOn(s) === 'sg-a,sg-c', 'late on sg-a and sg-c');
    expect((await deployment('sg-gold', 'late').query(deploymentStateQuery)).spec.installOnJoin).toBe(false);

    await relabel('sg-b', { 'sg-tier': 'gold' });
    await membersBecome('sg-gold', ['sg-a', 'sg-b', 'sg-c']);
    const state = await stateWhen('sg-gold', 'late', (s) => s.targets.some((t) => t.name === 'sg-b') && s.operations.at(-1)!.type === 'apply' && s.operations.length > 1, 'sg-b a target');
    expect(state.results['sg-b']).toMatchObject({ status: 'NOT_INSTALLED', message: expect.stringContaining('installOnJoin: false') });
    expect(state.operations.at(-1)).toMatchObject({ membersChanged: true, state: 'SUCCEEDED' });
    expect(helm.release('sg-b', late)).toBeUndefined();

    expect((await stack.api('PUT', `${base}/clustergroups/sg-gold/deployments/late/sync`)).status).toBe(202);
    await stateWhen('sg-gold', 'late', (s) => deployedOn(s) === 'sg-a,sg-b,sg-c', 'late on sg-b after the sync');
    expect(helm.release('sg-b', late)).toBeDefined();
  });
});
