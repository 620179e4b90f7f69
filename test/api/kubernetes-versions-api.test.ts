import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { eventually, fieldsOf, type Stack, startStack } from '../helpers/stack.js';

// GET /kubernetes-versions through the workflow and each provider's activity on its own task queue; the KWOK version checks of create and upgrade.
const base = '/api/v1/orgs/acme';
const tools = toolPaths();
const [current, previous] = tools.kubernetesReleases.map((r) => r.version) as [string, string];
let stack: Stack;

beforeAll(async () => {
  const kwok = new KwokProvider(tools, mkdtempSync(join(tmpdir(), 'flotilla-versions-')));
  // The KWOK list is the real adapter's; the cluster made below only needs an entity with provider kwok,
  // so its lifecycle is the sim cloud's (no control plane is started: the refusal comes before any activity).
  stack = await startStack({
    providers: { sim: new SimCloud().activities(), kwok: { ...new SimCloud().activities(), kubernetesVersions: kwok.activities().kubernetesVersions } },
  });
});
afterAll(async () => {
  await stack?.api('DELETE', `${base}/clusters/kv?force=true`);
  await stack?.stop();
});


describe('GET /kubernetes-versions', () => {
  it('lists sim versions in its default region, each with the versions one upgrade reaches', async () => {
    const res = await stack.api('GET', `${base}/kubernetes-versions?provider=sim`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      provider: 'sim',
      region: 'sim-1',
      versions: [
        { version: '1.33', upgradesTo: ['1.34'] },
        { version: '1.34', upgradesTo: ['1.35'] },
        { version: '1.35', default: true, upgradesTo: ['1.36'] },
        { version: '1.36', upgradesTo: [] },
      ],
    });
  });

  it('lists the releases built for KWOK, the previous one upgrading to the current', async () => {
    const res = await stack.api('GET', `${base}/kubernetes-versions?provider=kwok&region=local`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      provider: 'kwok',
      region: 'local',
      versions: [
        { version: current, default: true, upgradesTo: [] },
        { version: previous, upgradesTo: [current] },
      ],
    });
  });

  it('refuses a bad or missing provider and a bad region, naming the field', async () => {
    for (const [query, field] of [
      ['', 'provider'],
      ['provider=nope', 'provider'],
      ['provider=imported', 'provider'],
      ['provider=eks&secretId=sec-0000000000000000', 'secretId'],
      ['provider=sim&secretId=sec-0000000000000000', 'secretId'],
      ['provider=sim&region=EU%20West', 'region'],
      ['provider=sim&region=', 'region'],
      ['provider=sim&extra=1', 'extra'],
    ]) {
      const res = await stack.api('GET', `${base}/kubernetes-versions?${query}`);
      expect([query, res.status, [...new Set(fieldsOf(res))]]).toEqual([query, 400, [field]]);
    }
  });
});

describe('KWOK versions on create and upgrade', () => {
  const pools = [{ name: 'pool', instanceType: 'standard-2', count: 1 }];

  it('refuses a create at a version not built for KWOK (400 naming kubernetesVersion)', async () => {
    const res = await stack.api('POST', `${base}/clusters`, { body: { name: 'kv-old', provider: 'kwok', kubernetesVersion: '1.30', nodePools: pools } });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['kubernetesVersion']]);
    expect(res.body.error.message).toContain(current);
    expect((await stack.api('GET', `${base}/clusters/kv-old`)).status).toBe(404);
  });

  it('refuses an upgrade to a version not built for KWOK, and queues one to a built release', async () => {
    const previousMinor = previous.replace(/^v/, '').split('.').slice(0, 2).join('.');
    const created = await stack.api('POST', `${base}/clusters`, { body: { name: 'kv', provider: 'kwok', kubernetesVersion: previousMinor, nodePools: pools } });
    expect(created.status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/kv`)).body.status === 'RUNNING' ? true : undefined), 'cluster kv running');
    // The next minor, which upgradeRefusal allows, but a patch of the current release that is not built.
    const unbuilt = current.replace(/^v/, '').replace(/\.\d+$/, (p) => `.${Number(p.slice(1)) + 1}`);
    const refused = await stack.api('PATCH', `${base}/clusters/kv`, { body: { kubernetesVersion: unbuilt } });
    expect([refused.status, fieldsOf(refused)]).toEqual([400, ['kubernetesVersion']]);
    const accepted = await stack.api('PATCH', `${base}/clusters/kv`, { body: { kubernetesVersion: current.replace(/^v/, '') } });
    expect(accepted.status).toBe(202);
  });
});
