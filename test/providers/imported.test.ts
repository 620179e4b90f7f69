import { MockActivityEnvironment } from '@temporalio/testing';
import { join } from 'node:path';
import { helmActivities } from '../../src/activities/helm.js';
import { ImportedProvider } from '../../src/adapters/providers/imported/index.js';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { Kwokctl } from '../../src/adapters/providers/kwok/kwokctl.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';
import { toolPaths } from '../../src/toolchain.js';
import { testAccess } from '../helpers/egress.js';
import { eventually, FIXTURE_CHARTS, startStack, testHelm, testSecretStore, type Stack } from '../helpers/stack.js';

// An existing cluster (a real KWOK control plane made here with the KWOK
// adapter) imported by its kubeconfig: Flotilla reads it and forgets it, and
// never changes it.
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-imported'));
const secrets = testSecretStore();
const access = testAccess();
const imported = new ImportedProvider(credentialsFrom(secrets), access.kubeconfigs);
const base = '/api/v1/orgs/acme';
const existing = clusterRef('other', withDefaults({ name: 'legacy', provider: 'kwok', nodePools: [] }));
let stack: Stack;
let kubeconfig: string;

beforeAll(async () => {
  const env = new MockActivityEnvironment();
  const activities = kwok.activities();
  await env.run(activities.createControlPlane, existing);
  await env.run(activities.awaitControlPlane, existing);
  await env.run(activities.createNodePool, existing, { name: 'blue', instanceType: 'standard-4', count: 2, labels: { team: 'blue' } });
  kubeconfig = await kwok.kubeconfig(existing);
  stack = await startStack({
    providers: { imported: imported.activities() },
    secrets,
    access,
    kubeconfigs: { imported: (ref) => imported.kubeconfig(ref) }, downloads: { imported: (ref) => imported.storedKubeconfig(ref) },
  });
});
afterAll(async () => {
  await stack?.stop();
  await kwok.kwokctl.delete(Kwokctl.clusterName(existing)).catch(() => undefined);
});

async function idle(status: string): Promise<any> {
  return eventually(async () => {
    const res = await stack.api('GET', `${base}/clusters/legacy`);
    return res.body.status === status && !res.body.operation ? res.body : undefined;
  }, `legacy ${status}`);
}

describe('imported clusters', () => {
  let secretId: string;

  it('accepts only a kubeconfig whose current context answers', async () => {
    const broken = kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1');
    const refused = await stack.api('POST', `${base}/secrets`, { body: { name: 'broken', type: 'kubeconfig', values: { kubeconfig: broken } } });
    expect([refused.status, refused.body.error.details[0].field]).toEqual([400, 'values.kubeconfig.clusters[0].cluster.server']);
    const garbage = await stack.api('POST', `${base}/secrets`, { body: { name: 'garbage', type: 'kubeconfig', values: { kubeconfig: 'not: [a kubeconfig' } } });
    expect(garbage.status).toBe(400);
    const ok = await stack.api('POST', `${base}/secrets`, { body: { name: 'legacy', type: 'kubeconfig', values: { kubeconfig } } });
    expect(ok.status).toBe(201);
    expect(ok.text).not.toContain('client-key-data');
    secretId = ok.body.id;
  });

  it('needs a secret and takes no node pools', async () => {
    const noSecret = await stack.api('POST', `${base}/clusters`, { body: { name: 'legacy', provider: 'imported' } });
    expect([noSecret.status, noSecret.body.error.details.map((d: any) => d.field)]).toEqual([400, ['secretId']]);
    const pools = await stack.api('POST', `${base}/clusters`, {
      body: { name: 'legacy', provider: 'imported', secretId, nodePools: [{ name: 'a', instanceType: 'x', count: 1 }] },
    });
    expect(pools.body.error.details.map((d: any) => d.field)).toContain('nodePools');
  });

  it('imports: RUNNING once its API server answers; pools read from node labels, read-only', async () => {
    expect((await stack.api('POST', `${base}/clusters`, { body: { name: 'legacy', provider: 'imported', secretId } })).status).toBe(202);
    await idle('RUNNING');
    const pools = await stack.api('GET', `${base}/clusters/legacy/nodepools`);
    expect(pools.body.readOnly).toBe(true);
    expect(pools.body.items).toEqual([expect.objectContaining({ name: 'blue', instanceType: 'standard-4', count: 2, labels: expect.objectContaining({ team: 'blue' }) })]);
    expect((await stack.api('PUT', `${base}/clusters/legacy/nodepools/blue`, { body: { count: 3 } })).status).toBe(409);
    expect((await stack.api('POST', `${base}/clusters/legacy/nodepools`, { body: { name: 'x', instanceType: 'standard-2', count: 1 } })).status).toBe(409);
    const served = await stack.api('GET', `${base}/clusters/legacy/kubeconfig`);
    expect(served.text).toBe(kubeconfig);
  });

  it('deploys with helm, whose connections go through the egress guard', async () => {
    const target = clusterRef('acme', withDefaults({ name: 'legacy', provider: 'imported', secretId, nodePools: [] }));
    const activities = helmActivities(testHelm(access.egress), { imported: (ref) => imported.kubeconfig(ref) });
    const before = access.connector.dialled.length;
    const record = await new MockActivityEnvironment().run(activities.helmApply, target, { name: 'guarded', namespace: 'default', chart: join(FIXTURE_CHARTS, 'hello'), values: {} });
    expect(record).toMatchObject({ status: 'DEPLOYED' });
    const port = new URL(/server: (\S+)/.exec(kubeconfig)![1]!).port;
    expect(access.connector.dialled.slice(before)).toContain(`127.0.0.1:${port}`);
    await new MockActivityEnvironment().run(activities.helmRemove, target, { name: 'guarded', namespace: 'default' });
  });

  it('deleting forgets the cluster and leaves it running', async () => {
    expect((await stack.api('DELETE', `${base}/clusters/legacy`)).status).toBe(202);
    await idle('DELETED');
    expect(await kwok.kwokctl.list()).toContain(Kwokctl.clusterName(existing));
    const env = new MockActivityEnvironment();
    expect(await env.run(kwok.activities().updateNodePool, existing, { name: 'blue', instanceType: 'standard-4', count: 2, labels: { team: 'blue' } })).toBe(2);
  });
});
