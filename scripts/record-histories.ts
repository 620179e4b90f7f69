// Records histories of every workflow type and path, for the replay test
// (test/replay): `npx tsx scripts/record-histories.ts`. Run it when a
// workflow changes on purpose, with the change behind `patched()` where old
// runs may still be live; commit the new histories next to the old ones, which
// stay (runs recorded before a change are what a release must still replay).
//
// Recorded as production runs: payloads encrypted (with the replay test's key,
// test/replay/codec-keys.ts), traced (OTLP to a collector on loopback that
// drops the spans: trace headers, workflow and activity interceptors on), every
// patch taken, helm paths on real KWOK clusters. Its dev server suggests
// continue-as-new early, so the entities' continue-as-new paths are short.
//
// FLOTILLA_RECORD_OUT=<dir> writes the histories there instead (a trial run
// that leaves test/replay/histories as it is). FLOTILLA_RECORD_PATHS=<list>
// records only those of `cluster`, `upgrade`, `fleet`, `sizing` and `versions` (default: all), e.g. for
// a new workflow type's first histories without three KWOK clusters.
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../src/adapters/providers/kwok/index.js';
import { Kwokctl } from '../src/adapters/providers/kwok/kwokctl.js';
import { SimCloud } from '../src/adapters/providers/sim/index.js';
import type { ClusterState } from '../src/domain/cluster-state.js';
import { withDefaults } from '../src/domain/cluster.js';
import { clusterWorkflowId, RECONCILE_SCHEDULE_ID } from '../src/domain/ids.js';
import { startTracing } from '../src/observability/tracing.js';
import { parseCodecKeys } from '../src/temporal/codec.js';
import { clusterEntity, startEntity, withStart } from '../src/temporal/entity-starts.js';
import { ensureReconcileSchedule } from '../src/temporal/reconcile-schedule.js';
import { toolPaths } from '../src/toolchain.js';
import {
  addNodePoolUpdate,
  clusterStateQuery,
  createClusterUpdate,
  deleteClusterUpdate,
  removeNodePoolUpdate,
  updateNodePoolSignal,
  updateNodePoolUpdate,
  upgradeClusterUpdate,
} from '../src/workflows/messages.js';
import { SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes.js';
import { serveChartRepository } from '../test/helpers/chart-repository.js';
import { eventually, startStack, testHelm, type ApiResponse } from '../test/helpers/stack.js';
import { REPLAY_CODEC_KEYS } from '../test/replay/codec-keys.js';
import { HistoryChecker, scanTemporal } from '../test/zz-history/scan.js';

const out = process.env.FLOTILLA_RECORD_OUT || fileURLToPath(new URL('../test/replay/histories/', import.meta.url));
const ORG = 'replay';
/** Events after which the server suggests continue-as-new (its default is 4 Ki). */
const SUGGEST_CONTINUE_AS_NEW = 120;

const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: { type: 'existing-path', path: toolPaths().temporal },
    searchAttributes: SEARCH_ATTRIBUTES,
    ip: '127.0.0.1',
    extraArgs: ['--log-level', 'error', '--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW}`],
  },
});
process.env.TEMPORAL_ADDRESS = env.address;
process.env.FLOTILLA_CODEC_KEYS = REPLAY_CODEC_KEYS;
process.env.FLOTILLA_TEST_DIR ??= mkdtempSync(join(tmpdir(), 'flotilla-record-'));
const collector = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const tracing = startTracing('flotilla-record', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` })!;
const sim = new SimCloud({ latencyMs: 5 });
const kwok = new KwokProvider(toolPaths(), mkdtempSync(join(tmpdir(), 'flotilla-record-kwok-')));
const stack = await startStack({ providers: { sim: sim.activities(), kwok: kwok.activities() }, fleet: { kwok: (ref) => kwok.kubeconfig(ref) }, tracing });
const client = stack.client;

const PATHS = { cluster: clusterPaths, upgrade: upgradePaths, fleet: fleetPaths, sizing: sizingPaths, versions: versionsPaths };
const chosen = (process.env.FLOTILLA_RECORD_PATHS || Object.keys(PATHS).join(',')).split(',') as (keyof typeof PATHS)[];

try {
  for (const name of chosen) {
    if (!PATHS[name]) throw new Error(`FLOTILLA_RECORD_PATHS: no paths '${name}'; ${Object.keys(PATHS).join(', ')}`);
    await PATHS[name]();
  }
  // Nothing secret goes into the repository: the histories' clear and decrypted payloads, scanned as the test suite's are.
  const scan = await scanTemporal(env.address, new HistoryChecker(parseCodecKeys(REPLAY_CODEC_KEYS)));
  if (scan.findings.length) throw new Error(`the recorded histories hold secrets: ${JSON.stringify(scan.findings)}`);
  await save();
} finally {
  await stack.stop();
  await tracing.shutdown();
  collector.close();
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
  await env.teardown();
}

/** The cluster entity on the sim cloud, driven through the client. */
async function clusterPaths(): Promise<void> {
  const spec = (name: string) =>
    withDefaults({ name, provider: 'sim', nodePools: [
      { name: 'web', instanceType: 'standard-2', count: 2, minCount: 1, maxCount: 6 },
      { name: 'batch', instanceType: 'standard-4', count: 1, taints: [{ key: 'batch', effect: 'NoSchedule' }] },
    ] });
  const start = (name: string, historyLimit?: number) =>
    startEntity(client, clusterEntity({ org: ORG, spec: spec(name), requestId: `create-${name}`, ...(historyLimit ? { historyLimit } : {}) }));
  // The latest run: continue-as-new changes the run ID.
  const latest = (handle: WorkflowHandle) => client.workflow.getHandle(handle.workflowId);
  const until = (handle: WorkflowHandle, ready: (s: ClusterState) => boolean) =>
    eventually(async () => (ready(await latest(handle).query(clusterStateQuery)) ? true : undefined), `${handle.workflowId} state`, 120_000);
  const idle = (s: ClusterState) => s.operations.every((op) => !['QUEUED', 'RUNNING'].includes(op.state));

  // A whole life: provision, add, scale, remove, delete.
  const life = await start('lifecycle');
  await life.executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'add', pool: { name: 'gpu', instanceType: 'gpu-8', count: 1, spot: true } }] });
  await life.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'scale', pool: 'web', changes: { count: 4 } }] });
  await life.executeUpdate(removeNodePoolUpdate, { args: [{ requestId: 'remove', pool: 'batch' }] });
  await until(life, (s) => s.status === 'RUNNING' && idle(s));
  await life.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
  await life.result();

  // A failed create, then a forced delete.
  sim.inject('createNodePool', { kind: 'reject', message: 'Quota exceeded (simulated)' });
  const failed = await start('failed');
  await until(failed, (s) => s.status === 'ERROR');
  sim.clear();
  await failed.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }] });
  await failed.result();

  // A stuck create with a change queued behind it, both cancelled by a forced delete.
  sim.inject('awaitControlPlane', { kind: 'hang' });
  const stuck = await start('stuck');
  await until(stuck, (s) => s.operations[0]!.state === 'RUNNING');
  await stuck.executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'queued', pool: { name: 'late', instanceType: 'standard-2', count: 1 } }] });
  await stuck.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }] });
  await stuck.result();
  sim.clear();

  // A failed pool change (WARNING), changes queued together, a retried request, a second delete joining the first.
  const busy = await start('busy');
  await until(busy, (s) => s.status === 'RUNNING' && idle(s));
  sim.inject('createNodePool', { kind: 'reject', message: 'Invalid instance type (simulated)', pool: 'doomed' });
  await busy.executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'doomed', pool: { name: 'doomed', instanceType: 'standard-2', count: 1 } }] });
  await until(busy, (s) => s.status === 'WARNING' && idle(s));
  sim.clear();
  await busy.executeUpdate(updateNodePoolUpdate, { args: [{ requestId: 'scale', pool: 'web', changes: { count: 3 } }] });
  await busy.executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'extra', pool: { name: 'extra', instanceType: 'standard-2', count: 1 } }] });
  await busy.executeUpdate(addNodePoolUpdate, { args: [{ requestId: 'extra', pool: { name: 'extra', instanceType: 'standard-2', count: 1 } }] });
  await busy.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
  await busy.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete-again' }] });
  await busy.result();

  // Continue-as-new past the entity's own history limit.
  const long = await start('long', 40);
  await until(long, (s) => s.status === 'RUNNING');
  for (let count = 1; count <= 4; count++) {
    await latest(long).executeUpdate(updateNodePoolUpdate, { args: [{ requestId: `scale-${count}`, pool: 'web', changes: { count } }] });
    await until(long, idle);
  }
  await latest(long).executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
  await latest(long).result();

  // Changes handed over by signal, as the API sends PUT /nodepools/{pool}: one applied (its retry
  // ignored), one refused and recorded FAILED, one behind a queued delete refused; a forced delete ends it.
  const signalled = await start('signalled');
  await until(signalled, (s) => s.status === 'RUNNING' && idle(s));
  await signalled.signal(updateNodePoolSignal, { requestId: 'scale', pool: 'web', changes: { count: 3 } });
  await signalled.signal(updateNodePoolSignal, { requestId: 'scale', pool: 'web', changes: { count: 3 } });
  await signalled.signal(updateNodePoolSignal, { requestId: 'missing', pool: 'nope', changes: { count: 1 } });
  await until(signalled, (s) => idle(s) && s.operations.length === 3);
  sim.inject('updateNodePool', { kind: 'hang' });
  await signalled.signal(updateNodePoolSignal, { requestId: 'stuck', pool: 'web', changes: { count: 2 } });
  await signalled.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
  await signalled.signal(updateNodePoolSignal, { requestId: 'late', pool: 'web', changes: { count: 1 } });
  await until(signalled, (s) => s.operations.some((op) => op.requestId === 'late'));
  await signalled.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }] });
  await signalled.result();
  sim.clear();

  // Created as the API creates one (update-with-start); the same request again is answered by the live entity, another one refused.
  await client.workflow.executeUpdateWithStart(createClusterUpdate, {
    args: [{ requestId: 'create-created' }],
    startWorkflowOperation: withStart(clusterEntity({ org: ORG, spec: spec('created'), requestId: 'create-created' })),
  });
  const created = client.workflow.getHandle(clusterWorkflowId(ORG, 'created'));
  await until(created, (s) => s.status === 'RUNNING' && idle(s));
  await created.executeUpdate(createClusterUpdate, { args: [{ requestId: 'create-created' }] });
  if (await created.executeUpdate(createClusterUpdate, { args: [{ requestId: 'another' }] }).then(() => true, () => false)) throw new Error('a second create of a live cluster was not refused');
  await created.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
  await created.result();
}

/** Upgrades on the sim cloud: one whose second pool fails (WARNING, versions as far as they got), then the same version again finishing it. */
async function upgradePaths(): Promise<void> {
  const spec = withDefaults({ name: 'upgraded', provider: 'sim', kubernetesVersion: '1.35', nodePools: [
    { name: 'web', instanceType: 'standard-2', count: 2 },
    { name: 'batch', instanceType: 'standard-4', count: 1 },
  ] });
  const handle = await startEntity(client, clusterEntity({ org: ORG, spec, requestId: 'create-upgraded' }));
  const until = (ready: (s: ClusterState) => boolean) =>
    eventually(async () => (ready(await handle.query(clusterStateQuery)) ? true : undefined), 'upgraded state', 120_000);
  const idle = (s: ClusterState) => s.operations.every((op) => !['QUEUED', 'RUNNING'].includes(op.state));
  await until((s) => s.status === 'RUNNING' && idle(s));
  sim.inject('upgradeNodePool', { kind: 'reject', message: 'PodEvictionFailure (simulated)', pool: 'batch' });
  await handle.executeUpdate(upgradeClusterUpdate, { args: [{ requestId: 'upgrade', kubernetesVersion: '1.36' }] });
  await until((s) => s.status === 'WARNING' && idle(s));
  sim.clear();
  await handle.executeUpdate(upgradeClusterUpdate, { args: [{ requestId: 'upgrade-again', kubernetesVersion: '1.36' }] });
  await until((s) => s.status === 'RUNNING' && idle(s) && !s.nodePoolVersions);
  await handle.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
  await handle.result();
}

/** Groups, deployments, reconcile passes and Helm repositories on three real KWOK clusters, through the API. */
async function fleetPaths(): Promise<void> {
  const api = async (method: string, path: string, body?: unknown, expected?: number, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await stack.api(method, `/api/v1/orgs/acme${path}`, { headers, ...(body === undefined ? {} : { body }) });
    if (expected !== undefined && res.status !== expected) throw new Error(`${method} ${path}: ${res.status}, not ${expected}: ${res.text}`);
    return res;
  };
  const gone = (path: string) => eventually(async () => ((await api('GET', path)).status === 404 ? true : undefined), `${path} gone`, 180_000);
  const clusterStatus = (name: string, status: string) =>
    eventually(async () => ((await api('GET', `/clusters/${name}`)).body.status === status ? true : undefined), `${name} ${status}`, 180_000);
  /** Reconcile passes, each run to its end, until a cluster's status is `status` (a pass may come before its API server answers again). */
  const reconcileUntil = (name: string, status: string) =>
    eventually(async () => {
      await client.workflow.getHandle((await api('POST', '/reconcile', undefined, 202)).body.workflowId).result();
      return (await api('GET', `/clusters/${name}`)).body.status === status ? true : undefined;
    }, `${name} ${status} after a reconcile`, 180_000);
  // GET answers each target's status read live from its cluster.
  const statuses = (body: any): Record<string, string> => Object.fromEntries(body.targetClusters.map((t: any) => [t.clusterName, t.status]));
  const deployment = (release: string, ready: (body: any) => boolean, what: string): Promise<any> =>
    eventually(async () => {
      const res = await api('GET', `/clustergroups/fleet/deployments/${release}`);
      const idle = res.status === 200 && res.body.operations.every((op: any) => op.state !== 'QUEUED' && op.state !== 'RUNNING');
      return idle && ready(res.body) ? res.body : undefined;
    }, what, 180_000);
  /** Waits for the operation an edit, sync or delete answered with. */
  const finished = async (release: string, accepted: ApiResponse) =>
    deployment(release, (b) => b.operations.some((op: any) => op.id === accepted.body.id), `operation ${accepted.body.id}`);
  const deployedOn = (...clusters: string[]) => (body: any) => {
    const s = statuses(body);
    return Object.keys(s).sort().join() === [...clusters].sort().join() && Object.values(s).every((v) => v === 'DEPLOYED');
  };
  /** Pokes a workflow until it has continued as new. */
  const untilContinuedAsNew = async (workflowId: string, poke: () => Promise<unknown>) => {
    const runs = async () => {
      let n = 0;
      for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
      return n;
    };
    for (let i = 0; (await runs()) < 2; i++) {
      if (i === 60) throw new Error(`${workflowId} did not continue as new`);
      await poke();
    }
  };

  const clusters = ['east', 'west', 'north'];
  for (const name of clusters) await api('POST', '/clusters', { name, provider: 'kwok', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] }, 202);
  for (const name of clusters) await clusterStatus(name, 'RUNNING');

  // A chart repository: the fixture chart packaged and indexed by helm, served on loopback.
  const chart = fileURLToPath(new URL('../test/fixtures/charts/hello', import.meta.url));
  const repository = await serveChartRepository([chart]);
  try {
    const repoUrl = repository.url;
    await api('POST', '/helm-repositories', { name: 'local', url: repoUrl }, 201);

    // Deploy on two members; a third joins; the same members are set again (nothing to apply).
    await api('POST', '/clustergroups', { name: 'fleet', members: ['east', 'west'] }, 201);
    // A group whose create claims a cluster of another group: refused, it ends at once.
    await api('POST', '/clustergroups', { name: 'rival', members: ['north', 'east'] }, 409);
    const web = {
      releaseName: 'web', chart, namespace: 'apps', values: { message: 'hello', host: '${cluster.name}.${cluster.provider}' },
      valueOverridesBySelector: [{ selector: { matchLabels: { 'flotilla.io/name': 'north' } }, values: { message: 'hello north' } }],
      valueOverrides: { west: { message: 'hello west' } }, autoSync: true,
    };
    // Created by update-with-start; the same request again is answered by the live deployment, another one refused.
    const createWeb = { 'idempotency-key': 'create-web' };
    await api('POST', '/clustergroups/fleet/deployments', web, 202, createWeb);
    await deployment('web', deployedOn('east', 'west'), 'web on east and west');
    await api('POST', '/clustergroups/fleet/deployments', web, 202, createWeb);
    await api('POST', '/clustergroups/fleet/deployments', web, 409);
    await api('PUT', '/clustergroups/fleet', { members: clusters }, 200);
    await deployment('web', deployedOn(...clusters), 'web on north too');
    await api('PUT', '/clustergroups/fleet', { members: clusters }, 200);

    // A provider profile (post-rendered by the real helm): its targets STALE at each new version or its delete, repaired by a reconcile (autoSync).
    const profile = { provider: 'kwok', serviceAnnotations: [{ annotations: { 'example.com/internal': 'true' } }] };
    const profileApplied = async () => {
      await api('POST', '/reconcile', undefined, 202);
      await deployment('web', deployedOn(...clusters), 'profiles applied');
    };
    await api('POST', '/profiles', { name: 'kwok-internal', ...profile }, 201);
    await profileApplied();
    await api('PUT', '/profiles/kwok-internal', { ...profile, storageClasses: { fast: 'standard' } }, 200);
    await api('DELETE', '/profiles/kwok-internal', undefined, 200);
    await profileApplied();

    // Drift made by hand, repaired by a reconcile (the drifted target alone); an edit; a sync.
    await testHelm().upgradeInstall(await kwok.kubeconfig({ org: 'acme', name: 'west' }), { name: 'web', namespace: 'apps', chart, values: { message: 'changed by hand' } });
    await api('POST', '/reconcile', undefined, 202);
    await deployment('web', (b) => deployedOn(...clusters)(b) && b.drift.some((d: any) => d.clusterName === 'west' && d.repairedAt), 'west repaired');
    await finished('web', await api('PUT', '/clustergroups/fleet/deployments/web', { chart, namespace: 'apps', values: { replicas: 2 }, valueOverrides: {}, autoSync: true, reuseValues: true }, 202));
    await finished('web', await api('PUT', '/clustergroups/fleet/deployments/web/sync', undefined, 202));

    // A member leaves (uninstalled there) and joins again.
    await api('PUT', '/clustergroups/fleet', { members: ['east', 'west'] }, 200);
    await deployment('web', deployedOn('east', 'west'), 'web without north');
    await api('PUT', '/clustergroups/fleet', { members: clusters }, 200);
    await deployment('web', deployedOn(...clusters), 'web on north again');

    // An unreachable member: UNKNOWN on a sync, WARNING on a reconcile; a plain delete fails on it, a forced one goes around it.
    const north = Kwokctl.clusterName({ org: 'acme', name: 'north' });
    await kwok.kwokctl.stop(north);
    await finished('web', await api('PUT', '/clustergroups/fleet/deployments/web/sync', undefined, 202));
    await reconcileUntil('north', 'WARNING');
    await finished('web', await api('DELETE', '/clustergroups/fleet/deployments/web', undefined, 202));
    await api('DELETE', '/clustergroups/fleet/deployments/web?force=true', undefined, 202);
    await gone('/clustergroups/fleet/deployments/web');
    await kwok.kwokctl.start(north);
    await reconcileUntil('north', 'RUNNING');

    // A chart from the registered repository, synced until its deployment continues as new, then deleted.
    await api('POST', '/clustergroups/fleet/deployments', { releaseName: 'extra', chart: 'local/hello', version: '0.1.0', namespace: 'apps' }, 202);
    await deployment('extra', deployedOn(...clusters), 'extra deployed');
    await untilContinuedAsNew('deployment/acme/fleet/extra', async () => finished('extra', await api('PUT', '/clustergroups/fleet/deployments/extra/sync', undefined, 202)));
    await api('DELETE', '/clustergroups/fleet/deployments/extra', undefined, 202);
    await gone('/clustergroups/fleet/deployments/extra');

    // A rollout in waves: a pause, manual approvals between waves; then a wave that does not turn
    // healthy (an override asks for a node label no node has), rolled back; then one aborted.
    const rolloutOp = (ready: (op: any) => boolean, what: string) =>
      eventually(async () => {
        const op = (await api('GET', '/clustergroups/fleet/deployments/waves')).body.operations?.at(-1);
        return op && ready(op) ? op : undefined;
      }, what, 180_000);
    const threeWaves = [{ clusters: ['east'] }, { clusters: ['west'] }, { percent: 50 }];
    await api('POST', '/clustergroups/fleet/deployments', { releaseName: 'waves', chart, namespace: 'apps', values: { message: 'v1' }, rollout: { waves: threeWaves, approval: 'manual', maxParallel: 1, pauseBetweenWavesSeconds: 1 } }, 202);
    await rolloutOp((op) => op.rollout?.awaitingApproval, 'waves waiting after wave 1');
    await api('POST', '/clustergroups/fleet/deployments/waves/rollout/pause', undefined, 200);
    await api('POST', '/clustergroups/fleet/deployments/waves/rollout/approve', undefined, 200);
    await api('POST', '/clustergroups/fleet/deployments/waves/rollout/resume', undefined, 200);
    await rolloutOp((op) => op.rollout?.current === 2 && op.rollout.awaitingApproval, 'waves waiting after wave 2');
    await api('POST', '/clustergroups/fleet/deployments/waves/rollout/approve', undefined, 200);
    await deployment('waves', deployedOn(...clusters), 'waves rolled out');
    const failing = await api('PUT', '/clustergroups/fleet/deployments/waves', {
      chart, namespace: 'apps', values: { message: 'v2' }, valueOverrides: { west: { nodeSelector: { disk: 'nvme' } } }, rollout: { waves: threeWaves, healthTimeoutSeconds: 10 },
    }, 202);
    await rolloutOp((op) => op.id === failing.body.id && op.state === 'FAILED', 'waves rolled back');
    const halting = await api('PUT', '/clustergroups/fleet/deployments/waves', { chart, namespace: 'apps', reuseValues: true, rollout: { waves: [{ clusters: ['west'] }], healthTimeoutSeconds: 10, onFailure: 'halt' } }, 202);
    await rolloutOp((op) => op.id === halting.body.id && op.state === 'FAILED', 'waves halted');
    const aborting = await api('PUT', '/clustergroups/fleet/deployments/waves', { chart, namespace: 'apps', values: { message: 'v3' }, rollout: { waves: threeWaves, approval: 'manual' } }, 202);
    await rolloutOp((op) => op.id === aborting.body.id && op.rollout?.awaitingApproval, 'waves waiting to be aborted');
    await api('POST', '/clustergroups/fleet/deployments/waves/rollout/abort', undefined, 200);
    await rolloutOp((op) => op.id === aborting.body.id && op.state === 'FAILED', 'waves aborted');
    await api('DELETE', '/clustergroups/fleet/deployments/waves', undefined, 202);
    await gone('/clustergroups/fleet/deployments/waves');

    // The group deleted by force: its deployment first.
    await api('POST', '/clustergroups/fleet/deployments', { releaseName: 'last', chart, namespace: 'apps' }, 202);
    await deployment('last', deployedOn(...clusters), 'last deployed');
    await api('DELETE', '/clustergroups/fleet?force=true', undefined, 202);
    await gone('/clustergroups/fleet');

    // A group whose members change until it continues as new, deleted plainly.
    await api('POST', '/clustergroups', { name: 'spare', members: ['east'] }, 201);
    let wide = false;
    await untilContinuedAsNew('clustergroup/acme/spare', () => api('PUT', '/clustergroups/spare', { members: (wide = !wide) ? clusters : ['east'] }, 200));
    await api('DELETE', '/clustergroups/spare', undefined, 202);
    await gone('/clustergroups/spare');

    // Helm repositories registered (and registered again) until the org's list continues as new.
    let n = 0;
    await untilContinuedAsNew('helmrepos/acme', () => api('POST', '/helm-repositories', { name: `repo-${++n % 5}`, url: repoUrl }, 201));
  } finally {
    repository.close();
  }

  // A pass the reconcile schedule starts (every org), as a worker with the reconcile queue makes it.
  await ensureReconcileSchedule(client, '1h');
  const schedule = client.schedule.getHandle(RECONCILE_SCHEDULE_ID);
  await schedule.trigger();
  const scheduled = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow, 'a scheduled pass');
  await client.workflow.getHandle(scheduled.workflowId, scheduled.firstExecutionRunId).result();
  await schedule.delete();

  // Labels and a selector group: the clusters labelled tier=gold, which a relabel joins and leaves, with a deployment.
  const shinyOn = (...names: string[]) =>
    eventually(async () => {
      const res = await api('GET', '/clustergroups/gold/deployments/shiny');
      const idle = res.status === 200 && res.body.operations.every((op: any) => op.state !== 'QUEUED' && op.state !== 'RUNNING');
      return idle && deployedOn(...names)(res.body) ? true : undefined;
    }, `shiny on ${names.join(', ')}`, 180_000);
  await api('PATCH', '/clusters/north', { labels: { tier: 'gold' } }, 200);
  await api('POST', '/clustergroups', { name: 'gold', selector: { matchLabels: { tier: 'gold' } } }, 201);
  await api('POST', '/clustergroups/gold/deployments', { releaseName: 'shiny', chart, namespace: 'gold' }, 202);
  await shinyOn('north');
  await api('PATCH', '/clusters/east', { labels: { tier: 'gold' } }, 200);
  await shinyOn('north', 'east');
  await api('PATCH', '/clusters/east', { labels: { tier: null } }, 200);
  await shinyOn('north');

  // Plain and forced deletes of KWOK clusters; north leaves the selector group, and its deployment drops it.
  await api('DELETE', '/clusters/east', undefined, 202);
  await api('DELETE', '/clusters/west', undefined, 202);
  await api('DELETE', '/clusters/north?force=true', undefined, 202);
  for (const name of clusters) await clusterStatus(name, 'DELETED');
  await eventually(async () => ((await api('GET', '/clustergroups/gold')).body.members.length === 0 ? true : undefined), 'gold without members', 180_000);
  await api('DELETE', '/clustergroups/gold/deployments/shiny', undefined, 202);
  await gone('/clustergroups/gold/deployments/shiny');
  await api('DELETE', '/clustergroups/gold', undefined, 202);
  await gone('/clustergroups/gold');
}

/** Charts sized for POST /recommendations: rendered, refused by helm, and from a repository that does not answer (retried). */
async function sizingPaths(): Promise<void> {
  const recommend = async (body: object, expected: number) => {
    const res = await stack.api('POST', '/api/v1/orgs/acme/recommendations', { body: { providers: ['gke'], regions: ['us-central1'], ...body } });
    if (res.status !== expected) throw new Error(`POST /recommendations: ${res.status}, not ${expected}: ${res.text}`);
  };
  const sized = fileURLToPath(new URL('../test/fixtures/charts/sized', import.meta.url));
  await recommend({ chart: sized, values: { web: { replicas: 4 } } }, 200);
  await recommend({ chart: sized, values: { web: 'not a map' } }, 400);
  const repo = await stack.api('POST', '/api/v1/orgs/acme/helm-repositories', { body: { name: 'silent', url: 'http://127.0.0.1:1/charts' } });
  if (repo.status !== 201) throw new Error(`POST /helm-repositories: ${repo.status}: ${repo.text}`);
  await recommend({ chart: 'silent/sized' }, 400);
}

/** A provider's versions read for GET /kubernetes-versions: sim's and the KWOK releases. */
async function versionsPaths(): Promise<void> {
  for (const provider of ['sim', 'kwok']) {
    const res = await stack.api('GET', `/api/v1/orgs/acme/kubernetes-versions?provider=${provider}`);
    if (res.status !== 200) throw new Error(`GET /kubernetes-versions?provider=${provider}: ${res.status}: ${res.text}`);
  }
}

/** Every history on the recording server, as a file named by type, workflow ID and run ID. */
async function save(): Promise<void> {
  mkdirSync(out, { recursive: true });
  let saved = 0;
  for await (const execution of client.workflow.list()) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    // The scheduled pass's ID ends in a time: no ':' in file names.
    const file = `${execution.type}--${execution.workflowId.replaceAll(/[/:]/g, '_')}--${execution.runId}.json`;
    // protobufjs' JSON form: what Worker.runReplayHistories reads back.
    writeFileSync(join(out, file), JSON.stringify(history));
    saved++;
  }
  console.log(`saved ${saved} histories to ${out}`);
}
