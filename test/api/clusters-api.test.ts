import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { clusterStateQuery } from '../../src/workflows/messages.js';
import { eventually, fieldsOf, type Stack, startStack, TOKENS } from '../helpers/stack.js';

const sim = new SimCloud({ latencyMs: 10 });
let stack: Stack;
const base = '/api/v1/orgs/acme';

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities() } });
});
afterAll(() => stack?.stop());

const cluster = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  provider: 'sim',
  nodePools: [
    { name: 'web', instanceType: 'standard-2', count: 2, minCount: 1, maxCount: 6 },
    { name: 'batch', instanceType: 'standard-4', count: 1, labels: { tier: 'batch' }, taints: [{ key: 'batch', effect: 'NoSchedule' }] },
  ],
  ...extra,
});

async function untilStatus(name: string, status: string, org = base): Promise<any> {
  return eventually(async () => {
    const res = await stack.api('GET', `${org}/clusters/${name}`);
    return res.body.status === status && !res.body.operation && res.body.queuedOperations === 0 ? res.body : undefined;
  }, `${name} ${status}`);
}

async function untilOperation(id: string): Promise<any> {
  return eventually(async () => {
    const res = await stack.api('GET', `${base}/operations/${id}`);
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(res.body.state) ? res.body : undefined;
  }, `operation ${id}`);
}

describe('health', () => {
  it('answers /healthz and /readyz without a token', async () => {
    expect((await stack.api('GET', '/healthz', { token: '' })).body).toEqual({ status: 'ok' });
    expect((await stack.api('GET', '/readyz', { token: '' })).body).toMatchObject({ status: 'ready' });
  });
});

describe('auth and org isolation', () => {
  it('needs a valid bearer token', async () => {
    const none = await stack.api('GET', `${base}/clusters`, { token: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await stack.api('GET', `${base}/clusters`, { token: 'wrong' })).status).toBe(401);
  });

  it("answers 404 for another org's resources", async () => {
    const created = await stack.api('POST', `${base}/clusters`, { body: cluster('iso') });
    expect(created.status).toBe(202);
    for (const [method, path] of [
      ['GET', `${base}/clusters`],
      ['GET', `${base}/clusters/iso`],
      ['GET', `${base}/clusters/iso/kubeconfig`],
      ['DELETE', `${base}/clusters/iso`],
      ['GET', `${base}/operations/cluster.iso.1`],
    ] as const) {
      const res = await stack.api(method, path, { token: TOKENS.globex });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    // In its own org, globex simply has no such cluster.
    expect((await stack.api('GET', '/api/v1/orgs/globex/clusters/iso', { token: TOKENS.globex })).status).toBe(404);
    expect((await stack.api('GET', '/api/v1/orgs/globex/operations/cluster.iso.1', { token: TOKENS.globex })).status).toBe(404);
    expect((await stack.api('GET', '/api/v1/orgs/globex/clusters?limit=500', { token: TOKENS.globex })).body.items.map((c: any) => c.name)).not.toContain('iso');
  });
});

describe('validation', () => {

  it('names every bad field in one 400', async () => {
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name: 'Bad_Name',
        provider: 'sim',
        nodePools: [
          { name: 'web', instanceType: 'nope', count: 9, minCount: 1, maxCount: 3 },
          { name: 'web', instanceType: 'standard-2', count: -1 },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(fieldsOf(res)).toEqual(expect.arrayContaining(['name', 'nodePools[0].instanceType', 'nodePools[0].count', 'nodePools[1].count']));
  });

  it.each([
    ['an unknown provider', { ...cluster('v1'), provider: 'ibm' }, 'provider'],
    ['an unknown instance type', cluster('v2', { nodePools: [{ name: 'a', instanceType: 'm5.large', count: 1 }] }), 'nodePools[0].instanceType'],
    ['count outside [min, max]', cluster('v3', { nodePools: [{ name: 'a', instanceType: 'standard-2', count: 0, minCount: 1, maxCount: 2 }] }), 'nodePools[0].count'],
    ['an unknown field', cluster('v4', { colour: 'blue' }), 'colour'],
    ['a wrong type', cluster('v5', { nodePools: 'many' }), 'nodePools'],
    ['a bad taint effect', cluster('v6', { nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1, taints: [{ key: 'k', effect: 'Never' }] }] }), 'nodePools[0].taints[0].effect'],
    ['a bad label', cluster('v7', { nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1, labels: { 'a b': 'c' } }] }), 'nodePools[0].labels["a b"]'],
    ['no node pools', cluster('v8', { nodePools: [] }), 'nodePools'],
  ])('rejects %s with a 400 naming the field', async (_what, body, field) => {
    const res = await stack.api('POST', `${base}/clusters`, { body });
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toContain(field);
  });

  it('rejects malformed JSON, bad query values and bad idempotency keys', async () => {
    const json = await stack.api('POST', `${base}/clusters`, { raw: '{"name": ' });
    expect([json.status, json.body.error.code]).toEqual([400, 'invalid_json']);
    const query = await stack.api('GET', `${base}/clusters?status=SLEEPING`);
    expect([query.status, fieldsOf(query)]).toEqual([400, ['status']]);
    const key = await stack.api('POST', `${base}/clusters`, { body: cluster('v9'), headers: { 'idempotency-key': 'a/b' } });
    expect([key.status, fieldsOf(key)]).toEqual([400, ['Idempotency-Key']]);
    const name = await stack.api('GET', `${base}/clusters/NOT_A_NAME`);
    expect([name.status, fieldsOf(name)]).toEqual([400, ['name']]);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await stack.api('GET', '/api/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('clusters and node pools', () => {
  it('creates a cluster: 202 with an operation and links, then RUNNING', async () => {
    const res = await stack.api('POST', `${base}/clusters`, { body: cluster('one'), headers: { 'idempotency-key': 'create-one' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      name: 'one',
      status: 'CREATING',
      operationId: 'cluster.one.1',
      workflowId: 'cluster/acme/one',
      links: {
        self: `${base}/clusters/one`,
        operation: `${base}/operations/cluster.one.1`,
        run: 'http://127.0.0.1:8233/namespaces/default/workflows/cluster%2Facme%2Fone',
      },
    });
    const running = await untilStatus('one', 'RUNNING');
    expect(running).toMatchObject({ org: 'acme', name: 'one', provider: 'sim', region: 'sim-1', kubernetesVersion: '1.35' });
    expect(running.nodePools.map((p: any) => [p.name, p.desiredCount, p.currentCount])).toEqual([['web', 2, 2], ['batch', 1, 1]]);
    expect(running.links.run).toContain('cluster%2Facme%2Fone');

    const op = await untilOperation('cluster.one.1');
    expect(op).toMatchObject({ type: 'provision', state: 'SUCCEEDED', cluster: 'one' });
    expect(op.steps).toHaveLength(5);
    expect(op.links.run).toContain('cluster%2Facme%2Fone%2Fprovision');
  });

  it('answers a repeated create with 409 and the existing cluster, unless it repeats the same request', async () => {
    const again = await stack.api('POST', `${base}/clusters`, { body: cluster('one'), headers: { 'idempotency-key': 'create-one' } });
    expect(again.status).toBe(202);
    // The entity answers, as it is now: provisioned.
    expect(again.body).toMatchObject({ operationId: 'cluster.one.1', status: 'RUNNING' });
    const conflict = await stack.api('POST', `${base}/clusters`, { body: cluster('one') });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.cluster).toMatchObject({ name: 'one' });
  });

  it('lists clusters, filtered by provider and status', async () => {
    const all = await eventually(async () => {
      const res = await stack.api('GET', `${base}/clusters?provider=sim&status=RUNNING`);
      return res.body.items.some((c: any) => c.name === 'one') ? res.body.items : undefined;
    }, 'list');
    expect(all.every((c: any) => c.status === 'RUNNING' && c.provider === 'sim')).toBe(true);
    // Other suites' KWOK clusters may share the org; none of this test's sim clusters is among them.
    const kwokOnes = (await stack.api('GET', `${base}/clusters?provider=kwok&limit=500`)).body.items;
    expect(kwokOnes.every((c: any) => c.provider === 'kwok')).toBe(true);
    expect(kwokOnes.map((c: any) => c.name)).not.toContain('one');
  });

  it('adds, scales and removes node pools; a 202 carries an operation to poll', async () => {
    const add = await stack.api('POST', `${base}/clusters/one/nodepools`, { body: { name: 'gpu', instanceType: 'gpu-8', count: 1, spot: true } });
    expect(add.status).toBe(202);
    expect(add.body).toMatchObject({ operationId: 'cluster.one.2', type: 'addNodePool', links: { operation: `${base}/operations/cluster.one.2` } });
    expect((await untilOperation(add.body.operationId)).state).toBe('SUCCEEDED');

    const scale = await stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: { count: 4 }, headers: { 'idempotency-key': 'scale-web-4' } });
    expect(scale.status).toBe(202);
    // Handed over by signal: its operation ID comes from the Idempotency-Key.
    expect(scale.body).toMatchObject({ operationId: 'cluster.one.r.scale-web-4', type: 'updateNodePool', links: { operation: `${base}/operations/cluster.one.r.scale-web-4` } });
    const retried = await stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: { count: 4 }, headers: { 'idempotency-key': 'scale-web-4' } });
    expect(retried.body.operationId).toBe(scale.body.operationId);
    expect(await untilOperation(scale.body.operationId)).toMatchObject({ state: 'SUCCEEDED', cluster: 'one', totalSteps: 1 });
    const ops = (await stack.client.workflow.getHandle('cluster/acme/one').query(clusterStateQuery)).operations;
    expect(ops.filter((op) => op.requestId === 'scale-web-4')).toHaveLength(1);

    const remove = await stack.api('DELETE', `${base}/clusters/one/nodepools/batch`);
    expect(remove.status).toBe(202);
    await untilOperation(remove.body.operationId);

    const view = await untilStatus('one', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.desiredCount, p.currentCount])).toEqual([['web', 4, 4], ['gpu', 1, 1]]);
    const pools = await stack.api('GET', `${base}/clusters/one/nodepools`);
    expect(pools.body.items.map((p: any) => p.name)).toEqual(['web', 'gpu']);
  });

  it('applies two concurrent changes on different pools, never answering busy', async () => {
    const [a, b] = await Promise.all([
      stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: { count: 2 } }),
      stack.api('PUT', `${base}/clusters/one/nodepools/gpu`, { body: { count: 3, labels: { accel: 'a100' } } }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    await Promise.all([untilOperation(a.body.operationId), untilOperation(b.body.operationId)]);
    const view = await untilStatus('one', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount, p.labels])).toEqual([['web', 2, undefined], ['gpu', 3, { accel: 'a100' }]]);
  });

  it('maps validator rejections to 400/404/409', async () => {
    const tooMany = await stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: { count: 7 } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details.map((d: any) => d.field)).toEqual(['count']);
    expect((await stack.api('PUT', `${base}/clusters/one/nodepools/nope`, { body: { count: 1 } })).status).toBe(404);
    expect((await stack.api('POST', `${base}/clusters/one/nodepools`, { body: { name: 'web', instanceType: 'standard-2', count: 1 } })).status).toBe(409);
    expect((await stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: { instanceType: 'standard-8' } })).status).toBe(400);
    expect((await stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: {} })).status).toBe(400);
    expect((await stack.api('PUT', `${base}/clusters/ghost/nodepools/web`, { body: { count: 1 } })).status).toBe(404);
    expect((await stack.api('GET', `${base}/operations/cluster.one.999`)).status).toBe(404);
    expect((await stack.api('GET', `${base}/operations/whatever`)).status).toBe(404);
  });

  it("answers a PUT the entity then refuses (behind a queued delete the memo does not show) with 202, its operation FAILED with the reason", async () => {
    await stack.api('POST', `${base}/clusters`, { body: cluster('late') });
    await untilStatus('late', 'RUNNING');
    sim.inject('updateNodePool', { kind: 'hang' });
    const stuck = await stack.api('PUT', `${base}/clusters/late/nodepools/web`, { body: { count: 3 } });
    expect(stuck.status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/operations/${stuck.body.operationId}`)).body.state === 'RUNNING' ? true : undefined), 'the stuck change running');
    expect((await stack.api('DELETE', `${base}/clusters/late`)).body.state).toBe('QUEUED');
    const late = await stack.api('PUT', `${base}/clusters/late/nodepools/web`, { body: { count: 1 }, headers: { 'idempotency-key': 'late-1' } });
    expect([late.status, late.body.operationId, late.body.state]).toEqual([202, 'cluster.late.r.late-1', 'QUEUED']);
    // The operation is readable at once: a query sees the signals sent before it.
    expect((await stack.api('GET', `${base}/operations/cluster.late.r.late-1`)).body).toMatchObject({ state: 'FAILED', error: 'refused: cluster is being deleted' });
    sim.clear();
    expect((await stack.api('DELETE', `${base}/clusters/late?force=true`)).status).toBe(202);
    await untilStatus('late', 'DELETED');
  });

  it('says plainly when a provider has no kubeconfig to give', async () => {
    const res = await stack.api('GET', `${base}/clusters/one/kubeconfig`);
    expect(res.status).toBe(501);
    // The error in JSON, though the route answers YAML when it succeeds.
    expect([res.headers.get('content-type'), res.body.error.code]).toEqual([expect.stringContaining('application/json'), 'not_implemented']);
  });

  it('deletes: 202, then DELETED, listed only when asked for', async () => {
    const res = await stack.api('DELETE', `${base}/clusters/one`);
    expect(res.status).toBe(202);
    expect(res.body.type).toBe('delete');
    const op = await untilOperation(res.body.operationId);
    expect(op.steps.map((s: any) => s.name)).toEqual(['delete node pool web', 'delete node pool gpu', 'delete control plane', 'delete network']);
    await untilStatus('one', 'DELETED');
    expect(sim.resources({ org: 'acme', name: 'one' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
    // The list reads Temporal's visibility store, which follows the entity a moment later.
    await eventually(async () => {
      const live = await stack.api('GET', `${base}/clusters`);
      return live.body.items.some((c: any) => c.name === 'one') ? undefined : true;
    }, 'no longer listed');
    const deleted = await eventually(async () => {
      const r = await stack.api('GET', `${base}/clusters?status=DELETED`);
      return r.body.items.some((c: any) => c.name === 'one') ? r.body.items : undefined;
    }, 'deleted listed');
    expect(deleted.every((c: any) => c.status === 'DELETED')).toBe(true);
    expect((await stack.api('PUT', `${base}/clusters/one/nodepools/web`, { body: { count: 1 } })).status).toBe(404);
    // The name is free again.
    expect((await stack.api('POST', `${base}/clusters`, { body: cluster('one') })).status).toBe(202);
    await untilStatus('one', 'RUNNING');
  });

  it('force-deletes from ERROR', async () => {
    sim.inject('createControlPlane', { kind: 'reject', message: 'InvalidParameterException: unsupported Kubernetes version (simulated)' });
    await stack.api('POST', `${base}/clusters`, { body: cluster('broken') });
    const failed = await untilStatus('broken', 'ERROR');
    sim.clear();
    expect(failed.message).toMatch(/create control plane failed: InvalidParameterException/);
    expect((await stack.api('PUT', `${base}/clusters/broken/nodepools/web`, { body: { count: 1 } })).status).toBe(409);
    const del = await stack.api('DELETE', `${base}/clusters/broken?force=true`);
    expect(del.status).toBe(202);
    await untilStatus('broken', 'DELETED');
    expect(sim.resources({ org: 'acme', name: 'broken' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });
});
