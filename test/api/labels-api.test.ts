import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { eventually, fieldsOf, type Stack, startStack } from '../helpers/stack.js';

// Cluster labels through the API: set at create, merged by PATCH, shown in GET, filtered by ?selector=.
const base = '/api/v1/orgs/acme';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() } });
});
afterAll(async () => {
  for (const name of ['lb-gold', 'lb-silver']) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`);
  await stack?.stop();
});

const create = (name: string, labels?: unknown) =>
  stack.api('POST', `${base}/clusters`, { body: { name, provider: 'sim', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }], ...(labels ? { labels } : {}) } });
const running = (name: string) => eventually(async () => ((await stack.api('GET', `${base}/clusters/${name}`)).body.status === 'RUNNING' ? true : undefined), `${name} RUNNING`);
const names = async (selector: string) => {
  const res = await stack.api('GET', `${base}/clusters?selector=${encodeURIComponent(selector)}`);
  expect(res.status).toBe(200);
  return (res.body.items as { name: string }[]).map((c) => c.name).filter((n) => n.startsWith('lb-')).sort();
};
const fields = (res: { body: any }) => [...new Set(fieldsOf(res))].sort();

describe('cluster labels', () => {
  it('refuses bad labels and flotilla.io/ keys at create with a 400 naming the field', async () => {
    const bad = await create('lb-bad', { 'flotilla.io/provider': 'aws', 'bad key!': 'x', tier: 'not ok!' });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['labels.tier', 'labels["bad key!"]', 'labels["flotilla.io/provider"]']);
    expect(bad.body.error.message).toContain('set by Flotilla');
    expect((await stack.api('GET', `${base}/clusters/lb-bad`)).status).toBe(404);
  });

  it("shows the tenant's labels and the system ones; PATCH merges, null removes; ?selector= filters", async () => {
    expect((await create('lb-gold', { tier: 'gold', env: 'prod' })).status).toBe(202);
    expect((await create('lb-silver', { tier: 'silver', env: 'stage', canary: 'true' })).status).toBe(202);
    await running('lb-gold');
    await running('lb-silver');
    const gold = (await stack.api('GET', `${base}/clusters/lb-gold`)).body;
    expect(gold.labels).toEqual({ tier: 'gold', env: 'prod', 'flotilla.io/provider': 'sim', 'flotilla.io/region': 'sim-1', 'flotilla.io/name': 'lb-gold' });

    expect(await names('tier=gold')).toEqual(['lb-gold']);
    expect(await names('env in (prod,stage)')).toEqual(['lb-gold', 'lb-silver']);
    expect(await names('!canary')).toEqual(['lb-gold']);
    expect(await names('flotilla.io/name=lb-silver')).toEqual(['lb-silver']);
    expect(await names('tier notin (gold),env')).toEqual(['lb-silver']);

    const patched = await stack.api('PATCH', `${base}/clusters/lb-silver`, { body: { labels: { tier: 'gold', canary: null, zone: 'b' } } });
    expect(patched.status).toBe(200);
    expect(patched.body.labels).toMatchObject({ tier: 'gold', env: 'stage', zone: 'b' });
    expect(patched.body.labels.canary).toBeUndefined();
    expect((await stack.api('GET', `${base}/clusters/lb-silver`)).body.labels).toEqual(patched.body.labels);
    expect(await names('tier=gold')).toEqual(['lb-gold', 'lb-silver']);
    expect(await names('!canary')).toEqual(['lb-gold', 'lb-silver']);
  });

  it('refuses a bad PATCH or selector with a 400 naming the field, an unknown cluster with a 404', async () => {
    const system = await stack.api('PATCH', `${base}/clusters/lb-gold`, { body: { labels: { 'flotilla.io/region': null } } });
    expect([system.status, fields(system)]).toEqual([400, ['labels["flotilla.io/region"]']]);
    const badValue = await stack.api('PATCH', `${base}/clusters/lb-gold`, { body: { labels: { tier: 'a b' } } });
    expect([badValue.status, fields(badValue)]).toEqual([400, ['labels.tier']]);
    const notString = await stack.api('PATCH', `${base}/clusters/lb-gold`, { body: { labels: { tier: 3 } } });
    expect([notString.status, fields(notString)]).toEqual([400, ['labels.tier']]);
    const extra = await stack.api('PATCH', `${base}/clusters/lb-gold`, { body: { labels: {}, name: 'x' } });
    expect(extra.status).toBe(400);
    expect((await stack.api('PATCH', `${base}/clusters/lb-none`, { body: { labels: { tier: 'gold' } } })).status).toBe(404);
    const selector = await stack.api('GET', `${base}/clusters?selector=${encodeURIComponent('tier in (gold')}`);
    expect([selector.status, fields(selector)]).toEqual([400, ['selector']]);
    // Nothing of the refused changes was applied.
    expect((await stack.api('GET', `${base}/clusters/lb-gold`)).body.labels).toMatchObject({ tier: 'gold', 'flotilla.io/region': 'sim-1' });
  });
});

describe('selector groups', () => {
  it('refuses a bad selector, or members and a selector together, with a 400 naming the field', async () => {
    const post = (body: unknown) => stack.api('POST', `${base}/clustergroups`, { body });
    const badValue = await post({ name: 'lb-group', selector: { matchLabels: { tier: 'not ok!' } } });
    expect([badValue.status, fields(badValue)]).toEqual([400, ['selector.matchLabels.tier']]);
    const noValues = await post({ name: 'lb-group', selector: { matchExpressions: [{ key: 'env', operator: 'In' }] } });
    expect([noValues.status, fields(noValues)]).toEqual([400, ['selector.matchExpressions[0].values']]);
    const values = await post({ name: 'lb-group', selector: { matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] } });
    expect([values.status, fields(values)]).toEqual([400, ['selector.matchExpressions[0].values']]);
    const operator = await post({ name: 'lb-group', selector: { matchExpressions: [{ key: 'env', operator: 'Gt', values: ['1'] }] } });
    expect([operator.status, fields(operator)]).toEqual([400, ['selector.matchExpressions[0].operator']]);
    const both = await post({ name: 'lb-group', members: ['lb-gold'], selector: {} });
    expect([both.status, fields(both)]).toEqual([400, ['selector']]);
    const neither = await post({ name: 'lb-group' });
    expect([neither.status, fields(neither)]).toEqual([400, ['members']]);
    expect((await stack.api('GET', `${base}/clustergroups/lb-group`)).status).toBe(404);
  });
});
