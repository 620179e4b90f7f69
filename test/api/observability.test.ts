import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { HelmActivities } from '../../src/activities/helm.js';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { reconcileActivities } from '../../src/activities/reconcile.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import type { TargetRecord } from '../../src/domain/groups.js';
import { createLogger } from '../../src/observability/logger.js';
import { deploymentEntity, reconcilePass, startEntity } from '../../src/temporal/entity-starts.js';
import { createWorkers, runWorkers } from '../../src/worker.js';
import { deploymentStateQuery } from '../../src/workflows/messages.js';
import { scrape, valueOf } from '../helpers/metrics.js';
import { eventually, startStack, testCodec, TOKENS, type Stack } from '../helpers/stack.js';

// The API's request logs and metrics, and the workers' own metrics, after
// real operations on the sim provider: scraped over HTTP as Prometheus would.
const sim = new SimCloud({ latencyMs: 10 });
const base = '/api/v1/orgs/acme';
const lines: Record<string, unknown>[] = [];
const logged: string[] = [];
const logger = createLogger({
  level: 'info',
  destination: {
    write(line: string) {
      logged.push(line);
      lines.push(JSON.parse(line));
    },
  },
});

// Helm for the drift check: the target reads as drifted once, and a sync repairs it.
let drifted = false;
const record = (target: ClusterRef, status: TargetRecord['status']): TargetRecord => ({
  clusterName: target.name,
  provider: target.provider,
  status,
  stale: status !== 'DEPLOYED',
  lastCheckedAt: new Date().toISOString(),
});
const helm: HelmActivities = {
  helmApply: async (target) => record(target, 'DEPLOYED'),
  helmRemove: async () => undefined,
  helmCheck: async (target) => record(target, drifted ? 'STALE' : 'DEPLOYED'),
  helmWorkload: async () => {
    throw new Error('no chart is sized in this test');
  },
  helmAwaitHealthy: async (target) => record(target, 'DEPLOYED'),
  helmRollback: async (target) => record(target, 'NOT_INSTALLED'),
  installClusterAutoscaler: async () => undefined,
  removeClusterAutoscaler: async () => undefined,
};

let stack: Stack;
let connection: NativeConnection;
let extra: Worker[];
let extraRunning: Promise<void>;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities() }, logger });
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  extra = await createWorkers({ connection, namespace: 'default', codec: testCodec(), providers: {}, workflows: false, helm, reconcile: reconcileActivities(stack.client, {}) });
  extraRunning = runWorkers(extra);
});
afterAll(async () => {
  for (const w of extra ?? []) if (w.getState() === 'RUNNING') w.shutdown();
  await extraRunning;
  await connection?.close();
  await stack?.stop();
});

const apiMetrics = () => scrape(`${stack.baseUrl}/metrics`);
const workerMetrics = () => scrape(stack.workerMetricsUrl);
const clustersWith = (status: string) => `FlotillaKind = 'cluster' AND ExecutionStatus = 'Running' AND FlotillaStatus = '${status}'`;
/** Whether the cluster is among those visibility counts with that status. */
const counted = async (name: string, status: string) => (await stack.client.workflow.count(`${clustersWith(status)} AND WorkflowId = 'cluster/acme/${name}'`)).count === 1;
/**
 * `flotilla_clusters{status}` equals Temporal's own count of live clusters with that status. Other
 * suites' clusters share the namespace and may change meanwhile: counted on both sides of the scrape,
 * a change in between is a retry, not a failure.
 */
async function gaugeIsVisibility(status: string): Promise<boolean> {
  const before = (await stack.client.workflow.count(clustersWith(status))).count;
  const gauge = valueOf(await workerMetrics(), 'flotilla_clusters', { status });
  return gauge === before && (await stack.client.workflow.count(clustersWith(status))).count === before;
}
const cluster = (name: string) => ({ name, provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 1 }] });

async function untilIdle(name: string, status: string): Promise<void> {
  await eventually(async () => {
    const res = await stack.api('GET', `${base}/clusters/${name}`);
    return res.body.status === status && !res.body.operation && res.body.queuedOperations === 0 ? true : undefined;
  }, `${name} ${status}`);
}

describe('API metrics', () => {
  it('counts requests by route pattern and status, times them, and counts the workflows and updates the API started', async () => {
    const created = await stack.api('POST', `${base}/clusters`, { body: cluster('obs-api') });
    expect(created.status).toBe(202);
    await untilIdle('obs-api', 'RUNNING');
    expect((await stack.api('POST', `${base}/clusters/obs-api/nodepools`, { body: { name: 'gpu', instanceType: 'gpu-8', count: 1 } })).status).toBe(202);
    expect((await stack.api('GET', `${base}/no-such-thing`)).status).toBe(404);
    expect((await stack.api('GET', `${base}/clusters`, { token: '' })).status).toBe(401);

    const samples = await apiMetrics();
    const post = { method: 'POST', route: '/api/v1/orgs/:org/clusters', status: '202' };
    expect(valueOf(samples, 'flotilla_http_requests_total', post)).toBe(1);
    expect(valueOf(samples, 'flotilla_http_request_duration_seconds_count', post)).toBe(1);
    expect(valueOf(samples, 'flotilla_http_request_duration_seconds_bucket', { ...post, le: '+Inf' })).toBe(1);
    expect(valueOf(samples, 'flotilla_http_requests_total', { method: 'GET', route: '/api/v1/orgs/:org/clusters/:name', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'flotilla_http_requests_total', { method: 'POST', route: '/api/v1/orgs/:org/clusters/:name/nodepools', status: '202' })).toBe(1);
    expect(valueOf(samples, 'flotilla_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(samples, 'flotilla_http_requests_total', { method: 'GET', route: 'unmatched', status: '401' })).toBe(1);
    expect(valueOf(samples, 'flotilla_workflows_started_total', { workflow_type: 'clusterWorkflow' })).toBe(1);
    expect(valueOf(samples, 'flotilla_workflow_updates_total', { update: 'addNodePool', result: 'ok' })).toBe(1);
    // Raw paths never become labels.
    // (The cost gauge is per cluster by design: its cluster label is the series' identity, not a path.)
    expect(samples.some((s) => s.name !== 'flotilla_cluster_cost_dollars_per_hour' && Object.values(s.labels).some((v) => v.includes('obs-api')))).toBe(false);
    // Process metrics come along.
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with its request ID (echoed in X-Request-Id), route and status', async () => {
    const res = await stack.api('GET', `${base}/clusters/obs-api`, { headers: { 'x-request-id': 'trace-me-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
    const line = await eventually(async () => lines.find((l) => l.reqId === 'trace-me-123'), 'the request line');
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request completed',
      method: 'GET',
      url: `${base}/clusters/obs-api`,
      route: '/api/v1/orgs/:org/clusters/:name',
      org: 'acme',
      status: 200,
    });
    expect(typeof line.durationMs).toBe('number');

    // Without a usable ID of the caller's, the API makes one.
    const own = await stack.api('GET', '/healthz', { headers: { 'x-request-id': 'not/ok '.repeat(30) } });
    const id = own.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await eventually(async () => lines.find((l) => l.reqId === id), 'the health line')).toMatchObject({ route: '/healthz', status: 200 });
  });

  it('never writes a bearer token, a cookie or a secret value', async () => {
    const secretValue = `wJalrXUtnFEMI-${randomUUID()}`;
    const created = await stack.api('POST', `${base}/secrets`, {
      body: { name: `obs-${randomUUID().slice(0, 8)}`, type: 'aws', values: { accessKeyId: 'AKIAOBSERVABILITY', secretAccessKey: secretValue } },
      headers: { cookie: 'session=cookie-value-42', 'x-request-id': 'secret-post' },
    });
    expect(created.status).toBe(201);
    await eventually(async () => lines.find((l) => l.reqId === 'secret-post'), 'the secret request line');
    const all = logged.join('');
    expect(all).not.toContain(TOKENS.acme);
    expect(all).not.toContain(secretValue);
    expect(all).not.toContain('cookie-value-42');
    await stack.api('DELETE', `${base}/secrets/${created.body.id}`);
  });

  it('censors secrets wherever a logged object carries them', () => {
    const out: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (line: string) => void out.push(line) } });
    log.info(
      {
        req: { headers: { authorization: 'Bearer hunter2', cookie: 'sid=hunter3' } },
        secret: { type: 'aws', values: { secretAccessKey: 'hunter4' } },
        cluster: { kubeconfig: 'apiVersion: v1 hunter5' },
        codecKeys: 'k1:hunter6',
      },
      'something with secrets',
    );
    expect(out[0]).not.toMatch(/hunter/);
    expect(JSON.parse(out[0]!)).toMatchObject({ req: { headers: { authorization: '[REDACTED]', cookie: '[REDACTED]' } }, cluster: { kubeconfig: '[REDACTED]' } });
  });
});

describe('worker metrics', () => {
  it('counts operations by provider, type and outcome, with their durations, and clusters by status', async () => {
    const before = await workerMetrics();
    const provisioned = { provider: 'sim', type: 'provision', outcome: 'succeeded' };
    const failedAdd = { provider: 'sim', type: 'addNodePool', outcome: 'failed' };

    expect((await stack.api('POST', `${base}/clusters`, { body: cluster('obs-worker') })).status).toBe(202);
    await untilIdle('obs-worker', 'RUNNING');
    await eventually(async () => ((await counted('obs-worker', 'RUNNING')) && (await gaugeIsVisibility('RUNNING')) ? true : undefined), 'obs-worker counted RUNNING');

    sim.inject('createNodePool', { kind: 'reject', message: 'Quota exceeded (simulated)' });
    try {
      expect((await stack.api('POST', `${base}/clusters/obs-worker/nodepools`, { body: { name: 'big', instanceType: 'standard-8', count: 1 } })).status).toBe(202);
      await untilIdle('obs-worker', 'WARNING');
    } finally {
      sim.clear();
    }

    await eventually(
      async () => ((await counted('obs-worker', 'WARNING')) && (await gaugeIsVisibility('WARNING')) && (await gaugeIsVisibility('RUNNING')) ? true : undefined),
      'obs-worker counted WARNING',
    );
    const after = await workerMetrics();
    expect(valueOf(after, 'flotilla_operations_total', provisioned) - valueOf(before, 'flotilla_operations_total', provisioned)).toBe(1);
    expect(valueOf(after, 'flotilla_operation_duration_seconds_count', provisioned) - valueOf(before, 'flotilla_operation_duration_seconds_count', provisioned)).toBe(1);
    expect(valueOf(after, 'flotilla_operation_duration_seconds_sum', provisioned)).toBeGreaterThan(valueOf(before, 'flotilla_operation_duration_seconds_sum', provisioned));
    expect(valueOf(after, 'flotilla_operations_total', failedAdd) - valueOf(before, 'flotilla_operations_total', failedAdd)).toBe(1);
  });

  it('counts reconcile passes, and drift found and repaired by an auto-syncing deployment', async () => {
    const org = `obs-${randomUUID().slice(0, 8)}`;
    const target: ClusterRef = { org, name: 'drifty', provider: 'sim', region: 'sim-1', kubernetesVersion: '1.31' };
    const handle = await startEntity(
      stack.client,
      deploymentEntity({
        org,
        group: 'fleet',
        spec: { releaseName: 'web', chart: 'oci://example.com/web', namespace: 'default', values: {}, valueOverrides: {}, autoSync: true },
        targets: [target],
        requestId: 'create',
      }),
    );
    try {
      await eventually(async () => ((await handle.query(deploymentStateQuery)).status === 'DEPLOYED' ? true : undefined), 'deployed');
      const before = await workerMetrics();
      drifted = true;
      const pass = startEntity(stack.client, reconcilePass(org));
      expect(await (await pass).result()).toEqual({ deployments: 1, clusters: 0, unreachable: [] });
      // The check runs once the deployment takes the reconcile signal; the sync repairs what it found.
      await eventually(async () => {
        const { drift } = await handle.query(deploymentStateQuery);
        return drift.length === 1 && drift[0]!.repairedAt ? true : undefined;
      }, 'drift found and repaired');
      const after = await eventually(async () => {
        const samples = await workerMetrics();
        return valueOf(samples, 'flotilla_drift_repaired_total', { provider: 'sim' }) > valueOf(before, 'flotilla_drift_repaired_total', { provider: 'sim' }) ? samples : undefined;
      }, 'drift metrics');
      expect(valueOf(after, 'flotilla_reconcile_passes_total') - valueOf(before, 'flotilla_reconcile_passes_total')).toBe(1);
      expect(valueOf(after, 'flotilla_drift_found_total', { provider: 'sim' }) - valueOf(before, 'flotilla_drift_found_total', { provider: 'sim' })).toBe(1);
      expect(valueOf(after, 'flotilla_drift_repaired_total', { provider: 'sim' }) - valueOf(before, 'flotilla_drift_repaired_total', { provider: 'sim' })).toBe(1);
    } finally {
      drifted = false;
      await handle.terminate('test over');
    }
  });

  afterAll(async () => {
    for (const name of ['obs-api', 'obs-worker']) await stack.api('DELETE', `${base}/clusters/${name}?force=true`);
  });
});
