import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { eventually, fieldsOf, type Stack, startStack } from '../helpers/stack.js';

// PATCH /clusters/{name} { kubernetesVersion }: every refusal a 4xx naming the field, an upgrade a 202 whose operation the cluster's GET follows.
const base = '/api/v1/orgs/acme';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() } });
  const created = await stack.api('POST', `${base}/clusters`, {
    body: { name: 'up', provider: 'sim', kubernetesVersion: '1.35', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] },
  });
  expect(created.status).toBe(202);
  await idle();
});
afterAll(async () => {
  await stack?.api('DELETE', `${base}/clusters/up?force=true`);
  await stack?.stop();
});

const patch = (body: unknown) => stack.api('PATCH', `${base}/clusters/up`, { body });
const idle = () =>
  eventually(async () => {
    const view = (await stack.api('GET', `${base}/clusters/up`)).body;
    return ['RUNNING', 'WARNING'].includes(view.status) && !view.operation && !view.queuedOperations ? view : undefined;
  }, 'cluster idle');

describe('upgrades through the API', () => {
  it('refuses a bad version, a skipped minor, a downgrade and labels with a version (400 naming kubernetesVersion), the same version (409)', async () => {
    for (const version of ['2.0', '1.36-rc', 'latest', 136]) {
      const bad = await patch({ kubernetesVersion: version });
      expect([bad.status, fieldsOf(bad)]).toEqual([400, ['kubernetesVersion']]);
    }
    const skip = await patch({ kubernetesVersion: '1.37' });
    expect([skip.status, fieldsOf(skip)]).toEqual([400, ['kubernetesVersion']]);
    expect(skip.body.error.message + JSON.stringify(skip.body.error.details)).toMatch(/one minor at a time, to 1\.36 first/);
    const down = await patch({ kubernetesVersion: '1.34' });
    expect([down.status, fieldsOf(down)]).toEqual([400, ['kubernetesVersion']]);
    expect(JSON.stringify(down.body.error.details)).toMatch(/downgrades are not supported/);
    const both = await patch({ kubernetesVersion: '1.36', labels: { tier: 'gold' } });
    expect([both.status, fieldsOf(both)]).toEqual([400, ['kubernetesVersion']]);
    expect((await patch({})).status).toBe(400);
    const same = await patch({ kubernetesVersion: '1.35' });
    expect(same.status).toBe(409);
    expect(same.body.error.message).toMatch(/already at Kubernetes 1\.35/);
    expect((await stack.api('PATCH', `${base}/clusters/nope`, { body: { kubernetesVersion: '1.36' } })).status).toBe(404);
  });

  it('upgrades one minor: 202 with the operation, whose steps are the control plane and the pool; GET shows the new version', async () => {
    const accepted = await patch({ kubernetesVersion: '1.36' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ type: 'upgrade', operationId: expect.stringMatching(/^cluster\.up\.\d+$/) });
    const view = await idle();
    expect(view.status).toBe('RUNNING');
    expect(view.kubernetesVersion).toBe('1.36');
    expect(view.nodePools.map((p: any) => p.kubernetesVersion)).toEqual(['1.36']);
    const op = (await stack.api('GET', `${base}/operations/${accepted.body.operationId}`)).body;
    expect(op).toMatchObject({ type: 'upgrade', kubernetesVersion: '1.36', state: 'SUCCEEDED', totalSteps: 2 });
    expect(op.steps.map((s: any) => s.name)).toEqual(['upgrade control plane to 1.36', 'upgrade node pool pool to 1.36 (surge, drain, replace)']);
  });
});
