import { join } from 'node:path';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { findCatalogueType, providerOfCloud, type CloudProvider } from '../../src/domain/catalogue/catalogue.js';
import { serveChartRepository } from '../helpers/chart-repository.js';
import { fieldsOf, FIXTURE_CHARTS, type Stack, startStack, TOKENS } from '../helpers/stack.js';

// POST /recommendations for a chart or an existing deployment: the fixture
// chart test/fixtures/charts/sized rendered by the real helm on the helm task
// queue (through the sizing workflow), its requests summed, and layouts that
// hold them with the DaemonSet on every node.

const sim = new SimCloud({ latencyMs: 10 });
let stack: Stack;
let repository: Awaited<ReturnType<typeof serveChartRepository>>;
const base = '/api/v1/orgs/acme';
const SIZED = join(FIXTURE_CHARTS, 'sized');
/** One region per cloud keeps each search short. */
const ONE_REGION_EACH = { regions: ['us-east-1', 'us-central1', 'eastus'] };
/** The fixture chart with its own values (test/unit/workload.test.ts sums it from helm's output too). */
const SIZED_WORKLOAD = {
  pods: { cpu: 8.25, memoryGiB: 11.75, gpu: 0 },
  perNode: { cpu: 1, memoryGiB: 2, gpu: 0 },
  largestPod: { cpu: 3, memoryGiB: 4, gpu: 0 },
};

beforeAll(async () => {
  // The helm queue served with no kubeconfigs: sizing reaches no cluster.
  stack = await startStack({ providers: { sim: sim.activities() }, sizing: true });
  // A registered repository on loopback serving the fixture chart.
  repository = await serveChartRepository([SIZED]);
  expect((await stack.api('POST', `${base}/helm-repositories`, { body: { name: 'sizing-charts', url: repository.url } })).status).toBe(201);
});
afterAll(async () => {
  repository?.close();
  await stack?.stop();
});

const recommend = (body: object, token?: string) => stack.api('POST', `${base}/recommendations`, { body, ...(token ? { token } : {}) });

/** Each layout holds the pods plus the DaemonSets on every node, on types with room for the largest pod beside them. */
function expectHolds(items: any[], workload: typeof SIZED_WORKLOAD): void {
  expect(items.length).toBeGreaterThan(0);
  for (const item of items) {
    const { cpu, memoryGiB, nodes } = item.capacity;
    expect(cpu).toBeGreaterThanOrEqual(workload.pods.cpu + nodes * workload.perNode.cpu - 1e-9);
    expect(memoryGiB).toBeGreaterThanOrEqual(workload.pods.memoryGiB + nodes * workload.perNode.memoryGiB - 1e-9);
    for (const pool of item.nodePools) {
      const type = findCatalogueType(item.cloud, pool.instanceType)!;
      expect(type.cpu).toBeGreaterThanOrEqual(workload.perNode.cpu + workload.largestPod.cpu);
      expect(type.memoryGiB).toBeGreaterThanOrEqual(workload.perNode.memoryGiB + workload.largestPod.memoryGiB);
    }
  }
}

describe('POST /recommendations with a chart', () => {
  it("sums the chart's requests and answers layouts on every cloud that hold them with the DaemonSet on each node", async () => {
    const res = await recommend({ chart: SIZED, ...ONE_REGION_EACH });
    expect(res.status).toBe(200);
    expect(res.body.workload).toMatchObject(SIZED_WORKLOAD);
    expect(res.body.workload.workloads.map((w: any) => `${w.kind}/${w.name}×${w.replicas}`).sort()).toEqual([
      'DaemonSet/sizing-agent×1',
      'Deployment/sizing-web×3',
      'StatefulSet/sizing-db×2',
    ]);
    expectHolds(res.body.items, SIZED_WORKLOAD);
    expect(new Set(res.body.items.map((i: any) => i.provider))).toEqual(new Set(['eks', 'gke', 'aks']));
    // The cheapest AWS layout for this workload, worked out in test/unit/workload.test.ts over a few types, is no dearer here over all of them.
    const aws = res.body.items.find((i: any) => i.provider === ('eks' satisfies CloudProvider));
    expect(aws.hourly).toBeLessThanOrEqual(3 * 0.17 + 1e-9);
    expect(providerOfCloud(aws.cloud)).toBe('eks');
  });

  it('renders with the values given', async () => {
    const res = await recommend({ chart: SIZED, values: { web: { replicas: 10 }, agent: { enabled: false } }, providers: ['gke'], regions: ['us-central1'] });
    expect(res.status).toBe(200);
    expect(res.body.workload.pods).toEqual({ cpu: 10 * 0.75 + 6, memoryGiB: 10 * 1.25 + 8, gpu: 0 });
    expect(res.body.workload.perNode).toEqual({ cpu: 0, memoryGiB: 0, gpu: 0 });
  });

  it("takes a registered repository's chart, at a version", async () => {
    const res = await recommend({ chart: 'sizing-charts/sized', version: '0.1.0', providers: ['aks'], regions: ['eastus'] });
    expect(res.status).toBe(200);
    expect(res.body.workload).toMatchObject(SIZED_WORKLOAD);
    expectHolds(res.body.items, SIZED_WORKLOAD);
  });

  it('answers 400 naming the field for a chart it may not use, or that does not render', async () => {
    expect(fieldsOf(await recommend({ chart: '/etc' }))).toEqual(['chart']);
    expect(fieldsOf(await recommend({ chart: `${FIXTURE_CHARTS}/../../../src` }))).toEqual(['chart']);
    expect(fieldsOf(await recommend({ chart: 'oci://registry.example.com/charts/sized' }))).toEqual(['chart']);
    expect(fieldsOf(await recommend({ chart: 'nowhere/sized' }))).toEqual(['chart']);
    expect(fieldsOf(await recommend({ chart: 'sizing-charts/sized', version: '9.9.9' }))).toEqual(['chart']);
    // A registered repository that does not answer: tried again, then the tenant's to look into.
    expect((await stack.api('POST', `${base}/helm-repositories`, { body: { name: 'sizing-dead', url: 'http://127.0.0.1:1/charts' } })).status).toBe(201);
    const dead = await recommend({ chart: 'sizing-dead/sized' });
    expect([dead.status, fieldsOf(dead)]).toEqual([400, ['chart']]);
    expect(dead.body.error.message).toContain("the chart's repository did not answer");
    // helm refuses to render: a map where the template wants one.
    const broken = await recommend({ chart: SIZED, values: { web: 'not a map' } });
    expect([broken.status, fieldsOf(broken)]).toEqual([400, ['chart']]);
    // It renders, but a replica count the API server would refuse.
    const odd = await recommend({ chart: SIZED, values: { db: { replicas: 'two' } } });
    expect([odd.status, fieldsOf(odd)]).toEqual([400, ['chart']]);
    expect(odd.body.error.message).toContain('StatefulSet/sizing-db');
  });

  it('answers 400 naming the field for a requirement given twice or not at all', async () => {
    expect(fieldsOf(await recommend({ chart: SIZED, cpu: 4 }))).toEqual(['cpu']);
    expect(fieldsOf(await recommend({ chart: SIZED, deployment: { group: 'g', release: 'r' } }))).toEqual(['deployment']);
    expect(fieldsOf(await recommend({ deployment: { group: 'g', release: 'r' }, version: '1.0.0' }))).toEqual(['version']);
    expect(fieldsOf(await recommend({ memoryGiB: 4 }))).toEqual(['cpu']);
    expect(fieldsOf(await recommend({ cpu: 4, memoryGiB: 4, values: { a: 1 } }))).toEqual(['values']);
    expect(fieldsOf(await recommend({ deployment: { group: 'Not_A_Label', release: 'r' } }))).toEqual(['deployment.group']);
    expect(fieldsOf(await recommend({ deployment: { group: 'g' } }))).toEqual(['deployment.release']);
    expect(fieldsOf(await recommend({ chart: SIZED, regions: ['mars-1'] }))).toEqual(['regions[0]']);
    expect(fieldsOf(await recommend({ chart: '' }))).toEqual(['chart']);
  });
});

describe('POST /recommendations for an existing deployment', () => {
  beforeAll(async () => {
    expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'sizing-group', members: [] } })).status).toBe(201);
    const created = await stack.api('POST', `${base}/clustergroups/sizing-group/deployments`, {
      body: { releaseName: 'shop', chart: SIZED, namespace: 'apps', values: { web: { replicas: 5 } } },
    });
    expect(created.status).toBe(202);
  });

  it("sizes its chart with its values, and with values merged over them", async () => {
    const res = await recommend({ deployment: { group: 'sizing-group', release: 'shop' }, providers: ['gke'], regions: ['us-central1'] });
    expect(res.status).toBe(200);
    const workload = { ...SIZED_WORKLOAD, pods: { cpu: 5 * 0.75 + 6, memoryGiB: 5 * 1.25 + 8, gpu: 0 } };
    expect(res.body.workload).toMatchObject(workload);
    // Rendered under the deployment's release name.
    expect(res.body.workload.workloads.map((w: any) => w.name)).toContain('shop-web');
    expectHolds(res.body.items, workload);

    const merged = await recommend({ deployment: { group: 'sizing-group', release: 'shop' }, values: { db: { replicas: 1 } }, providers: ['gke'], regions: ['us-central1'] });
    expect(merged.body.workload.pods).toEqual({ cpu: 5 * 0.75 + 3, memoryGiB: 5 * 1.25 + 4, gpu: 0 });
  });

  it("is a 404 for a deployment that does not exist, or is another org's", async () => {
    expect((await recommend({ deployment: { group: 'sizing-group', release: 'nope' } })).status).toBe(404);
    expect((await recommend({ deployment: { group: 'nope', release: 'shop' } })).status).toBe(404);
    const foreign = await stack.api('POST', '/api/v1/orgs/globex/recommendations', { body: { deployment: { group: 'sizing-group', release: 'shop' } }, token: TOKENS.globex });
    expect(foreign.status).toBe(404);
  });
});
