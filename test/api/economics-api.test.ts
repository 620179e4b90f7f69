import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { SEARCH_TIMEOUT_MS } from '../../src/api/recommender.js';
import { findPrice } from '../../src/domain/catalogue/catalogue.js';
import { scrape, valueOf } from '../helpers/metrics.js';
import { eventually, fieldsOf, type Stack, startStack } from '../helpers/stack.js';

// The catalogue through the API: instance types with prices, cluster and group
// costs, the cost gauge, and recommendations that create clusters as they are.

const sim = new SimCloud({ latencyMs: 10 });
let stack: Stack;
const base = '/api/v1/orgs/acme';

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities() } });
});
afterAll(() => stack?.stop());


async function untilRunning(name: string): Promise<any> {
  return eventually(async () => {
    const res = await stack.api('GET', `${base}/clusters/${name}`);
    return res.body.status === 'RUNNING' && !res.body.operation && res.body.queuedOperations === 0 ? res.body : undefined;
  }, `${name} RUNNING`);
}

describe('GET /instance-types', () => {
  it('lists the types that pass the filters, priced in the region, spot where known', async () => {
    const res = await stack.api('GET', `${base}/instance-types?provider=gke&region=us-central1&minCpu=8&minMemoryGiB=32&gpu=1`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'gke', region: 'us-central1', currency: 'USD', priceDate: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    expect(res.body.items.length).toBeGreaterThan(3);
    for (const t of res.body.items) {
      expect(t.cpu).toBeGreaterThanOrEqual(8);
      expect(t.memoryGiB).toBeGreaterThanOrEqual(32);
      expect(t.gpus).toBeGreaterThanOrEqual(1);
      expect(t.onDemand).toBe(findPrice('gcp', 'us-central1', t.name)!.onDemand);
    }
    expect(res.body.items.some((t: any) => t.spot > 0)).toBe(true);
  });

  it("defaults to the provider's region, filters by architecture, and has no spot price where none is known", async () => {
    const res = await stack.api('GET', `${base}/instance-types?provider=eks&arch=arm64&gpu=0`);
    expect(res.body.region).toBe('us-east-1');
    expect(res.body.items.length).toBeGreaterThan(50);
    expect(res.body.items.every((t: any) => t.arch === 'arm64' && t.gpus === 0 && t.spot === undefined)).toBe(true);
  });

  it('answers 400 naming the field', async () => {
    expect(fieldsOf(await stack.api('GET', `${base}/instance-types?provider=eks&region=mars-1`))).toEqual(['region']);
    expect(fieldsOf(await stack.api('GET', `${base}/instance-types?provider=kwok`))).toEqual(['provider']);
    expect(fieldsOf(await stack.api('GET', `${base}/instance-types?provider=aks&minCpu=lots`))).toEqual(['minCpu']);
  });
});

describe('instance types of clusters', () => {
  it('refuses a type the provider does not have, in a create and in a new pool, naming the field', async () => {
    const res = await stack.api('POST', `${base}/clusters`, { body: { name: 'bad-type', provider: 'sim', nodePools: [{ name: 'p', instanceType: 'm5.large', count: 1 }] } });
    expect(fieldsOf(res)).toEqual(['nodePools[0].instanceType']);
    expect(fieldsOf(await stack.api('POST', `${base}/clusters`, { body: { name: 'bad-flavor', provider: 'eks', flavor: 'aws', nodePools: [{ name: 'p', instanceType: 'm5.large', count: 1 }] } }))).toEqual(['flavor']);
  });

  it("lets a flavored local cluster use its cloud's types, and prices it; without a flavor it is unpriced", async () => {
    const flavored = await stack.api('POST', `${base}/clusters`, {
      body: { name: 'mirror', provider: 'sim', flavor: 'aws', nodePools: [{ name: 'web', instanceType: 'm5.xlarge', count: 3 }, { name: 'local', instanceType: 'standard-2', count: 1 }] },
    });
    expect(flavored.status).toBe(202);
    const plain = await stack.api('POST', `${base}/clusters`, { body: { name: 'plain', provider: 'sim', nodePools: [{ name: 'web', instanceType: 'standard-2', count: 2 }] } });
    expect(plain.status).toBe(202);
    const mirror = await untilRunning('mirror');
    expect(mirror.flavor).toBe('aws');
    expect(mirror.cost).toMatchObject({ currency: 'USD', region: 'us-east-1', unpriced: ['local'], spotAtOnDemand: [] });
    expect(mirror.cost.hourly).toBeCloseTo(3 * findPrice('aws', 'us-east-1', 'm5.xlarge')!.onDemand, 6);
    expect(mirror.cost.monthly).toBeCloseTo(mirror.cost.hourly * 730, 1);
    expect((await untilRunning('plain')).cost).toMatchObject({ hourly: 0, priceDate: null, unpriced: ['web'], note: expect.stringMatching(/without a flavor/) });

    // A new pool: the flavor's types are known, another cloud's are not.
    expect(fieldsOf(await stack.api('POST', `${base}/clusters/mirror/nodepools`, { body: { name: 'gcp', instanceType: 'n2-standard-4', count: 1 } }))).toEqual(['instanceType']);
    expect((await stack.api('POST', `${base}/clusters/mirror/nodepools`, { body: { name: 'big', instanceType: 'm5.2xlarge', count: 1 } })).status).toBe(202);
    const grown = await untilRunning('mirror');
    expect(grown.cost.hourly).toBeCloseTo(3 * findPrice('aws', 'us-east-1', 'm5.xlarge')!.onDemand + findPrice('aws', 'us-east-1', 'm5.2xlarge')!.onDemand, 6);

    // The list carries the same cost.
    const list = await stack.api('GET', `${base}/clusters?limit=500`);
    expect(list.body.items.find((c: any) => c.name === 'mirror').cost.hourly).toBeCloseTo(grown.cost.hourly, 6);

    // The gauge shows it per cluster.
    const samples = await scrape(`${stack.baseUrl}/metrics`);
    expect(valueOf(samples, 'flotilla_cluster_cost_dollars_per_hour', { org: 'acme', cluster: 'mirror' })).toBeCloseTo(grown.cost.hourly, 6);
    expect(valueOf(samples, 'flotilla_cluster_cost_dollars_per_hour', { org: 'acme', cluster: 'plain' })).toBe(0);

    // A group sums its members and names their unpriced pools.
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'costly', members: ['mirror', 'plain'] } })).status).toBe(201);
    const group = await stack.api('GET', `${base}/clustergroups/costly`);
    expect(group.body.cost.hourly).toBeCloseTo(grown.cost.hourly, 6);
    expect(group.body.cost.unpriced.sort()).toEqual(['mirror/local', 'plain/web']);
    expect(group.body.cost.priceDate).toBe(grown.cost.priceDate);
  });
});

describe('POST /recommendations', () => {
  it('answers ranked layouts whose node pools create a cluster as they are, priced as recommended', async () => {
    const res = await stack.api('POST', `${base}/recommendations`, { body: { providers: ['gke'], regions: ['us-central1'], cpu: 16, memoryGiB: 64, spotShare: 0.5 } });
    expect(res.status).toBe(200);
    const [best] = res.body.items;
    expect(best).toMatchObject({ provider: 'gke', region: 'us-central1', currency: 'USD' });
    expect(best.capacity.cpu).toBeGreaterThanOrEqual(16);
    expect(best.nodePools.some((p: any) => p.spot)).toBe(true);

    const created = await stack.api('POST', `${base}/clusters`, { body: { name: 'recommended', provider: 'sim', flavor: 'gcp', region: 'us-central1', nodePools: best.nodePools } });
    expect(created.status).toBe(202);
    const running = await untilRunning('recommended');
    expect(running.cost.hourly).toBeCloseTo(best.hourly, 6);
  });

  it('answers 400 naming the field', async () => {
    expect(fieldsOf(await stack.api('POST', `${base}/recommendations`, { body: { cpu: -1, memoryGiB: 8 } }))).toEqual(['cpu']);
    expect(fieldsOf(await stack.api('POST', `${base}/recommendations`, { body: { cpu: 4, memoryGiB: 8, spotShare: 2 } }))).toEqual(['spotShare']);
    expect(fieldsOf(await stack.api('POST', `${base}/recommendations`, { body: { cpu: 4, memoryGiB: 8, providers: ['kwok'] } }))).toEqual(['providers[0]']);
    expect(fieldsOf(await stack.api('POST', `${base}/recommendations`, { body: { cpu: 4, memoryGiB: 8, regions: ['mars-1'] } }))).toEqual(['regions[0]']);
    expect(fieldsOf(await stack.api('POST', `${base}/recommendations`, { body: { cpu: 4, memoryGiB: 8, minNodes: 5, maxNodes: 2 } }))).toEqual(['minNodes']);
  });

  it('answers 503 for a search past its bound, and searches again after', async () => {
    const started = Date.now();
    const huge = await stack.api('POST', `${base}/recommendations`, { body: { cpu: 100_000, memoryGiB: 1_000_000 } });
    expect([huge.status, huge.body.error.message]).toEqual([503, expect.stringMatching(/took over 8 s/)]);
    expect(Date.now() - started).toBeLessThan(SEARCH_TIMEOUT_MS + 2_000);
    expect((await stack.api('POST', `${base}/recommendations`, { body: { providers: ['aks'], regions: ['eastus'], cpu: 4, memoryGiB: 16 } })).status).toBe(200);
  });

  it('keeps the API answering while a search over every cloud and region runs', async () => {
    const started = Date.now();
    const search = stack.api('POST', `${base}/recommendations`, { body: { cpu: 64, memoryGiB: 256, spotShare: 0.5 } });
    const latencies: number[] = [];
    let done = false;
    void search.finally(() => (done = true));
    while (!done) {
      const t = Date.now();
      expect((await stack.api('GET', '/healthz', { token: '' })).status).toBe(200);
      latencies.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await search;
    expect(res.status).toBe(200);
    expect(new Set(res.body.items.map((r: any) => r.provider))).toEqual(new Set(['eks', 'gke', 'aks']));
    const searchMs = Date.now() - started;
    process.stdout.write(`recommendation over every region: ${searchMs} ms; /healthz meanwhile: ${latencies.length} answers, slowest ${Math.max(...latencies)} ms\n`);
    expect(latencies.length).toBeGreaterThan(3);
    expect(Math.max(...latencies)).toBeLessThan(Math.max(500, searchMs / 4));
  });
});
