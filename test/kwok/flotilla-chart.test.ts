import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api, type V1Deployment } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { run } from '../../src/adapters/exec.js';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';
import { toolPaths } from '../../src/toolchain.js';
import { variablesTheCodeReads } from '../helpers/code-reads.js';
import { eventually } from '../helpers/stack.js';

// Flotilla's own chart (deploy/helm/flotilla): helm lint, every rendered
// object sent to a real kube-apiserver as a server-side dry run with strict
// field validation (the Kubernetes schema itself, instead of kubeconform, whose
// schemas live on the internet), and an install into a KWOK cluster, whose
// pods run without containers: the objects, probes, service accounts and PDBs
// are real, and the Deployments become available.
const chart = fileURLToPath(new URL('../../deploy/helm/flotilla', import.meta.url));
const fullValues = fileURLToPath(new URL('../fixtures/flotilla-chart/full-values.yaml', import.meta.url));
const tools = toolPaths();
const dir = join(process.env.FLOTILLA_TEST_DIR!, 'kwok-chart');
const kwok = new KwokProvider(tools, dir);
const ref = clusterRef('chart', withDefaults({ name: 'host', provider: 'kwok', nodePools: [] }));
const namespace = 'flotilla';
let kubeconfigPath: string;
const config = new KubeConfig();

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
}

const helm = (...args: string[]) => run(tools.helm, args, { timeoutMs: 240_000 });
const render = async (...args: string[]) =>
  parseAllDocuments(await helm('template', 'flotilla', chart, '-n', namespace, ...args))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

const PLURALS: Record<string, string> = {
  ServiceAccount: 'serviceaccounts',
  Service: 'services',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments',
  PodDisruptionBudget: 'poddisruptionbudgets',
};

/** POSTs an object with dryRun=All and fieldValidation=Strict: the API server's answer, status and message. */
async function serverDryRun(object: K8sObject): Promise<{ status: number; message: string }> {
  const plural = PLURALS[object.kind];
  if (!plural) return { status: 0, message: `no plural known for kind ${object.kind}` };
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const url = new URL(`${config.getCurrentCluster()!.server}${base}/namespaces/${namespace}/${plural}?dryRun=All&fieldValidation=Strict`);
  const options: Parameters<typeof request>[1] = { method: 'POST', headers: { 'content-type': 'application/json' } };
  await config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, message: res.statusCode! < 300 ? '' : (JSON.parse(body) as { message: string }).message }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(object));
  });
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const containerOf = (d: K8sObject | V1Deployment) => d.spec!.template.spec.containers[0];

beforeAll(async () => {
  const env = new MockActivityEnvironment();
  const a = kwok.activities();
  await env.run(a.createControlPlane, ref);
  await env.run(a.awaitControlPlane, ref);
  await env.run(a.createNodePool, ref, { name: 'pool', instanceType: 'standard-2', count: 2 });
  const kubeconfig = await kwok.kubeconfig(ref);
  kubeconfigPath = join(dir, 'kubeconfig.yaml');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  config.loadFromString(kubeconfig);
  await config.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});

describe("Flotilla's Helm chart", () => {
  it('passes helm lint --strict, with the defaults and with every option on', async () => {
    for (const args of [['--set', 'existingSecret=keys'], ['-f', fullValues]]) {
      const out = await helm('lint', chart, '--strict', ...args);
      expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('refuses to render without the Secret of tokens and keys, naming the value', async () => {
    await expect(render()).rejects.toThrow(/existingSecret: the name of a Secret holding FLOTILLA_API_TOKENS/);
  });

  it('renders objects the Kubernetes API server accepts under strict field validation', async () => {
    const objects = await render('-f', fullValues);
    const monitors = byKind(objects, 'ServiceMonitor');
    expect(monitors).toHaveLength(1);
    const served = objects.filter((o) => o.kind !== 'ServiceMonitor');
    expect(served.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'Deployment/flotilla-api', 'Deployment/flotilla-worker-aks', 'Deployment/flotilla-worker-core', 'Deployment/flotilla-worker-eks', 'Deployment/flotilla-worker-gke',
        'PersistentVolumeClaim/flotilla-data',
        'PodDisruptionBudget/flotilla-api', 'PodDisruptionBudget/flotilla-worker-aks', 'PodDisruptionBudget/flotilla-worker-core', 'PodDisruptionBudget/flotilla-worker-eks', 'PodDisruptionBudget/flotilla-worker-gke',
        'Service/flotilla-api', 'Service/flotilla-worker-aks', 'Service/flotilla-worker-core', 'Service/flotilla-worker-eks', 'Service/flotilla-worker-gke',
        'ServiceAccount/flotilla-api', 'ServiceAccount/flotilla-worker-aks', 'ServiceAccount/flotilla-worker-core', 'ServiceAccount/flotilla-worker-eks', 'ServiceAccount/flotilla-worker-gke',
      ].sort(),
    );
    const answers = await Promise.all(served.map(async (o) => ({ object: `${o.kind}/${o.metadata.name}`, ...(await serverDryRun(o)) })));
    expect(answers.filter((a) => a.status !== 201)).toEqual([]);
    // The check can fail: a field the schema does not have is refused.
    const deployment = structuredClone(byKind(served, 'Deployment')[0]!);
    containerOf(deployment).readinesProbe = containerOf(deployment).readinessProbe;
    const refused = await serverDryRun(deployment);
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/unknown field "spec.template.spec.containers\[0\].readinesProbe"/);
    // The ServiceMonitor (no Prometheus Operator CRD here) scrapes the ports the Services name.
    const ports = new Set(byKind(served, 'Service').flatMap((s) => s.spec.ports.map((p: { name: string }) => p.name)));
    expect(monitors[0]!.spec.endpoints.map((e: { port: string }) => e.port).filter((p: string) => !ports.has(p))).toEqual([]);
  });

  it('sets only environment variables the code reads', async () => {
    const reads = variablesTheCodeReads();
    const names = byKind(await render('-f', fullValues), 'Deployment').flatMap((d) => containerOf(d).env.map((e: { name: string }) => e.name));
    expect([...new Set(names)].filter((name) => !reads.has(name))).toEqual([]);
  });

  it('installs into a KWOK cluster: Deployments available, probes, service accounts for workload identity, PDBs', async () => {
    const core = config.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'flotilla-keys' }, stringData: { FLOTILLA_API_TOKENS: 'token:default', FLOTILLA_CODEC_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, FLOTILLA_SECRET_KEY: `s1:${Buffer.alloc(32, 2).toString('base64')}` } },
    });
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'temporal-client-tls' }, stringData: { 'ca.crt': 'ca', 'tls.crt': 'cert', 'tls.key': 'key' } } });
    // No storage provisioner in a KWOK cluster: a volume made by hand, which the data claim binds.
    await core.createPersistentVolume({
      body: { metadata: { name: 'flotilla-data' }, spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany'], storageClassName: '', hostPath: { path: join(dir, 'data') } } },
    });
    // The ServiceMonitor needs the Prometheus Operator's CRD, which this cluster has not.
    await helm('install', 'flotilla', chart, '-n', namespace, '-f', fullValues, '--set', 'metrics.serviceMonitor.enabled=false', '--kubeconfig', kubeconfigPath, '--wait', '--timeout', '3m');

    const apps = config.makeApiClient(AppsV1Api);
    const deployments = (await apps.listNamespacedDeployment({ namespace })).items;
    expect(deployments.map((d) => [d.metadata!.name, d.status?.availableReplicas]).sort()).toEqual([
      ['flotilla-api', 2],
      ['flotilla-worker-aks', 1],
      ['flotilla-worker-core', 1],
      ['flotilla-worker-eks', 1],
      ['flotilla-worker-gke', 1],
    ]);
    const pods = (await core.listNamespacedPod({ namespace })).items;
    expect(pods.filter((p) => p.status?.phase === 'Running')).toHaveLength(6);

    for (const d of deployments) {
      const c = containerOf(d);
      expect([c.readinessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path]).toEqual(['/readyz', '/healthz']);
      expect(c.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
      // Longer than the workers' drain, so activities in flight finish before SIGKILL.
      expect(d.spec!.template.spec!.terminationGracePeriodSeconds).toBeGreaterThan(30);
      expect(d.spec!.template.spec!.serviceAccountName).toBe(d.metadata!.name);
      expect((c.env as { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[]).find((e) => e.name === 'FLOTILLA_CODEC_KEYS')?.valueFrom?.secretKeyRef?.name).toBe('flotilla-keys');
    }
    const worker = (role: string) => deployments.find((d) => d.metadata!.name === `flotilla-worker-${role}`)!;
    const env = (d: V1Deployment) => Object.fromEntries(containerOf(d).env!.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env(worker('eks'))).toMatchObject({ FLOTILLA_TASK_QUEUES: 'provider-eks', FLOTILLA_SHUTDOWN_GRACE_TIME: '30s', TEMPORAL_TLS: 'true' });
    expect(env(worker('core')).FLOTILLA_WORKFLOW_BUNDLE).toBe('/app/workflow-bundle.js');
    expect(env(worker('eks')).FLOTILLA_WORKFLOW_BUNDLE).toBeUndefined();
    expect(Object.keys(env(worker('eks'))).filter((n) => n.startsWith('AWS_'))).toEqual([]);
    expect(worker('aks').spec!.template.metadata!.labels!['azure.workload.identity/use']).toBe('true');

    const accounts = Object.fromEntries((await core.listNamespacedServiceAccount({ namespace })).items.map((s) => [s.metadata!.name, s.metadata!.annotations ?? {}]));
    expect(accounts['flotilla-worker-eks']).toMatchObject({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/flotilla-eks' });
    expect(accounts['flotilla-worker-gke']).toMatchObject({ 'iam.gke.io/gcp-service-account': 'flotilla@example-project.iam.gserviceaccount.com' });
    expect(accounts['flotilla-worker-aks']).toMatchObject({ 'azure.workload.identity/client-id': '00000000-0000-0000-0000-000000000000' });

    const pdbs = (await config.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace })).items;
    expect(pdbs.map((p) => p.metadata!.name).sort()).toEqual(['flotilla-api', 'flotilla-worker-aks', 'flotilla-worker-core', 'flotilla-worker-eks', 'flotilla-worker-gke']);
    // Each budget covers its own pods, which the disruption controller counted.
    await eventually(async () => {
      const read = await config.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'flotilla-api', namespace });
      return read.status?.currentHealthy === 2 ? true : undefined;
    }, 'the API PDB counts its two pods');

    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'flotilla-data', namespace });
    expect(claim.status?.phase).toBe('Bound');
  });
});
