import { AppsV1Api, CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { Kwokctl } from '../../src/adapters/providers/kwok/kwokctl.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { succeeded } from '../providers/api-flow.js';

// One real KWOK cluster (kube-apiserver, controller manager, scheduler, etcd,
// kwok controller) for the whole suite, driven through the API.
const workdir = join(process.env.FLOTILLA_TEST_DIR!, 'kwok');
const kwok = new KwokProvider(toolPaths(), workdir);
const base = '/api/v1/orgs/acme';
const name = 'kw1';
let stack: Stack;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  // With the reconcile queue (`fleet`), whose pass reads each pool's nodes.
  stack = await startStack({ providers: { kwok: kwok.activities() }, kubeconfigs: { kwok: (ref) => kwok.kubeconfig(ref) }, fleet: { kwok: (ref) => kwok.kubeconfig(ref) } });
});
afterAll(async () => {
  await stack?.stop();
  // Whatever a failed test left running.
  for (const cluster of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(cluster).catch(() => undefined);
});

async function idle(status = 'RUNNING'): Promise<any> {
  return eventually(
    async () => {
      const res = await stack.api('GET', `${base}/clusters/${name}`);
      return res.body.status === status && !res.body.operation && res.body.queuedOperations === 0 ? res.body : undefined;
    },
    `cluster ${status}`,
    180_000,
  );
}

async function poolNodes(pool: string): Promise<V1Node[]> {
  return (await core.listNode({ labelSelector: `flotilla.io/nodepool=${pool}` })).items;
}

const readyCount = (nodes: V1Node[]) => nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

describe('KWOK provider: a real control plane with simulated nodes', () => {
  it('creates a cluster with two pools; nodes carry the pools’ labels, taints and capacity', async () => {
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name,
        provider: 'kwok',
        nodePools: [
          { name: 'general', instanceType: 'standard-2', count: 2, minCount: 1, maxCount: 6 },
          { name: 'gpu', instanceType: 'gpu-8', count: 1, spot: true, labels: { accelerator: 'a100' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
        ],
      },
    });
    expect(res.status).toBe(202);
    const view = await idle();
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 2], ['gpu', 1]]);

    const kubeconfig = await stack.api('GET', `${base}/clusters/${name}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    expect(kubeconfig.headers.get('content-type')).toMatch(/yaml/);
    const config = new KubeConfig();
    config.loadFromString(kubeconfig.text);
    core = config.makeApiClient(CoreV1Api);
    apps = config.makeApiClient(AppsV1Api);

    const general = await poolNodes('general');
    expect(general.map((n) => n.metadata!.name).sort()).toEqual(['general-0', 'general-1']);
    expect(general[0]!.metadata!.labels).toMatchObject({ 'node.kubernetes.io/instance-type': 'standard-2', 'flotilla.io/capacity-type': 'on-demand' });
    expect(general[0]!.status!.capacity).toMatchObject({ cpu: '2', memory: '8Gi' });

    const [gpu] = await poolNodes('gpu');
    expect(gpu!.metadata!.labels).toMatchObject({ accelerator: 'a100', 'flotilla.io/nodepool': 'gpu', 'flotilla.io/capacity-type': 'spot' });
    expect(gpu!.spec!.taints).toEqual(expect.arrayContaining([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]));
    expect(gpu!.status!.capacity).toMatchObject({ cpu: '8', 'nvidia.com/gpu': '1' });
    await eventually(async () => (readyCount(await poolNodes('general')) === 2 ? true : undefined), 'nodes Ready');
  });

  it('runs pods on the nodes, keeping them off the tainted pool', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'hello' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'hello' } },
          template: { metadata: { labels: { app: 'hello' } }, spec: { containers: [{ name: 'hello', image: 'hello:1' }] } },
        },
      },
    });
    const ready = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ name: 'hello', namespace: 'default' });
      return d.status?.readyReplicas === 3 ? d : undefined;
    }, 'deployment ready', 120_000);
    expect(ready.status!.readyReplicas).toBe(3);
    const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=hello' });
    expect(pods.items.every((p) => p.status?.phase === 'Running' && p.spec!.nodeName!.startsWith('general-'))).toBe(true);
  });

  it('scales a pool from 2 to 4 nodes', async () => {
    const res = await stack.api('PUT', `${base}/clusters/${name}/nodepools/general`, { body: { count: 4 } });
    expect(res.status).toBe(202);
    // Handed to the entity by signal: the cluster can look idle before the change starts.
    await succeeded(stack, res.body.operationId);
    await idle();
    expect((await poolNodes('general')).map((n) => n.metadata!.name).sort()).toEqual(['general-0', 'general-1', 'general-2', 'general-3']);
  });

  it('applies two concurrent changes on different pools', async () => {
    const [a, b] = await Promise.all([
      stack.api('PUT', `${base}/clusters/${name}/nodepools/gpu`, { body: { count: 2, labels: { accelerator: 'h100' }, taints: [] } }),
      stack.api('PUT', `${base}/clusters/${name}/nodepools/general`, { body: { count: 3, labels: { tier: 'web' } } }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    await Promise.all([succeeded(stack, a.body.operationId), succeeded(stack, b.body.operationId)]);
    const view = await idle();
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 3], ['gpu', 2]]);
    const gpu = await poolNodes('gpu');
    expect(gpu).toHaveLength(2);
    expect(gpu.every((n) => n.metadata!.labels!.accelerator === 'h100' && !(n.spec?.taints ?? []).some((t) => t.key === 'dedicated'))).toBe(true);
    const general = await poolNodes('general');
    expect(general.map((n) => [n.metadata!.name, n.metadata!.labels!.tier])).toEqual([
      ['general-0', 'web'],
      ['general-1', 'web'],
      ['general-2', 'web'],
    ]);
  });

  it('runs every activity idempotently: twice leaves the same state as once', async () => {
    const activities = kwok.activities();
    const env = new MockActivityEnvironment();
    const ref = clusterRef('acme', withDefaults({ name, provider: 'kwok', nodePools: [] }));
    const pool = { name: 'extra', instanceType: 'standard-4', count: 2 };
    await env.run(activities.createControlPlane, ref);
    await env.run(activities.createControlPlane, ref);
    expect(await env.run(activities.createNodePool, ref, pool)).toBe(2);
    expect(await env.run(activities.createNodePool, ref, pool)).toBe(2);
    await env.run(activities.deleteNodePool, ref, 'extra');
    await env.run(activities.deleteNodePool, ref, 'extra');
    expect(await poolNodes('extra')).toEqual([]);
    expect((await poolNodes('general')).length).toBe(3);
  });

  it('follows nodes that join or leave a pool outside Flotilla (an autoscaler’s) in its currentCount, at the next reconcile pass', async () => {
    const currentCount = async () => (await stack.api('GET', `${base}/clusters/${name}`)).body.nodePools.find((p: any) => p.name === 'general').currentCount;
    // A pass signals each cluster before it ends: once it has ended, the entity has the counts.
    const afterReconcile = async (count: number) => {
      const pass = await stack.api('POST', `${base}/reconcile`);
      expect(pass.status).toBe(202);
      await stack.client.workflow.getHandle(pass.body.workflowId).result();
      await eventually(async () => ((await currentCount()) === count ? true : undefined), `general's currentCount ${count}`, 60_000);
    };
    expect(await currentCount()).toBe(3);
    const template = (await poolNodes('general'))[0]!;
    await core.createNode({ body: { metadata: { name: 'general-joined', labels: { ...template.metadata!.labels!, 'kubernetes.io/hostname': 'general-joined' }, annotations: template.metadata!.annotations! } } });
    await afterReconcile(4);
    expect((await stack.api('GET', `${base}/clusters/${name}`)).body.nodePools.find((p: any) => p.name === 'general').desiredCount).toBe(3);
    await core.deleteNode({ name: 'general-joined' });
    await afterReconcile(3);
  });

  it('removes a pool and its nodes', async () => {
    const res = await stack.api('DELETE', `${base}/clusters/${name}/nodepools/gpu`);
    expect(res.status).toBe(202);
    const view = await idle();
    expect(view.nodePools.map((p: any) => p.name)).toEqual(['general']);
    expect(await poolNodes('gpu')).toEqual([]);
  });

  it('deletes the cluster: DELETED, control plane and files gone', async () => {
    const kwokName = Kwokctl.clusterName({ org: 'acme', name });
    expect(await kwok.kwokctl.list()).toContain(kwokName);
    const res = await stack.api('DELETE', `${base}/clusters/${name}`);
    expect(res.status).toBe(202);
    await idle('DELETED');
    expect(await kwok.kwokctl.list()).not.toContain(kwokName);
    expect(existsSync(join(workdir, 'clusters', kwokName))).toBe(false);
    await expect(core.listNode()).rejects.toBeDefined();
    // Deleting what is gone succeeds.
    const env = new MockActivityEnvironment();
    const ref = clusterRef('acme', withDefaults({ name, provider: 'kwok', nodePools: [] }));
    await env.run(kwok.activities().deleteControlPlane, ref);
    await env.run(kwok.activities().deleteNodePool, ref, 'general');
  });
});
