import { join } from 'node:path';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { eventually, fieldsOf, FIXTURE_CHARTS, type Stack, startStack } from '../helpers/stack.js';

// The rollout part of a deployment's create and edit, through the real API: every bad field a 400 naming its path.
const base = '/api/v1/orgs/acme';
const chart = join(FIXTURE_CHARTS, 'hello');
const deployments = `${base}/clustergroups/ro-group/deployments`;
let stack: Stack;

const create = (rollout: unknown) => stack.api('POST', deployments, { body: { chart, dryRun: true, rollout } });

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 1 }).activities() } });
  expect((await stack.api('POST', `${base}/clusters`, { body: { name: 'ro-a', provider: 'sim', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] } })).status).toBe(202);
  await eventually(async () => ((await stack.api('GET', `${base}/clusters/ro-a`)).body.status === 'RUNNING' ? true : undefined), 'ro-a RUNNING');
  expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'ro-group', members: ['ro-a'] } })).status).toBe(201);
});
afterAll(async () => {
  await stack?.api('DELETE', `${base}/clustergroups/ro-group?force=true`);
  await stack?.api('DELETE', `${base}/clusters/ro-a?force=true`);
  await stack?.stop();
});

describe('rollout in a deployment request', () => {
  it('takes waves of clusters, label selectors and shares, with the defaults filled in', async () => {
    const ok = await create({ waves: [{ clusters: ['ro-a'] }, { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] } }, { percent: 50 }] });
    expect(ok.status).toBe(200);
  });

  it.each([
    ['no waves', { waves: [] }, ['rollout.waves']],
    ['a wave of no clusters', { waves: [{ clusters: [] }] }, ['rollout.waves[0].clusters']],
    ['a share over 100', { waves: [{ percent: 150 }] }, ['rollout.waves[0].percent']],
    ['a wave of two forms', { waves: [{ percent: 10, clusters: ['ro-a'] }] }, ['rollout.waves[0]']],
    ['a selector with a bad label key', { waves: [{ selector: { matchLabels: { 'bad key': 'x' } } }] }, ['rollout.waves[0].selector.matchLabels["bad key"]']],
    ['a health timeout of 0', { waves: [{ percent: 50 }], healthTimeoutSeconds: 0 }, ['rollout.healthTimeoutSeconds']],
    ['a health timeout over an hour', { waves: [{ percent: 50 }], healthTimeoutSeconds: 3601 }, ['rollout.healthTimeoutSeconds']],
    ['an unknown onFailure', { waves: [{ percent: 50 }], onFailure: 'retry' }, ['rollout.onFailure']],
    ['an unknown approval', { waves: [{ percent: 50 }], approval: 'auto' }, ['rollout.approval']],
    ['maxParallel 0', { waves: [{ percent: 50 }], maxParallel: 0 }, ['rollout.maxParallel']],
    ['a negative pause', { waves: [{ percent: 50 }], pauseBetweenWavesSeconds: -1 }, ['rollout.pauseBetweenWavesSeconds']],
    ['an unknown field', { waves: [{ percent: 50 }], canary: true }, ['rollout.canary']],
    ['a wave naming a cluster that is no DNS label', { waves: [{ clusters: ['ro-a'] }, { clusters: ['ro-a', 'Mars!'] }] }, ['rollout.waves[1].clusters[1]']],
  ])('refuses %s, naming the field', async (_what, rollout, expected) => {
    const res = await create(rollout);
    expect([res.status, fieldsOf(res)]).toEqual([400, expected]);
  });

  it('refuses a bad rollout in an edit too', async () => {
    const res = await stack.api('PUT', `${deployments}/none`, { body: { chart, rollout: { waves: [{ percent: 50 }], onFailure: 'ignore' } } });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['rollout.onFailure']]);
  });

  it('routes rollout actions by name: an unknown action is a 400, an unknown deployment a 404', async () => {
    const bad = await stack.api('POST', `${deployments}/none/rollout/skip`);
    expect([bad.status, fieldsOf(bad)]).toEqual([400, ['action']]);
    expect((await stack.api('POST', `${deployments}/none/rollout/approve`)).status).toBe(404);
  });
});
