import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';

// A provider profile on a real KWOK cluster with the real helm: helm runs our post-renderer, and
// what it wrote is read back from the cluster's own objects. In globex: a profile applies to
// every kwok target of its org, and acme's KWOK suites must not see this one.
const ORG = 'globex';
const base = `/api/v1/orgs/${ORG}`;
const chart = fileURLToPath(new URL('../fixtures/charts/profiled', import.meta.url));
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-profiles'));
const cluster = 'prof-kwok';
let stack: Stack;

const api = (method: string, path: string, body?: unknown) => stack.api(method, `${base}${path}`, { token: TOKENS.globex, ...(body ? { body } : {}) });
async function kube() {
  const config = new KubeConfig();
  config.loadFromString(await kwok.kubeconfig({ org: ORG, name: cluster }));
  return { core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}
const deployment = (ready: (body: any) => boolean, what: string): Promise<any> =>
  eventually(async () => {
    const res = await api('GET', '/clustergroups/prof/deployments/svc');
    const idle = res.status === 200 && res.body.operations.every((op: any) => op.state !== 'QUEUED' && op.state !== 'RUNNING');
    return idle && ready(res.body) ? res.body : undefined;
  }, what, 120_000);
const status = (body: any) => body.targetClusters[0]?.status;
/** A Service's annotations but Helm's own (meta.helm.sh/…). */
const annotationsOf = async (core: CoreV1Api, name: string) =>
  Object.fromEntries(Object.entries((await core.readNamespacedService({ name, namespace: 'apps' })).metadata!.annotations ?? {}).filter(([k]) => !k.startsWith('meta.helm.sh/')));

const internal = {
  'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
  'networking.gke.io/load-balancer-type': 'Internal',
  'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
};
const profile = {
  provider: 'kwok',
  serviceAnnotations: [{ serviceSelector: { type: 'LoadBalancer' }, annotations: internal }],
  storageClasses: { fast: 'local-ssd' },
  // On the clusters Flotilla labels as behind a proxy: those created with network.httpProxy.
  proxy: { clusterSelector: { matchLabels: { 'flotilla.io/http-proxy': 'true' } }, httpProxy: 'http://proxy.internal:3128', noProxy: '10.0.0.0/8,.svc' },
};

beforeAll(async () => {
  stack = await startStack({ providers: { kwok: kwok.activities() }, kubeconfigs: { kwok: (ref) => kwok.kubeconfig(ref) }, fleet: { kwok: (ref) => kwok.kubeconfig(ref) } });
  const res = await api('POST', '/clusters', {
    name: cluster,
    provider: 'kwok',
    network: { httpProxy: { httpProxy: 'http://proxy.internal:3128', noProxy: ['10.0.0.0/8', '.svc'] } },
    nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }],
  });
  expect(res.status).toBe(202);
  await eventually(async () => ((await api('GET', `/clusters/${cluster}`)).body.status === 'RUNNING' ? true : undefined), `${cluster} RUNNING`, 120_000);
});
afterAll(async () => {
  await api('DELETE', '/clustergroups/prof?force=true');
  await api('DELETE', '/profiles/kwok-private');
  await api('DELETE', `/clusters/${cluster}?force=true`);
  await eventually(async () => ((await api('GET', `/clusters/${cluster}`)).body.status === 'DELETED' ? true : undefined), `${cluster} DELETED`, 120_000).catch(() => undefined);
  await stack?.stop();
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});

it('a profile’s Service annotations, storage class and proxy are on the cluster’s objects; a new version is STALE until a sync applies it', async () => {
  expect((await api('POST', '/profiles', { name: 'kwok-private', ...profile })).status).toBe(201);
  expect((await api('POST', '/clustergroups', { name: 'prof', members: [cluster] })).status).toBe(201);
  // A dry run renders through the post-renderer too, and names the profiles each target would get.
  const dry = await api('POST', '/clustergroups/prof/deployments', { releaseName: 'svc', chart, namespace: 'apps', dryRun: true });
  expect([dry.status, dry.body.errors, dry.body.targets[0].profiles]).toEqual([200, [], [{ name: 'kwok-private', version: 1 }]]);
  const { core, apps } = await kube();
  // A target is DEPLOYED once its workloads are ready; the StatefulSet's pod waits for its claim, and
  // KWOK has no volume provisioner: volumes of the mapped class, made by hand, for the claims to bind.
  for (const name of ['prof-ssd-1', 'prof-ssd-2']) {
    await core.createPersistentVolume({ body: { metadata: { name }, spec: { storageClassName: 'local-ssd', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` } } } });
  }
  expect((await api('POST', '/clustergroups/prof/deployments', { releaseName: 'svc', chart, namespace: 'apps' })).status).toBe(202);
  await deployment((b) => status(b) === 'DEPLOYED', 'svc DEPLOYED');

  expect(await annotationsOf(core, 'svc-public')).toEqual(internal);
  // Not a LoadBalancer: only its chart's own annotation.
  expect(await annotationsOf(core, 'svc-metrics')).toEqual({ 'prometheus.io/scrape': 'true' });
  expect((await core.readNamespacedPersistentVolumeClaim({ name: 'svc-data', namespace: 'apps' })).spec!.storageClassName).toBe('local-ssd');
  expect((await core.readNamespacedPersistentVolumeClaim({ name: 'svc-scratch', namespace: 'apps' })).spec!.storageClassName).toBe('standard');
  const env = (await apps.readNamespacedDeployment({ name: 'svc', namespace: 'apps' })).spec!.template.spec!.containers[0]!.env;
  expect(env).toEqual([
    { name: 'MODE', value: 'web' },
    { name: 'HTTP_PROXY', value: 'http://proxy.internal:3128' },
    { name: 'NO_PROXY', value: '10.0.0.0/8,.svc' },
  ]);

  // Version 2: the target is STALE, saying why, until a sync; then the Service carries the new annotation.
  const next = await api('PUT', '/profiles/kwok-private', { ...profile, serviceAnnotations: [{ serviceSelector: { type: 'LoadBalancer' }, annotations: { ...internal, 'example.com/zone': 'a' } }] });
  expect([next.status, next.body.version]).toEqual([200, 2]);
  const stale = await deployment((b) => status(b) === 'STALE', 'svc STALE');
  expect(stale.targetClusters[0].message).toBe('provider profiles changed: applied [kwok-private@v1], now [kwok-private@v2]');
  expect((await api('PUT', '/clustergroups/prof/deployments/svc/sync')).status).toBe(202);
  await deployment((b) => status(b) === 'DEPLOYED', 'svc DEPLOYED again');
  expect(await annotationsOf(core, 'svc-public')).toEqual({ ...internal, 'example.com/zone': 'a' });
});
