import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { deploymentWorkflowId } from '../../src/domain/ids.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, startStack, testHelm, type Stack } from '../helpers/stack.js';

// A selector group on real KWOK clusters with the real helm: a cluster created later joins and gets
// the release, with its own name templated into the values; a member deleted leaves, and its
// deployment then deletes cleanly.
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-selector'));
const helm = testHelm();
const base = '/api/v1/orgs/acme';
const clusters = ['sel-one', 'sel-two'];
const release = { name: 'shiny', namespace: 'apps' };
let stack: Stack;

const kubeconfigOf = (name: string) => kwok.kubeconfig({ org: 'acme', name });
async function configMapMessage(cluster: string): Promise<string | undefined> {
  const config = new KubeConfig();
  config.loadFromString(await kubeconfigOf(cluster));
  return (await config.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'shiny-config', namespace: 'apps' })).data?.message;
}
const create = (name: string) =>
  stack.api('POST', `${base}/clusters`, { body: { name, provider: 'kwok', labels: { 'sel-tier': 'gold' }, nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] } });
const status = (name: string, wanted: string) =>
  eventually(async () => ((await stack.api('GET', `${base}/clusters/${name}`)).body.status === wanted ? true : undefined), `${name} ${wanted}`, 180_000);
const deployment = (ready: (body: any) => boolean, what: string): Promise<any> =>
  eventually(async () => {
    const res = await stack.api('GET', `${base}/clustergroups/gold/deployments/shiny`);
    const idle = res.status === 200 && res.body.operations.every((op: any) => op.state !== 'QUEUED' && op.state !== 'RUNNING');
    return idle && ready(res.body) ? res.body : undefined;
  }, what, 180_000);
const deployedOn = (body: any) =>
  body.targetClusters
    .filter((t: any) => t.status === 'DEPLOYED')
    .map((t: any) => t.clusterName)
    .sort()
    .join();

beforeAll(async () => {
  stack = await startStack({ providers: { kwok: kwok.activities() }, kubeconfigs: { kwok: (ref) => kwok.kubeconfig(ref) }, fleet: { kwok: (ref) => kwok.kubeconfig(ref) } });
  expect((await create('sel-one')).status).toBe(202);
  await status('sel-one', 'RUNNING');
});
afterAll(async () => {
  // Other suites share the dev server and org: leave no cluster or group behind.
  await stack?.api('DELETE', `${base}/clustergroups/gold?force=true`);
  for (const name of clusters) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`);
  for (const name of clusters) await status(name, 'DELETED').catch(() => undefined);
  await stack?.stop();
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});

describe('a selector group on KWOK clusters', () => {
  it('installs on a cluster created later whose labels match', async () => {
    const group = await stack.api('POST', `${base}/clustergroups`, { body: { name: 'gold', selector: { matchLabels: { 'sel-tier': 'gold' } } } });
    expect([group.status, group.body.members]).toEqual([201, ['sel-one']]);
    const created = await stack.api('POST', `${base}/clustergroups/gold/deployments`, { body: { releaseName: 'shiny', chart, namespace: 'apps', values: { message: 'hello ${cluster.name}' } } });
    expect(created.status).toBe(202);
    await deployment((b) => deployedOn(b) === 'sel-one', 'shiny on sel-one');

    expect((await create('sel-two')).status).toBe(202);
    await status('sel-two', 'RUNNING');
    const body = await deployment((b) => deployedOn(b) === 'sel-one,sel-two', 'shiny on sel-two too');
    expect(body.targets.sort()).toEqual(['sel-one', 'sel-two']);
    expect((await helm.status(await kubeconfigOf('sel-two'), release))!.values).toEqual({ message: 'hello sel-two' });
    expect(await configMapMessage('sel-two')).toBe('hello sel-two');
    expect(await configMapMessage('sel-one')).toBe('hello sel-one');
  });

  it('lets a deleted member go: its deployment drops it and then deletes cleanly', async () => {
    expect((await stack.api('DELETE', `${base}/clusters/sel-two`)).status).toBe(202);
    await status('sel-two', 'DELETED');
    await eventually(async () => ((await stack.api('GET', `${base}/clustergroups/gold`)).body.members.join() === 'sel-one' ? true : undefined), 'gold without sel-two', 60_000);
    const body = await deployment((b) => b.targets.join() === 'sel-one', 'shiny without sel-two');
    expect(deployedOn(body)).toBe('sel-one');

    expect((await stack.api('DELETE', `${base}/clustergroups/gold/deployments/shiny`)).status).toBe(202);
    const deleted = await stack.client.workflow.getHandle(deploymentWorkflowId('acme', 'gold', 'shiny')).result();
    expect(deleted.status).toBe('DELETED');
    expect(await helm.status(await kubeconfigOf('sel-one'), release)).toBeUndefined();
  });
});
