import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api, VersionApi } from '@kubernetes/client-node';
import { join } from 'node:path';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';

// The test: a real KWOK control plane made at the previous minor, upgraded one minor while a
// two-replica Deployment with a PodDisruptionBudget (maxUnavailable 1) keeps running.
const tools = toolPaths();
const [current, previous] = tools.kubernetesReleases.map((r) => r.version) as [string, string];
const kwok = new KwokProvider(tools, join(process.env.FLOTILLA_TEST_DIR!, 'kwok-upgrade'));
const base = '/api/v1/orgs/acme';
const name = 'upgraded';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { kwok: kwok.activities() }, kubeconfigs: { kwok: (ref) => kwok.kubeconfig(ref) } });
});
afterAll(async () => {
  await stack?.stop();
  for (const cluster of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(cluster).catch(() => undefined);
});

const idle = () =>
  eventually(
    async () => {
      const view = (await stack.api('GET', `${base}/clusters/${name}`)).body;
      return ['RUNNING', 'WARNING', 'ERROR'].includes(view.status) && !view.operation && view.queuedOperations === 0 ? view : undefined;
    },
    'cluster idle',
    900_000,
  );

describe('KWOK upgrade: the control plane restarted at the next minor on the same etcd, the nodes replaced with drains', () => {
  it(`upgrades ${previous} → ${current} while a Deployment guarded by a PodDisruptionBudget keeps a replica available`, async () => {
    const created = await stack.api('POST', `${base}/clusters`, {
      body: { name, provider: 'kwok', kubernetesVersion: previous.slice(1), nodePools: [{ name: 'general', instanceType: 'standard-2', count: 2 }] },
    });
    expect(created.status).toBe(202);
    expect((await idle()).status).toBe('RUNNING');
    const config = new KubeConfig();
    config.loadFromString((await stack.api('GET', `${base}/clusters/${name}/kubeconfig`)).text);
    const [core, apps, policy, version] = [config.makeApiClient(CoreV1Api), config.makeApiClient(AppsV1Api), config.makeApiClient(PolicyV1Api), config.makeApiClient(VersionApi)];
    const kubelets = async () => (await core.listNode()).items.map((n) => n.status?.nodeInfo?.kubeletVersion).sort();
    expect((await version.getCode()).gitVersion).toBe(previous);
    expect(await kubelets()).toEqual([previous, previous]);

    const labels = { app: 'web' };
    const deployment = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'fake/web:1' }] } },
        },
      },
    });
    await policy.createNamespacedPodDisruptionBudget({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } } });
    const available = async () => (await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })).status?.availableReplicas ?? 0;
    await eventually(async () => ((await available()) === 2 ? true : undefined), 'two replicas available', 180_000);

    // Watched while it upgrades: the budget must keep one replica available throughout.
    let fewest = 2;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        await available().then((n) => (fewest = Math.min(fewest, n)), () => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const accepted = await stack.api('PATCH', `${base}/clusters/${name}`, { body: { kubernetesVersion: current.slice(1) } });
    expect(accepted.status).toBe(202);
    const view = await idle();
    watching = false;
    await watch;
    const op = (await stack.api('GET', `${base}/operations/${accepted.body.operationId}`)).body;
    expect([view.status, op.state, op.error]).toEqual(['RUNNING', 'SUCCEEDED', undefined]);
    expect(op.steps.map((s: any) => s.name)).toEqual([`upgrade control plane to ${current.slice(1)}`, `upgrade node pool general to ${current.slice(1)} (surge, drain, replace)`]);
    expect(view.kubernetesVersion).toBe(current.slice(1));
    expect(view.nodePools.map((p: any) => [p.kubernetesVersion, p.currentCount])).toEqual([[current.slice(1), 2]]);

    // The API server and every node at the new version; the same etcd: the Deployment is the one made before.
    expect((await version.getCode()).gitVersion).toBe(current);
    expect(await kubelets()).toEqual([current, current]);
    const after = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(after.metadata?.uid).toBe(deployment.metadata?.uid);
    await eventually(async () => ((await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })).status?.readyReplicas === 2 ? true : undefined), 'two replicas ready', 180_000);
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    const nodes = new Set((await core.listNode()).items.map((n) => n.metadata!.name!));
    expect(pods.every((p) => nodes.has(p.spec!.nodeName!))).toBe(true);
    expect(fewest).toBeGreaterThanOrEqual(1);
  }, 900_000); // a create and an upgrade of a real control plane and its nodes: minutes on a busy machine, as `idle` allows
});
