import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { Kwokctl } from '../../src/adapters/providers/kwok/kwokctl.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';
import { targetStatus } from '../../src/domain/deployment.js';
import { FailureType } from '../../src/domain/problems.js';
import { toolPaths } from '../../src/toolchain.js';
import { testHelm } from '../helpers/stack.js';

// The real helm CLI against a real KWOK cluster.
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-helm'));
const helm = testHelm();
const ref = clusterRef('helm', withDefaults({ name: 'target', provider: 'kwok', nodePools: [] }));
const release = { name: 'greeter', namespace: 'apps', chart };
let kubeconfig: string;
let core: CoreV1Api;

const tempKubeconfigs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('flotilla-helm-')).length;

beforeAll(async () => {
  const env = new MockActivityEnvironment();
  const a = kwok.activities();
  await env.run(a.createControlPlane, ref);
  await env.run(a.awaitControlPlane, ref);
  await env.run(a.createNodePool, ref, { name: 'pool', instanceType: 'standard-2', count: 1 });
  kubeconfig = await kwok.kubeconfig(ref);
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  core = config.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});

describe('helm', () => {
  it('installs a chart with values, and reads them back', async () => {
    expect(await helm.status(kubeconfig, release)).toBeUndefined();
    const before = tempKubeconfigs();
    const installed = await helm.upgradeInstall(kubeconfig, { ...release, values: { message: 'hi', replicas: 2 } });
    expect(installed).toMatchObject({ status: 'deployed', chartVersion: '0.1.0', revision: 1, values: { message: 'hi', replicas: 2 } });
    expect(tempKubeconfigs()).toBe(before);
    const config = await core.readNamespacedConfigMap({ name: 'greeter-config', namespace: 'apps' });
    expect(config.data).toEqual({ message: 'hi', replicas: '2' });
    expect(targetStatus(installed, { values: { message: 'hi', replicas: 2 } }).status).toBe('DEPLOYED');
  });

  it('sees drift made out of band as STALE', async () => {
    await helm.upgradeInstall(kubeconfig, { ...release, values: { message: 'changed by hand' } });
    const observed = await helm.status(kubeconfig, release);
    expect(observed!.revision).toBe(2);
    expect(targetStatus(observed, { values: { message: 'hi', replicas: 2 } })).toMatchObject({ status: 'STALE', stale: true });
    expect(targetStatus(observed, { values: { message: 'changed by hand' }, chartVersion: '9.9.9' })).toMatchObject({ status: 'STALE', reason: expect.stringContaining('9.9.9') });
  });

  it('renders without a cluster for dry runs, and reports template errors', async () => {
    // The rendered manifests come back (chart sizing reads them), with the values applied.
    const rendered = await helm.template({ ...release, values: { replicas: 3 } });
    expect(rendered).toMatch(/kind: Deployment[\s\S]*replicas: 3/);
    await expect(helm.template({ ...release, chart: join(chart, 'nope'), values: {} })).rejects.toThrow(/helm/);
  });

  it('uninstalls, twice', async () => {
    await helm.uninstall(kubeconfig, release);
    await helm.uninstall(kubeconfig, release);
    expect(await helm.status(kubeconfig, release)).toBeUndefined();
    expect(targetStatus(undefined, { values: {} }).status).toBe('NOT_INSTALLED');
  });

  it('fails a release the cluster refuses as itself, not as an unreachable cluster', async () => {
    const err = await helm.upgradeInstall(kubeconfig, { ...release, namespace: 'Not_A_Namespace', values: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { type?: string }).type).not.toBe(FailureType.clusterUnreachable);
  });

  it('says a cluster that does not answer is unreachable (a deployment reports it UNKNOWN), and reads again once it does', async () => {
    const name = Kwokctl.clusterName(ref);
    await kwok.kwokctl.stop(name);
    try {
      const unreachable = { type: FailureType.clusterUnreachable, message: expect.stringMatching(/^cluster unreachable: /) };
      // Helm's storage read by the Kubernetes client, and the helm CLI: one verdict for both.
      await expect(helm.status(kubeconfig, release)).rejects.toMatchObject(unreachable);
      await expect(helm.upgradeInstall(kubeconfig, { ...release, values: {} })).rejects.toMatchObject(unreachable);
      await expect(helm.uninstall(kubeconfig, release)).rejects.toMatchObject(unreachable);
    } finally {
      await kwok.kwokctl.start(name);
    }
    expect(await kwok.kubeconfig(ref)).toBe(kubeconfig);
    expect(await helm.status(kubeconfig, release)).toBeUndefined();
  });
});
