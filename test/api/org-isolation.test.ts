import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { appRoutes, type AppRoute } from '../helpers/routes.js';
import { MARKED_SECRETS } from '../helpers/secret-markers.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';

// One of every resource in org acme; then globex tries every route the app
// serves, with acme's names, under its own org and under acme's: a resource
// of another org is absent (404), never forbidden, conflicting or visible.
// The routes are read from the app's router, so a new one cannot be skipped.

const ORG_PREFIX = '/api/v1/orgs/:org';
const METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'];
const pool = (name: string) => ({ name, instanceType: 'standard-2', count: 1 });

/** acme's resources, by route parameter. */
const acme = { name: 'iso-a', pool: 'np', group: 'iso-g', release: 'iso-web', secretId: '', clusterOperation: 'cluster.iso-a.1', deploymentOperation: '' };

/** A valid body for each route that takes one, so validation passes and the org's resources decide the answer. */
const BODIES: Record<string, unknown> = {
  'POST /clusters': { name: acme.name, provider: 'sim', nodePools: [pool(acme.pool)] },
  'PATCH /clusters/:name': { labels: { 'iso-tier': 'gold' } },
  'POST /clusters/:name/nodepools': pool('np-more'),
  'PUT /clusters/:name/nodepools/:pool': { count: 2 },
  'POST /secrets': { name: 'iso-secret', type: 'aws', values: MARKED_SECRETS.aws },
  'POST /helm-repositories': { name: 'iso-charts', url: 'https://charts.example.com' },
  // aks: no suite deploys there, so this profile changes no other suite's targets.
  'POST /profiles': { name: acme.name, provider: 'aks' },
  'PUT /profiles/:name': { provider: 'aks', storageClasses: { fast: 'managed-premium' } },
  'POST /clustergroups': { name: acme.group, members: [] },
  'PUT /clustergroups/:group': { members: [acme.name] },
  'POST /clustergroups/:group/deployments': { releaseName: 'iso-web-more', chart: 'iso-charts/hello', namespace: 'apps' },
  'PUT /clustergroups/:group/deployments/:release': { chart: 'iso-charts/hello', namespace: 'apps', values: { changed: true } },
};

/**
 * Routes without a resource in their path, in the caller's own org: lists
 * show nothing of acme's; creates with acme's names succeed (names are per
 * org: a 409 would tell that acme has one).
 */
const LISTS = ['GET /clusters', 'GET /secrets', 'GET /clustergroups', 'GET /helm-repositories', 'GET /profiles'];
/** Routes that answer from the public price catalogue or a provider's version list, the same in every org: nothing of acme's to tell. */
const CATALOGUE = ['GET /instance-types', 'POST /recommendations', 'GET /kubernetes-versions'];
const CREATES: Record<string, number> = { 'POST /clusters': 202, 'POST /secrets': 201, 'POST /helm-repositories': 201, 'POST /profiles': 201, 'POST /clustergroups': 201, 'POST /reconcile': 202 };

let stack: Stack;
let orgRoutes: AppRoute[];
let before: Record<string, unknown>;

const key = (method: string, path: string) => `${method} ${path.slice(ORG_PREFIX.length)}`;
const acmeApi = (method: string, path: string, body?: unknown) => stack.api(method, `/api/v1/orgs/acme${path}`, body === undefined ? {} : { body });

/** The concrete paths of a route for `org`, with acme's resources as parameters. */
function concrete(path: string, org: string): string[] {
  const filled = path.replace(':org', org).replace(':name', acme.name).replace(':pool', acme.pool).replace(':group', acme.group).replace(':release', acme.release).replace(':action', 'approve');
  if (filled.endsWith('/secrets/:id')) return [filled.replace(':id', acme.secretId)];
  if (filled.endsWith('/operations/:id')) return [filled.replace(':id', acme.clusterOperation), filled.replace(':id', acme.deploymentOperation)];
  if (/:\w+/.test(filled)) throw new Error(`route ${path}: no value of acme's for its parameter; add one to the org isolation test`);
  return [filled];
}

const idle = (ops: { state: string }[] = []) => ops.every((op) => op.state !== 'QUEUED' && op.state !== 'RUNNING');

/** What this test made in acme, as acme's token reads it (other suites' acme resources aside). */
async function snapshot(): Promise<Record<string, unknown>> {
  const paths = [
    `/clusters/${acme.name}`,
    `/clusters/${acme.name}/nodepools`,
    '/secrets',
    '/helm-repositories',
    `/profiles/${acme.name}`,
    `/clustergroups/${acme.group}`,
    `/clustergroups/${acme.group}/deployments`,
    `/operations/${acme.clusterOperation}`,
    `/operations/${acme.deploymentOperation}`,
  ];
  const result: Record<string, unknown> = {};
  for (const path of paths) {
    const res = await acmeApi('GET', path);
    expect([path, res.status]).toEqual([path, 200]);
    result[path] = res.body.items ? res.body.items.filter((item: { name?: string; releaseName?: string }) => (item.name ?? item.releaseName ?? '').startsWith('iso-')) : res.body;
  }
  // Read live from its targets at every GET: compared without the time of the reading.
  const deployment = await acmeApi('GET', `/clustergroups/${acme.group}/deployments/${acme.release}`);
  expect(deployment.status).toBe(200);
  result.deployment = JSON.parse(JSON.stringify(deployment.body, (k, v) => (k === 'lastCheckedAt' ? undefined : v)));
  return result;
}

beforeAll(async () => {
  // `fleet: {}`: the helm task queue is served, and fails at once for sim clusters, which have no kubeconfig.
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() }, fleet: {} });
  orgRoutes = appRoutes(stack.app).filter((r) => r.path.startsWith(`${ORG_PREFIX}/`));

  const secret = await acmeApi('POST', '/secrets', BODIES['POST /secrets']);
  expect(secret.status).toBe(201);
  acme.secretId = secret.body.id;
  expect((await acmeApi('POST', '/clusters', BODIES['POST /clusters'])).status).toBe(202);
  await eventually(async () => ((await acmeApi('GET', `/clusters/${acme.name}`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING');
  expect((await acmeApi('POST', `/clusters/${acme.name}/nodepools`, pool('np2'))).status).toBe(202);
  expect((await acmeApi('POST', '/helm-repositories', BODIES['POST /helm-repositories'])).status).toBe(201);
  expect((await acmeApi('POST', '/profiles', BODIES['POST /profiles'])).status).toBe(201);
  expect((await acmeApi('POST', '/clustergroups', { name: acme.group, members: [acme.name] })).status).toBe(201);
  const deployment = await acmeApi('POST', `/clustergroups/${acme.group}/deployments`, { releaseName: acme.release, chart: 'iso-charts/hello', namespace: 'apps' });
  expect(deployment.status).toBe(202);
  acme.deploymentOperation = deployment.body.operationId;
  await eventually(async () => {
    const [cluster, release] = await Promise.all([acmeApi('GET', `/clusters/${acme.name}`), acmeApi('GET', `/clustergroups/${acme.group}/deployments/${acme.release}`)]);
    return cluster.body.status === 'RUNNING' && idle(cluster.body.operations) && release.status === 200 && idle(release.body.operations) ? true : undefined;
  }, 'acme idle');
  before = await snapshot();
});

afterAll(async () => {
  // Other suites share the dev server and the orgs: leave nothing of this test behind.
  await acmeApi('DELETE', `/clustergroups/${acme.group}?force=true`);
  await eventually(async () => ((await acmeApi('GET', `/clustergroups/${acme.group}`)).status === 404 ? true : undefined), 'group deleted').catch(() => undefined);
  for (const [org, token] of [['acme', TOKENS.acme], ['globex', TOKENS.globex]] as const) {
    const cluster = `/api/v1/orgs/${org}/clusters/${acme.name}`;
    await stack.api('DELETE', `${cluster}?force=true`, { token });
    await eventually(async () => ((await stack.api('GET', cluster, { token })).body.status === 'DELETED' ? true : undefined), `${org} cluster deleted`).catch(() => undefined);
  }
  await acmeApi('DELETE', `/secrets/${acme.secretId}`);
  await acmeApi('DELETE', `/profiles/${acme.name}`);
  await stack?.stop();
});

describe('org isolation', () => {
  it("reads the app's org routes from its router", () => {
    const keys = orgRoutes.map((r) => key(r.method, r.path));
    // The resources of this test are all there; a new route shows up in the next tests without a change here.
    expect(keys).toEqual(expect.arrayContaining(['GET /clusters/:name', 'GET /clusters/:name/kubeconfig', 'DELETE /secrets/:id', 'GET /operations/:id', 'PUT /clustergroups/:group/deployments/:release/sync']));
    expect(orgRoutes.length).toBeGreaterThanOrEqual(20);
  });

  it("answers 404 to every method on every route under acme's org, to globex's token", async () => {
    const answers: string[] = [];
    for (const path of new Set(orgRoutes.map((r) => r.path))) {
      for (const method of METHODS) {
        for (const url of concrete(path, 'acme')) {
          const res = await stack.api(method, url, { token: TOKENS.globex, ...(BODIES[key(method, path)] ? { body: BODIES[key(method, path)] } : {}) });
          if (res.status !== 404 || res.text.includes('iso-secret')) answers.push(`${method} ${url}: ${res.status} ${res.text.slice(0, 200)}`);
        }
      }
    }
    expect(answers).toEqual([]);
  });

  it("answers 404 to every route that names one of acme's resources, under globex's own org", async () => {
    const answers: string[] = [];
    const routed = new Set(orgRoutes.map((r) => key(r.method, r.path)));
    for (const path of new Set(orgRoutes.map((r) => r.path))) {
      for (const method of METHODS) {
        const route = key(method, path);
        if (LISTS.includes(route) || route in CREATES || CATALOGUE.includes(route)) continue;
        if (!routed.has(route) && !/:\w+/.test(path.slice(ORG_PREFIX.length))) continue; // e.g. PATCH /clusters: the next test
        // A method the route does not have is a 405 from the route's shape alone, the same for any name: it tells nothing of acme.
        const expected = routed.has(route) ? 404 : 405;
        for (const url of concrete(path, 'globex')) {
          const res = await stack.api(method, url, { token: TOKENS.globex, ...(BODIES[route] ? { body: BODIES[route] } : {}) });
          if (res.status !== expected) answers.push(`${method} ${url}: ${res.status} ${res.text.slice(0, 200)}`);
        }
      }
    }
    expect(answers).toEqual([]);
  });

  it("lists none of acme's resources to globex, and lets globex use acme's names for its own", async () => {
    const unclassified = orgRoutes.map((r) => key(r.method, r.path)).filter((k) => !/:\w+/.test(k) && !LISTS.includes(k) && !(k in CREATES) && !CATALOGUE.includes(k));
    expect(unclassified).toEqual([]);
    const types = '/instance-types?provider=eks&region=us-east-1&minCpu=64';
    const [forAcme, forGlobex] = [await acmeApi('GET', types), await stack.api('GET', `/api/v1/orgs/globex${types}`, { token: TOKENS.globex })];
    expect([forAcme.status, forGlobex.status]).toEqual([200, 200]);
    expect(forGlobex.body).toEqual(forAcme.body);
    const globex = (method: string, path: string, body?: unknown) => stack.api(method, `/api/v1/orgs/globex${path}`, { token: TOKENS.globex, ...(body ? { body } : {}) });
    for (const route of LISTS) {
      const res = await globex('GET', route.split(' ')[1]!);
      expect([route, res.status]).toEqual([route, 200]);
      expect([route, res.text]).toEqual([route, expect.not.stringMatching(/iso-|sec-/)]);
    }
    // Methods a collection does not serve are 405, in globex's org as in any.
    const routed = new Set(orgRoutes.map((r) => key(r.method, r.path)));
    for (const path of new Set(orgRoutes.map((r) => r.path.slice(ORG_PREFIX.length)).filter((p) => !/:\w+/.test(p)))) {
      for (const method of METHODS.filter((m) => !routed.has(`${m} ${path}`))) {
        expect([`${method} ${path}`, (await globex(method, path)).status]).toEqual([`${method} ${path}`, 405]);
      }
    }
    for (const [route, status] of Object.entries(CREATES)) {
      const res = await globex('POST', route.split(' ')[1]!, BODIES[route]);
      expect([route, res.status]).toEqual([route, status]);
    }
    // What globex made is its own: gone again, acme's untouched (checked next).
    const own = (await globex('GET', '/secrets')).body.items.find((s: { name: string }) => s.name === 'iso-secret');
    expect(own.id).not.toBe(acme.secretId);
    expect((await globex('DELETE', `/secrets/${own.id}`)).status).toBe(204);
    expect((await globex('DELETE', `/clustergroups/${acme.group}`)).status).toBe(202);
    expect((await globex('DELETE', `/profiles/${acme.name}`)).status).toBe(200);
    expect((await globex('DELETE', `/clusters/${acme.name}?force=true`)).status).toBe(202);
  });

  it("leaves acme's resources as they were", async () => {
    expect(await snapshot()).toEqual(before);
  });
});
