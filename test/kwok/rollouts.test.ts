import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, testHelm, type Stack } from '../helpers/stack.js';
import { startKwokFleet, stopKwokFleet } from '../helpers/kwok-fleet.js';

// Rollouts in waves on four real KWOK clusters (expensive: every rollout assertion reuses them),
// the real helm, health read from the clusters' own controllers and scheduler.
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-rollouts'));
const helm = testHelm();
const base = '/api/v1/orgs/acme';
const clusters = ['wave-a', 'wave-b', 'wave-c', 'wave-d'];
const deployments = `${base}/clustergroups/waves/deployments`;
const app = { name: 'app', namespace: 'apps' };
let stack: Stack;

const kubeconfigOf = (name: string) => kwok.kubeconfig({ org: 'acme', name });
const release = async (cluster: string) => helm.status(await kubeconfigOf(cluster), app);
async function message(cluster: string): Promise<string | undefined> {
  const config = new KubeConfig();
  config.loadFromString(await kubeconfigOf(cluster));
  return (await config.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'app-config', namespace: 'apps' })).data?.message;
}
const get = async () => (await stack.api('GET', `${deployments}/app`)).body;
const statuses = (body: any) => Object.fromEntries(body.targetClusters.map((t: any) => [t.clusterName, t.status]));
const lastOp = (body: any) => body.operations.at(-1);
const until = (ready: (body: any) => boolean, what: string) =>
  eventually(async () => {
    const body = await get();
    return body.operations && ready(body) ? body : undefined;
  }, what, 180_000);
const action = (what: string) => stack.api('POST', `${deployments}/app/rollout/${what}`);

beforeAll(async () => {
  stack = await startKwokFleet(kwok, base, clusters);
  expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'waves', members: clusters } })).status).toBe(201);
});
afterAll(async () => {
  await stack?.api('DELETE', `${base}/clustergroups/waves?force=true`);
  await stopKwokFleet(stack, kwok, base, clusters);
});

describe('rollouts in waves on KWOK clusters', () => {
  it('waits for approval after a healthy wave, and an abort leaves the later waves untouched', async () => {
    const res = await stack.api('POST', deployments, {
      body: { releaseName: 'app', chart, namespace: 'apps', values: { message: 'v1' }, rollout: { waves: [{ clusters: ['wave-a'] }, { clusters: ['wave-b'] }, { clusters: ['wave-c', 'wave-d'] }], approval: 'manual' } },
    });
    expect(res.status).toBe(202);
    let body = await until((b) => lastOp(b).rollout?.awaitingApproval, 'approval after wave 1');
    expect(lastOp(body).rollout.waves.map((w: any) => w.state)).toEqual(['HEALTHY', 'PENDING', 'PENDING']);
    expect(statuses(body)).toMatchObject({ 'wave-a': 'DEPLOYED', 'wave-b': 'NOT_INSTALLED' });
    expect((await action('approve')).status).toBe(200);
    body = await until((b) => lastOp(b).rollout.current === 2 && lastOp(b).rollout.awaitingApproval, 'approval after wave 2');
    expect(statuses(body)).toMatchObject({ 'wave-a': 'DEPLOYED', 'wave-b': 'DEPLOYED', 'wave-c': 'NOT_INSTALLED', 'wave-d': 'NOT_INSTALLED' });
    expect((await action('abort')).status).toBe(200);
    body = await until((b) => lastOp(b).state === 'FAILED', 'aborted');
    expect(lastOp(body).error).toBe('aborted at wave 3 of 3; later waves not applied');
    expect(await release('wave-c')).toBeUndefined();
    expect(await release('wave-d')).toBeUndefined();
  });

  it('rolls back a wave whose cluster cannot become ready: wave 1 upgraded and healthy, wave 2 rolled back (a first install uninstalled), wave 3 untouched, FAILED naming the cluster', async () => {
    // wave-c's override asks for a node label no node has: its pod is never scheduled.
    const edit = await stack.api('PUT', `${deployments}/app`, {
      body: {
        chart,
        namespace: 'apps',
        values: { message: 'v2' },
        valueOverrides: { 'wave-c': { nodeSelector: { disk: 'nvme' } } },
        rollout: { waves: [{ clusters: ['wave-a'] }, { clusters: ['wave-b', 'wave-c'] }, { clusters: ['wave-d'] }], healthTimeoutSeconds: 20, onFailure: 'rollback' },
      },
    });
    expect(edit.status).toBe(202);
    // While its gate waits, wave-c reads PROGRESSING: installed, not ready.
    await until((b) => statuses(b)['wave-c'] === 'PROGRESSING', 'wave-c PROGRESSING');
    const body = await until((b) => lastOp(b).id === edit.body.id && lastOp(b).state === 'FAILED', 'the rollout FAILED');
    const op = lastOp(body);
    expect(op.rollout.waves.map((w: any) => w.state)).toEqual(['HEALTHY', 'ROLLED_BACK', 'SKIPPED']);
    expect(op.error).toMatch(/^wave 2 of 3 failed and was rolled back; not healthy: wave-c: not healthy by .*: Deployment app: [^;]*; pod app-[a-z0-9-]+ FailedScheduling: .*node\(s\) didn't match Pod's node affinity\/selector/);
    expect(op.rollout.waves[1].targets).toEqual([
      { clusterName: 'wave-b', health: 'ROLLED_BACK' },
      { clusterName: 'wave-c', health: 'UNINSTALLED', reason: expect.stringContaining('FailedScheduling') },
    ]);
    // Wave 1: upgraded, healthy.
    expect(await release('wave-a')).toMatchObject({ revision: 2, values: { message: 'v2' } });
    expect(await message('wave-a')).toBe('v2');
    // Wave 2: wave-b back on its previous values (a rollback is a revision of its own); wave-c, a first install, uninstalled.
    expect(await release('wave-b')).toMatchObject({ status: 'deployed', revision: 3, values: { message: 'v1' } });
    expect(await message('wave-b')).toBe('v1');
    expect(await release('wave-c')).toBeUndefined();
    // Wave 3: never touched.
    expect(await release('wave-d')).toBeUndefined();
    expect(statuses(body)).toEqual({ 'wave-a': 'DEPLOYED', 'wave-b': 'STALE', 'wave-c': 'NOT_INSTALLED', 'wave-d': 'NOT_INSTALLED' });
  });

  it('with onFailure halt, the unready cluster stays installed and reads DEGRADED with the scheduler\'s reason', async () => {
    const edit = await stack.api('PUT', `${deployments}/app`, {
      body: { rollout: { waves: [{ clusters: ['wave-c'] }], healthTimeoutSeconds: 10, onFailure: 'halt' }, chart, namespace: 'apps', valueOverrides: {}, reuseValues: true },
    });
    expect(edit.status).toBe(202);
    const body = await until((b) => lastOp(b).id === edit.body.id && lastOp(b).state === 'FAILED', 'halted');
    expect(lastOp(body).rollout.waves.map((w: any) => w.state)).toEqual(['FAILED', 'SKIPPED']);
    const c = body.targetClusters.find((t: any) => t.clusterName === 'wave-c');
    expect(c).toMatchObject({ status: 'DEGRADED', message: expect.stringMatching(/FailedScheduling: .*didn't match Pod's node affinity\/selector/) });
    expect(await release('wave-c')).toMatchObject({ status: 'deployed', revision: 1 });
    expect(await release('wave-d')).toBeUndefined();
    expect((await stack.api('DELETE', `${deployments}/app`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${deployments}/app`)).status === 404 ? true : undefined), 'app deleted', 120_000);
    for (const cluster of clusters) expect(await release(cluster)).toBeUndefined();
  });
});
