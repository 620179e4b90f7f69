import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { CLUSTER_AUTOSCALER_CHART } from '../../src/adapters/helm/project-charts.js';
import { EksProvider } from '../../src/adapters/providers/eks/index.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { FakeHelm } from '../helpers/fake-helm.js';
import { startEksNodegroupTagsProxy, startMoto } from '../helpers/moto.js';
import { SECRET_MARKERS } from '../helpers/secret-markers.js';
import { startStack, testSecretStore, type Stack } from '../helpers/stack.js';
import { settled, succeeded } from './api-flow.js';

// Autoscaling on EKS: the real workflows and EKS adapter against moto (node group tags that moto
// cannot set after creation are served by a proxy checked against botocore's EKS model), and helm
// faked behind the real helm activities, since moto's clusters have no API server to install into.
const base = '/api/v1/orgs/acme';
const keys = { accessKeyId: 'AKIAFLOTILLATEST0002', secretAccessKey: SECRET_MARKERS.awsSecretAccessKey };
const secrets = testSecretStore();
const fake = new FakeHelm();
const RELEASE = { name: 'cluster-autoscaler', namespace: 'kube-system' };
const DISCOVERY = { 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/acme-scaled': 'owned' };
let moto: Awaited<ReturnType<typeof startMoto>>;
let tags: Awaited<ReturnType<typeof startEksNodegroupTagsProxy>>;
let stack: Stack;
let eks: EKSClient;

beforeAll(async () => {
  moto = await startMoto();
  tags = await startEksNodegroupTagsProxy(moto.endpoint);
  const provider = new EksProvider({ credentials: credentialsFrom(secrets), endpoint: tags.endpoint, pollMs: 100 });
  stack = await startStack({ providers: { eks: provider.activities() }, secrets, fleet: fake.kubeconfigs('eks'), helm: fake.adapter() });
  // Read through the proxy, so node group tags set after creation are seen.
  eks = new EKSClient({ region: 'eu-west-1', endpoint: tags.endpoint, credentials: keys });
});
afterAll(async () => {
  await stack?.stop();
  await tags?.stop();
  await moto?.stop();
});

const nodegroup = async (name: string) => (await eks.send(new DescribeNodegroupCommand({ clusterName: 'acme-scaled', nodegroupName: name }))).nodegroup!;
const discoveryTags = (tagMap: Record<string, string> | undefined) => Object.fromEntries(Object.entries(tagMap ?? {}).filter(([k]) => k.startsWith('k8s.io/cluster-autoscaler/')));
const change = async (method: 'PUT' | 'DELETE' | 'POST', path: string, body?: object) => {
  const res = await stack.api(method, `${base}/clusters/scaled${path}`, body ? { body } : {});
  expect(res.status).toBe(202);
  const operation = await succeeded(stack, res.body.operationId);
  await settled(stack, 'scaled', 'RUNNING');
  return operation;
};
const stepNames = (operation: any) => operation.steps.map((s: any) => s.name);

describe('autoscaling on EKS', () => {
  it('tags an autoscaled pool’s node group for auto-discovery and installs the cluster-autoscaler chart once', async () => {
    const secretId = (await stack.api('POST', `${base}/secrets`, { body: { name: 'aws-scaled', type: 'aws', values: keys } })).body.id;
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name: 'scaled', provider: 'eks', region: 'eu-west-1', secretId,
        nodePools: [
          { name: 'fixed', instanceType: 'm5.large', count: 1 },
          { name: 'burst', instanceType: 'm5.large', count: 1, minCount: 0, maxCount: 4, autoscaling: true },
        ],
      },
    });
    expect(res.status).toBe(202);
    await settled(stack, 'scaled', 'RUNNING');
    const provision = (await stack.api('GET', `${base}/operations/${res.body.operationId}`)).body;
    expect(stepNames(provision)).toContain('install cluster-autoscaler');

    expect(discoveryTags((await nodegroup('burst')).tags)).toEqual(DISCOVERY);
    expect((await nodegroup('burst')).tags).toMatchObject({ 'flotilla.io/cluster': 'acme/scaled' });
    expect(discoveryTags((await nodegroup('fixed')).tags)).toEqual({});

    const installed = fake.requests.get('scaled/kube-system/cluster-autoscaler')!;
    expect(installed.chart).toBe(CLUSTER_AUTOSCALER_CHART);
    expect(installed.values).toEqual({
      cloudProvider: 'aws',
      awsRegion: 'eu-west-1',
      autoDiscovery: { clusterName: 'acme-scaled' },
      rbac: { create: true, serviceAccount: { create: true, name: 'cluster-autoscaler' } },
    });
    expect(fake.release('scaled', RELEASE)?.revision).toBe(1);
  });

  it('leaves the size the autoscaler chose when the bounds change, and reports it', async () => {
    // What the cluster-autoscaler does through the node group's Auto Scaling group.
    await eks.send(new UpdateNodegroupConfigCommand({ clusterName: 'acme-scaled', nodegroupName: 'burst', scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 3 } }));
    const operation = await change('PUT', '/nodepools/burst', { maxCount: 5 });
    expect(stepNames(operation)).toEqual(['update node pool burst (count 1)']);
    expect((await nodegroup('burst')).scalingConfig).toEqual({ minSize: 0, maxSize: 5, desiredSize: 3 });
    const view = (await stack.api('GET', `${base}/clusters/scaled`)).body;
    expect(view.nodePools.find((p: any) => p.name === 'burst')).toMatchObject({ desiredCount: 1, currentCount: 3 });
    // Installed once per cluster: a second autoscaled pool change does not install it again.
    expect(fake.release('scaled', RELEASE)?.revision).toBe(1);
  });

  it('tags a pool that starts autoscaling and untags one that stops, with the chart staying while any pool autoscales', async () => {
    const on = await change('PUT', '/nodepools/fixed', { minCount: 1, maxCount: 2, autoscaling: true });
    expect(stepNames(on)).toEqual(['update node pool fixed (count 1)']);
    expect(discoveryTags((await nodegroup('fixed')).tags)).toEqual(DISCOVERY);

    const off = await change('PUT', '/nodepools/burst', { autoscaling: false, count: 2 });
    expect(stepNames(off)).toEqual(['update node pool burst (count 2)']);
    expect(discoveryTags((await nodegroup('burst')).tags)).toEqual({});
    expect((await nodegroup('burst')).scalingConfig).toEqual({ minSize: 2, maxSize: 2, desiredSize: 2 });
    expect(fake.release('scaled', RELEASE)?.revision).toBe(1);

    expect(tags.calls.map((c) => [c.operation, c.arn.split('/').at(-2), c.problems])).toEqual([
      ['TagResource', 'fixed', []],
      ['UntagResource', 'burst', []],
    ]);
  });

  it('removes the chart with the last autoscaled pool, before its node group goes', async () => {
    const removed = await change('DELETE', '/nodepools/fixed');
    expect(stepNames(removed)).toEqual(['remove cluster-autoscaler', 'delete node pool fixed']);
    expect(fake.release('scaled', RELEASE)).toBeUndefined();

    // And back with the next one.
    const added = await change('POST', '/nodepools', { name: 'again', instanceType: 'm5.large', count: 1, minCount: 1, maxCount: 3, autoscaling: true });
    expect(stepNames(added)).toEqual(['create node pool again', 'install cluster-autoscaler']);
    expect(fake.release('scaled', RELEASE)?.revision).toBe(1);

    expect((await stack.api('DELETE', `${base}/clusters/scaled`)).status).toBe(202);
    await settled(stack, 'scaled', 'DELETED');
  });
});
