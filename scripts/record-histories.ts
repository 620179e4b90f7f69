// Records histories of every workflow type, for the replay test
// (test/replay): `npx tsx scripts/record-histories.ts`. Run it when a
// workflow changes on purpose, with the change behind `patched()` where old
// runs may still be live; commit the new histories next to the old ones.
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwokProvider } from '../src/activities/providers/kwok/index.js';
import { SimCloud } from '../src/activities/providers/sim/index.js';
import type { ClusterState } from '../src/domain/cluster-state.js';
import { withDefaults } from '../src/domain/cluster.js';
import { clusterWorkflowId, WORKFLOW_TASK_QUEUE } from '../src/domain/ids.js';
import { toolPaths } from '../src/toolchain.js';
import { clusterWorkflow } from '../src/workflows/cluster.js';
import { addNodePoolUpdate, clusterStateQuery, deleteClusterUpdate, removeNodePoolUpdate, updateNodePoolUpdate } from '../src/workflows/messages.js';
import { SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes.js';
import { eventually, startStack } from '../test/helpers/stack.js';
import { REPLAY_CODEC_KEYS } from '../test/replay/codec-keys.js';

const out = fileURLToPath(new URL('../test/replay/histories/', import.meta.url));
const ORG = 'replay';

const env = await TestWorkflowEnvironment.createLocal({
  server: { executable: { type: 'existing-path', path: toolPaths().temporal }, searchAttributes: SEARCH_ATTRIBUTES, ip: '127.0.0.1' },
});
process.env.TEMPORAL_ADDRESS = env.address;
// Encrypted as every run is, with the key the replay test decrypts with.
process.env.FLOTILLA_CODEC_KEYS = REPLAY_CODEC_KEYS;
const sim = new SimCloud({ latencyMs: 5 });
const kwok = new KwokProvider(toolPaths(), mkdtempSync(join(tmpdir(), 'flotilla-record-kwok-')));
process.env.FLOTILLA_TEST_DIR ??= mkdtempSync(join(tmpdir(), 'flotilla-record-'));
const stack = await startStack({ providers: { sim: sim.activities(), kwok: kwok.activities() }, fleet: { kwok: (ref) => kwok.kubeconfig(ref) } });

async function start(name: string, historyLimit?: number) {
  return stack.client.workflow.start(clusterWorkflow, {
    workflowId: clusterWorkflowId(ORG, name),
    taskQueue: WORKFLOW_TASK_QUEUE,
    args: [{ org: ORG, spec: withDefaults({ name, provider: 'sim', nodePools: [
      { name: 'web', instanceType: 'standard-2', count: 2, minCount: 1, maxCount: 6 },
      { name: 'batch', instanceType: 'standard-4', count: 1, taints: [{ key: 'batch', effect: 'NoSchedule' }] },
    ] }), requestId: `create-${name}`, ...(historyLimit ? { historyLimit } : {}) }],
  });
}

const idle = (s: ClusterState) => s.operations.every((op) => !['QUEUED', 'RUNNING'].includes(op.state));
async function until(handle: WorkflowHandle, ready: (s: ClusterState) => boolean) {
  await eventually(async () => (ready(await stack.client.workflow.getHandle(handle.workflowId).query(clusterStateQuery)) ? true : undefined), 'state');
}

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

// A stuck create, preempted by a forced delete.
sim.inject('awaitControlPlane', { kind: 'hang' });
const stuck = await start('stuck');
await until(stuck, (s) => s.operations[0]!.state === 'RUNNING');
await stuck.executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'force', force: true }] });
await stuck.result();
sim.clear();

// Continue-as-new.
const long = await start('long', 40);
await until(long, (s) => s.status === 'RUNNING');
for (let count = 1; count <= 4; count++) {
  await stack.client.workflow.getHandle(long.workflowId).executeUpdate(updateNodePoolUpdate, { args: [{ requestId: `scale-${count}`, pool: 'web', changes: { count } }] });
  await until(long, idle);
}
await stack.client.workflow.getHandle(long.workflowId).executeUpdate(deleteClusterUpdate, { args: [{ requestId: 'delete' }] });
await stack.client.workflow.getHandle(long.workflowId).result();

// A group with a deployment on a real KWOK cluster: create, drift check (reconcile), sync, delete.
const api = (method: string, path: string, body?: unknown) => stack.api(method, `/api/v1/orgs/acme${path}`, body === undefined ? {} : { body });
await api('POST', '/clusters', { name: 'fleet-a', provider: 'kwok', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] });
await eventually(async () => ((await api('GET', '/clusters/fleet-a')).body.status === 'RUNNING' ? true : undefined), 'fleet-a', 120_000);
await api('POST', '/clustergroups', { name: 'fleet', members: ['fleet-a'] });
await api('POST', '/helm-repositories', { name: 'charts', url: 'https://charts.example.com' });
const chart = fileURLToPath(new URL('../test/fixtures/charts/hello', import.meta.url));
await api('POST', '/clustergroups/fleet/deployments', { releaseName: 'web', chart, namespace: 'apps', values: { message: 'hi' }, autoSync: true });
const deployed = async () => (await api('GET', '/clustergroups/fleet/deployments/web')).body.targetClusters?.[0]?.status === 'DEPLOYED';
await eventually(async () => ((await deployed()) ? true : undefined), 'deployed', 120_000);
const reconcile = await api('POST', '/reconcile');
await stack.client.workflow.getHandle(reconcile.body.workflowId).result();
await api('PUT', '/clustergroups/fleet/deployments/web/sync');
await api('DELETE', '/clustergroups/fleet/deployments/web');
await eventually(async () => ((await api('GET', '/clustergroups/fleet/deployments/web')).status === 404 ? true : undefined), 'deployment deleted', 120_000);
await api('DELETE', '/clustergroups/fleet');
await stack.client.workflow.getHandle('clustergroup/acme/fleet').result();
await api('DELETE', '/clusters/fleet-a');
await stack.client.workflow.getHandle('cluster/acme/fleet-a').result();

mkdirSync(out, { recursive: true });
let saved = 0;
for await (const execution of stack.client.workflow.list()) {
  const history = await stack.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
  const file = `${execution.type}--${execution.workflowId.replaceAll('/', '_')}--${execution.runId}.json`;
  // protobufjs' JSON form: what Worker.runReplayHistories reads back.
  writeFileSync(join(out, file), JSON.stringify(history));
  saved++;
}
console.log(`saved ${saved} histories to ${out}`);
await stack.stop();
await env.teardown();
