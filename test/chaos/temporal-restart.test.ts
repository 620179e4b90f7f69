import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, startStack, testHelm, type Stack } from '../helpers/stack.js';
import { expectCleanHistories } from '../zz-history/scan.js';
import { report } from './entities.js';
import { TestTemporal } from './temporal-server.js';

// Temporal itself goes away in the middle of the work (SIGKILL, then SIGTERM)
// and comes back on the same SQLite file and port. The API and the workers
// (in this process) keep their connections, which retry until it answers:
// everything in flight resumes and completes, nothing twice.

const base = '/api/v1/orgs/acme';
const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'chaos-temporal-'));
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const cloud = new SimCloud({ latencyMs: 1_000 });
const kwok = new KwokProvider(toolPaths(), join(dir, 'kwok'));
const helm = testHelm();
const fleet = ['east', 'west'];
let temporal: TestTemporal;
let stack: Stack;

beforeAll(async () => {
  temporal = await TestTemporal.start(dir);
  const kubeconfigs = { kwok: (ref: { org: string; name: string }) => kwok.kubeconfig(ref) };
  stack = await startStack({ address: temporal.address, providers: { sim: cloud.activities(), kwok: kwok.activities() }, kubeconfigs: kubeconfigs, fleet: kubeconfigs });
});
afterAll(async () => {
  await stack?.stop();
  await temporal?.stop('SIGKILL');
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});

async function status(name: string): Promise<string | undefined> {
  return (await stack.api('GET', `${base}/clusters/${name}`)).body.status;
}

/** Takes Temporal down with `signal` and brings it back; returns what the API answered meanwhile and how long it was down. */
async function bounce(signal: NodeJS.Signals): Promise<{ apiWhileDown: number; secondsDown: number }> {
  const stopped = Date.now();
  await temporal.stop(signal);
  const apiWhileDown = (await stack.api('GET', `${base}/clusters`)).status;
  await temporal.restart();
  return { apiWhileDown, secondsDown: (Date.now() - stopped) / 1000 };
}

it('resumes provisions in flight after Temporal is killed and restarted on its SQLite file', async () => {
  const names = ['t1', 't2', 't3', 't4', 't5'];
  for (const name of names) {
    const res = await stack.api('POST', `${base}/clusters`, {
      body: { name, provider: 'sim', nodePools: ['a', 'b', 'c'].map((pool) => ({ name: pool, instanceType: 'standard-2', count: 1 })) },
    });
    expect(res.status).toBe(202);
  }
  // In the middle: the control planes asked for, no node pool yet (each call takes a second).
  await eventually(async () => ((cloud.calls.get('createControlPlane') ?? 0) >= names.length ? true : undefined), 'control planes under way');
  const callsBefore = [...cloud.calls.values()].reduce((a, b) => a + b, 0);
  const poolsAskedBefore = cloud.calls.get('createNodePool') ?? 0;
  const { apiWhileDown, secondsDown } = await bounce('SIGKILL');
  expect(apiWhileDown).toBe(503);
  // Killed mid-provision: most node pools were still to be made.
  expect(poolsAskedBefore).toBeLessThan(names.length * 3);

  for (const name of names) await eventually(async () => ((await status(name)) === 'RUNNING' ? true : undefined), `${name} RUNNING`, 300_000);
  for (const name of names) {
    expect([name, cloud.resources({ org: 'acme', name })]).toEqual([name, { networks: 1, controlPlanes: 1, nodePools: 3 }]);
    const op = (await stack.api('GET', `${base}/operations/cluster.${name}.1`)).body;
    expect([name, op.state]).toEqual([name, 'SUCCEEDED']);
  }
  expect(cloud.creates('duplicate')).toEqual([]);
  report('Temporal SIGKILLed and restarted during provisions (sim, 1 s per call)', {
    clusters: names.length,
    'cloud calls before the kill (node pools asked for)': `${callsBefore} (${poolsAskedBefore})`,
    'seconds Temporal was down (stop to answering again)': secondsDown.toFixed(0),
    'API status while Temporal was down': apiWhileDown,
    'creates answered with what their first attempt made (same token)': cloud.creates('replayed').length,
    'duplicate creates': cloud.creates('duplicate').length,
  });
}, 600_000);

it('resumes a multi-cluster deployment after Temporal is stopped and restarted', async () => {
  for (const name of fleet) {
    expect((await stack.api('POST', `${base}/clusters`, { body: { name, provider: 'kwok', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] } })).status).toBe(202);
  }
  for (const name of fleet) await eventually(async () => ((await status(name)) === 'RUNNING' ? true : undefined), `${name} RUNNING`, 300_000);
  expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'fleet', members: fleet } })).status).toBe(201);

  const deploy = await stack.api('POST', `${base}/clustergroups/fleet/deployments`, { body: { releaseName: 'web', chart, namespace: 'apps', values: { message: 'hello' } } });
  expect(deploy.status).toBe(202);
  // In the middle: the deployment is under way on the helm queue.
  await eventually(async () => {
    const body = (await stack.api('GET', `${base}/clustergroups/fleet/deployments/web`)).body;
    return body.operations?.some((op: { state: string }) => op.state === 'RUNNING') ? true : undefined;
  }, 'deployment running');
  const { apiWhileDown, secondsDown } = await bounce('SIGTERM');
  expect(apiWhileDown).toBe(503);

  const body = await eventually(async () => {
    const b = (await stack.api('GET', `${base}/clustergroups/fleet/deployments/web`)).body;
    const deployed = b.targetClusters?.length === fleet.length && b.targetClusters.every((t: { status: string }) => t.status === 'DEPLOYED');
    return deployed && b.operations.every((op: { state: string }) => op.state !== 'RUNNING' && op.state !== 'QUEUED') ? b : undefined;
  }, 'DEPLOYED on every member', 300_000);
  // One apply, done once; checks a reconcile may have queued meanwhile succeed too.
  expect(body.operations.filter((op: { type: string }) => op.type === 'apply').map((op: { state: string }) => op.state)).toEqual(['SUCCEEDED']);
  expect(body.operations.filter((op: { state: string }) => op.state !== 'SUCCEEDED')).toEqual([]);
  const revisions: number[] = [];
  for (const name of fleet) {
    const release = await helm.status(await kwok.kubeconfig({ org: 'acme', name }), { name: 'web', namespace: 'apps' });
    expect(release?.values).toEqual({ message: 'hello' });
    revisions.push(release!.revision);
  }
  report('Temporal stopped (SIGTERM) and restarted during a multi-cluster Helm deployment (KWOK)', {
    'member clusters': fleet.length,
    'seconds Temporal was down (stop to answering again)': secondsDown.toFixed(0),
    'API status while Temporal was down': apiWhileDown,
    'helm release revisions after the restart': revisions.join(', '),
  });
  // This Temporal is the test's own: the suite's history scan never sees it.
  await expectCleanHistories(temporal.address);
}, 600_000);
