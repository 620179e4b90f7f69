import fc from 'fast-check';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { MAX_BODY_DEPTH } from '../../src/api/body-limits.js';
import { ErrorBody } from '../../src/api/errors.js';
import { jsonSchema } from '../../src/api/openapi.js';
import { CodecRequest } from '../../src/api/routes/codec.js';
import { REQUEST_ID_PATTERN } from '../../src/domain/ids.js';
import { dnsLabelProblem } from '../../src/domain/names.js';
import { brokenBody, namesField, nastyStrings, validish, type Hints, type JsonSchema } from '../helpers/fuzz.js';
import { versionListingWorkers } from '../helpers/version-listing-workers.js';
import { appRoutes } from '../helpers/routes.js';
import { eventually, FIXTURE_CHARTS as fixtureCharts, startStack, testCodec, TOKENS, type Stack } from '../helpers/stack.js';

// Every route the app registers, ≥1000 requests each: valid-ish ones made
// from the OpenAPI document's schemas (so from the zod schemas), and ones with
// exactly one thing wrong, whose answer is then known: the status, and the
// field a 400 must name. No answer may be a 5xx; every error is the JSON error
// body. The app is the real one, on the shared Temporal dev server, with the
// sim provider behind it; its org `fuzz` is used by no other suite.

const REQUESTS_PER_ROUTE = Number(process.env.FLOTILLA_FUZZ_REQUESTS || 1000);
const SEED = Number(process.env.FLOTILLA_FUZZ_SEED || 20240607);
const CONCURRENCY = 10;
const ORG = 'fuzz';
const MAX_BODY_BYTES = 1024 * 1024;

const chartRoot = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'fuzz-charts-'));
symlinkSync('/etc', join(chartRoot, 'escape'));

interface RouteModel {
  method: string;
  /** Express syntax: `/api/v1/orgs/:org/clusters/:name`. */
  path: string;
  params: string[];
  query?: JsonSchema;
  body?: JsonSchema;
  idempotencyKey: boolean;
  /** How the route authenticates: none, any API token, an org's token for its own org, or the codec's Web UI token in the path. */
  auth: 'none' | 'token' | 'org' | 'codec';
  /** Declared in the route table, which refuses query parameters the route does not take. */
  strictQuery: boolean;
}

/** What an answer must be: one of `statuses` (default: anything below 500), naming `field` in a 400. */
interface Expectation {
  statuses?: number[];
  field?: string;
  code?: string;
}

interface FuzzRequest {
  route: string;
  how: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  expect: Expectation;
}

// Routes outside the OpenAPI document: metrics, the codec endpoint of the Web UI, and the docs page.
const codecBody = jsonSchema(CodecRequest) as JsonSchema;
const UNDESCRIBED: Record<string, Omit<RouteModel, 'method' | 'path' | 'params' | 'idempotencyKey' | 'strictQuery'>> = {
  'GET /metrics': { auth: 'none' },
  'GET /docs': { auth: 'none' },
  'GET /docs/swagger-initializer.js': { auth: 'none' },
  'POST /codec/decode': { auth: 'token', body: codecBody },
  'POST /codec/encode': { auth: 'token', body: codecBody },
  'POST /codec/:token/decode': { auth: 'codec', body: codecBody },
  'POST /codec/:token/encode': { auth: 'codec', body: codecBody },
};

/** Every route of the app, walked from express's router (appRoutes): nothing registered escapes the fuzzer. */
function routeModels(app: Express, openapi: any): RouteModel[] {
  return appRoutes(app).map(({ method, path }) => {
    const params = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const operation = openapi.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
    if (!operation) {
      const extra = UNDESCRIBED[`${method} ${path}`];
      if (!extra) throw new Error(`${method} ${path} is registered but neither in /openapi.json nor in the fuzzer's UNDESCRIBED table: add it`);
      return { method, path, params, idempotencyKey: false, strictQuery: false, ...extra };
    }
    const query = (operation.parameters ?? []).filter((p: any) => p.in === 'query');
    return {
      method,
      path,
      params,
      ...(query.length ? { query: { type: 'object', properties: Object.fromEntries(query.map((p: any) => [p.name, p.schema])) } } : {}),
      ...(operation.requestBody ? { body: operation.requestBody.content['application/json'].schema } : {}),
      idempotencyKey: (operation.parameters ?? []).some((p: any) => p.name === 'Idempotency-Key'),
      auth: operation.security?.length ? (path.startsWith('/api/v1/orgs/') ? 'org' : 'token') : 'none',
      strictQuery: true,
    };
  });
}

// What good values look like where a schema cannot say: existing and absent resources of the org.
const CHARTS = [
  join(fixtureCharts, 'hello'),
  join(fixtureCharts, 'hello', 'missing'),
  join(fixtureCharts, '..', '..', '..', 'package.json'),
  join(chartRoot, 'escape', 'passwd'),
  '/etc',
  './hello',
  '../../../../etc',
  'r1/hello',
  'nowhere/hello',
  'r1/-h',
  'oci://127.0.0.1:1/charts/hello',
  'https://127.0.0.1:1/hello.tgz',
  'file:///etc/passwd',
];
function bodyHints(path: string): Hints {
  const names: Record<string, string[]> = {
    clusters: ['c1', 'c2', 'c3'],
    nodepools: ['web', 'p2', 'p3'],
    clustergroups: ['g1', 'g2'],
    secrets: ['s1', 's2'],
    'helm-repositories': ['r1', 'r2'],
  };
  const kind = Object.keys(names).filter((k) => path.includes(`/${k}`)).pop();
  return {
    ...(kind ? { name: fc.oneof({ arbitrary: fc.constantFrom(...names[kind]!), weight: 4 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }) } : {}),
    provider: fc.oneof({ arbitrary: fc.constant('sim'), weight: 8 }, { arbitrary: fc.constantFrom('kwok', 'eks', 'imported', 'ibm'), weight: 1 }),
    instanceType: fc.oneof({ arbitrary: fc.constantFrom('standard-2', 'standard-4', 'gpu-8'), weight: 5 }, { arbitrary: fc.constant('m5.large'), weight: 1 }),
    count: fc.integer({ min: 0, max: 3 }),
    autoscaling: fc.constantFrom(undefined, false),
    minCount: fc.constantFrom(undefined, undefined, 0),
    maxCount: fc.constantFrom(undefined, undefined, 5),
    labels: fc.option(fc.dictionary(fc.oneof({ arbitrary: fc.constantFrom('tier', 'app.kubernetes.io/name'), weight: 8 }, { arbitrary: fc.constant('Bad Key'), weight: 1 }), fc.constantFrom('web', 'batch', '')), { nil: undefined }),
    taints: fc.option(fc.array(fc.record({ key: fc.constantFrom('dedicated', 'gpu'), value: fc.constantFrom('x', 'y'), effect: fc.constantFrom('NoSchedule', 'NoExecute') }), { maxLength: 2 }), { nil: undefined }),
    // Mostly absent: the sim provider takes no secret and no EKS settings.
    secretId: fc.constantFrom(undefined, undefined, undefined, 'sec-0000000000000000'),
    eks: fc.constant(undefined),
    kubernetesVersion: fc.constantFrom(undefined, '1.31', '1.32'),
    region: fc.constantFrom(undefined, 'sim-1'),
    members: fc.subarray(['c1', 'c2', 'ghost']),
    chart: fc.constantFrom(...CHARTS),
    releaseName: fc.constantFrom('d1', 'd2', 'd3'),
    namespace: fc.oneof({ arbitrary: fc.constantFrom('default', 'apps'), weight: 5 }, { arbitrary: fc.constant('Bad_NS'), weight: 1 }),
    version: fc.constantFrom('0.1.0', '^0.1', '9.9.9'),
    dryRun: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    url: fc.constantFrom('http://127.0.0.1:1/charts', 'https://127.0.0.1:1/charts/'),
    valueOverrides: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('c1', 'c2', 'ghost'), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }), { maxKeys: 2 })),
  };
}

function paramValues(route: RouteModel, name: string, secretIds: string[]): fc.Arbitrary<string> {
  switch (name) {
    case 'org':
      return fc.constant(ORG);
    case 'name':
      return fc.constantFrom('c1', 'c2', 'c3');
    case 'pool':
      return fc.constantFrom('web', 'p2', 'p3');
    case 'group':
      return fc.constantFrom('g1', 'g2');
    case 'release':
      return fc.constantFrom('d1', 'd2', 'd3');
    case 'action':
      return fc.constantFrom('pause', 'resume', 'abort', 'approve');
    case 'token':
      return fc.constant(testCodec().uiToken());
    case 'id':
      return route.path.includes('/secrets/') ? fc.constantFrom(...secretIds, 'sec-0000000000000000') : fc.constantFrom('cluster.c1.1', 'cluster.c1.2', 'cluster.c1.999');
    default:
      return fc.string({ minLength: 1, maxLength: 10 });
  }
}

/** Whether a value is wrong for a path parameter: not a DNS label, not the org, not a secret ID. */
function paramIsBad(param: string, value: string): boolean {
  if (param === 'org') return value !== ORG;
  if (param === 'id' || param === 'token') return !/^sec-[0-9a-f]{16}$/.test(value) && value !== testCodec().uiToken();
  return dnsLabelProblem(value) !== undefined;
}

// Not a good name for anything, and none of them a dot segment or empty, which URL parsing would remove.
const badParams = fc.oneof(
  nastyStrings.filter((s) => s !== '' && s !== '..'),
  fc.constantFrom('C1', 'a_b', '-a', 'a-', 'x'.repeat(64), 'x'.repeat(3000), 'sec-XYZ', 'a b', 'a/b', '%', 'a%2Fb'),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..'),
);
const malformedJson = fc.oneof(
  fc.constantFrom('{', '{"a":}', "{'a': 1}", 'undefined', 'NaN', '{"a":1}}', '[1,]', '\u0000', '"a string"', '42', 'null', 'true', '{"a":"\\x"}', `${'['.repeat(100_000)}`),
  fc.string({ minLength: 1, maxLength: 50 }).map((s) => `{x${s}`),
);
const badAuth = fc.constantFrom<[string | undefined, string]>(
  [undefined, 'no Authorization'],
  ['Bearer wrong-token', 'an unknown token'],
  ['Basic dXNlcjpwYXNz', 'Basic auth'],
  ['Bearer', 'Bearer without a token'],
  [`Bearer ${TOKENS.acme} extra`, 'two tokens'],
  [`Token ${TOKENS.acme}`, 'another scheme'],
);

/** `pathMethods`: the methods every route of this path has, so that the wrong-method request uses one it lacks. */
function requests(route: RouteModel, secretIds: string[], pathMethods: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const name = `${route.method} ${route.path}`;
  const hasBody = route.method !== 'GET';
  const hints = bodyHints(route.path);
  const goodParams = fc.record(Object.fromEntries(route.params.map((p) => [p, paramValues(route, p, secretIds)])) as Record<string, fc.Arbitrary<string>>);
  const goodQuery = route.query
    ? fc.record(
        Object.fromEntries(
          Object.entries(route.query.properties!).map(([k, s]) => [k, k === 'limit' ? fc.integer({ min: 1, max: 500 }).map(String) : k === 'cursor' ? fc.constant(undefined) : validish(s)]),
        ),
        { requiredKeys: [] },
      )
    : fc.constant({});
  const goodBody = route.body ? validish(route.body, hints).map((b) => JSON.stringify(b)) : fc.constant(undefined);
  const goodAuth = route.auth === 'none' || route.auth === 'codec' ? fc.constant(undefined) : fc.constant(`Bearer token-${ORG}`);
  const goodKey = route.idempotencyKey ? fc.option(fc.stringMatching(REQUEST_ID_PATTERN), { nil: undefined }) : fc.constant(undefined);

  const build = (parts: { params: Record<string, string>; query: Record<string, unknown>; body?: string; auth?: string; key?: string; headers?: Record<string, string>; method?: string }) => {
    const url = route.path.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(parts.params[p]!));
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(parts.query)) for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) search.append(k, String(one));
    const headers: Record<string, string> = {
      ...(parts.auth ? { authorization: parts.auth } : {}),
      ...(parts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(parts.key ? { 'idempotency-key': parts.key } : {}),
      ...parts.headers,
    };
    return { url: `${url}${search.size ? `?${search}` : ''}`, headers, method: parts.method ?? route.method, ...(parts.body !== undefined ? { body: parts.body } : {}) };
  };
  const good = fc.record({ params: goodParams, query: goodQuery, body: goodBody, auth: goodAuth, key: goodKey });
  const request = (how: string, expect: Expectation) => (parts: Parameters<typeof build>[0]) => ({ route: name, how, expect, ...build(parts) });
  type Good = { params: Record<string, string>; query: Record<string, unknown>; body: string | undefined; auth: string | undefined; key: string | undefined };
  const clean = (g: Good) => ({ params: g.params, query: g.query, ...(g.body !== undefined ? { body: g.body } : {}), ...(g.auth ? { auth: g.auth } : {}), ...(g.key ? { key: g.key } : {}) });

  const faults: { arbitrary: fc.Arbitrary<FuzzRequest>; weight: number }[] = [{ arbitrary: good.map((g) => request('valid-ish', {})(clean(g))), weight: 30 }];
  if (route.body) {
    faults.push({
      arbitrary: fc.tuple(good, brokenBody(route.body, hints, MAX_BODY_DEPTH)).map(([g, broken]) => {
        const body = JSON.stringify(broken.body);
        const expect: Expectation = body.length > MAX_BODY_BYTES ? { statuses: [413] } : broken.field !== undefined ? { statuses: [400], field: broken.field } : {};
        return request(`body: ${broken.how}`, expect)({ ...clean(g), body });
      }),
      weight: 60,
    });
    faults.push({
      arbitrary: fc.tuple(good, fc.oneof(fc.constantFrom('[]', '[{}]', '[1, 2]'), fc.integer({ min: 65, max: 100_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`))).map(([g, body]) => request(`body ${body.slice(0, 10)} (${body.length} characters)`, { statuses: [400], field: '' })({ ...clean(g), body })),
      weight: 10,
    });
    faults.push({
      arbitrary: fc.tuple(good, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx')).map(([g, type]) =>
        request(`content-type ${type}`, { statuses: [400], field: '' })({ ...clean(g), headers: { 'content-type': type } }),
      ),
      weight: 10,
    });
  }
  if (hasBody) {
    faults.push({
      arbitrary: fc.tuple(good, malformedJson).map(([g, body]) => request(`malformed JSON ${JSON.stringify(body.slice(0, 20))}`, { statuses: [400], code: 'invalid_json' })({ ...clean(g), body })),
      weight: 20,
    });
    faults.push({
      arbitrary: fc.tuple(good, fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES + 100_000 })).map(([g, size]) =>
        request(`a body of ${size} bytes`, { statuses: [413] })({ ...clean(g), body: `{"a":"${'x'.repeat(size)}"}` }),
      ),
      weight: 2,
    });
    faults.push({
      arbitrary: fc.tuple(good, fc.constantFrom('application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=ebcdic')).map(([g, type]) =>
        request(`content-type ${type}`, { statuses: [400, 415] })({ ...clean(g), body: g.body ?? '{}', headers: { 'content-type': type } }),
      ),
      weight: 5,
    });
    faults.push({
      arbitrary: fc.tuple(good, fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'x-unknown')).map(([g, encoding]) =>
        request(`content-encoding ${encoding} over plain JSON`, { statuses: [400, 415] })({ ...clean(g), body: g.body ?? '{}', headers: { 'content-encoding': encoding } }),
      ),
      weight: 5,
    });
  }
  for (const param of route.params) {
    faults.push({
      arbitrary: fc.tuple(good, badParams.filter((bad) => paramIsBad(param, bad))).map(([g, bad]) => {
        // A bad org is another org: absent to the token. A bad codec token is refused.
        const expect: Expectation = param === 'org' ? { statuses: [404] } : param === 'token' ? { statuses: [401] } : { statuses: [400, 404], field: param };
        return request(`:${param} = ${JSON.stringify(bad.slice(0, 40))}`, expect)({ ...clean(g), params: { ...g.params, [param]: bad } });
      }),
      weight: Math.ceil(20 / route.params.length),
    });
  }
  const badQueries = fc.oneof(
    fc.tuple(fc.constantFrom('foo', 'limit[]', 'LIMIT', '__proto__', 'constructor', 'page'), fc.string({ maxLength: 5 })).map(([k, v]) => ({ key: k, value: v as unknown })),
    ...(route.query?.properties?.limit ? [fc.constantFrom('0', '501', '-1', 'abc', '1.5', '', '1e2', '007', ' 5', '99999999999999999999', ['1', '2']).map((v) => ({ key: 'limit', value: v as unknown }))] : []),
    ...(route.query?.properties?.cursor ? [fc.oneof(fc.constantFrom('', 'AAAA', 'not a cursor', 'e30', Buffer.from('{"scope":"visibility:x","token":"AAAA"}').toString('base64url')), fc.base64String({ maxLength: 60 })).map((v) => ({ key: 'cursor', value: v as unknown }))] : []),
    ...Object.entries(route.query?.properties ?? {})
      .filter(([, s]) => s.enum)
      .map(([k]) => fc.constantFrom('SLEEPING', 'yes', '', 'TRUE').map((v) => ({ key: k, value: v as unknown }))),
  );
  faults.push({
    arbitrary: fc.tuple(good, badQueries).map(([g, bad]) =>
      // A list under a resource looks the resource up before it reads the cursor: 404 when it is absent.
      request(`?${bad.key}=${JSON.stringify(bad.value)}`, route.strictQuery ? { statuses: bad.key === 'cursor' ? [400, 404] : [400], field: bad.key } : {})({ ...clean(g), query: { ...g.query, [bad.key]: bad.value } }),
    ),
    weight: 15,
  });
  if (route.auth === 'org' || route.auth === 'token') {
    faults.push({
      arbitrary: fc.tuple(good, badAuth).map(([g, [auth, how]]) => {
        const { auth: _a, ...rest } = clean(g);
        return request(how, { statuses: [401] })({ ...rest, ...(auth ? { auth } : {}) });
      }),
      weight: 10,
    });
  }
  if (route.auth === 'org') {
    faults.push({ arbitrary: good.map((g) => request("another org's token", { statuses: [404] })({ ...clean(g), auth: `Bearer ${TOKENS.acme}` })), weight: 5 });
  }
  if (route.idempotencyKey) {
    faults.push({
      arbitrary: fc.tuple(good, fc.constantFrom('a/b', '-a', '.', 'x'.repeat(129), 'a b', 'a\tb', '{"a":1}')).map(([g, key]) =>
        request(`Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`, { statuses: [400], field: 'Idempotency-Key' })({ ...clean(g), key }),
      ),
      weight: 10,
    });
  }
  // The route table answers a method its path lacks with 405; the routes outside it with 404.
  const wrongMethod = ['PATCH', 'PUT', 'POST', 'DELETE'].find((m) => !pathMethods.includes(m))!;
  faults.push({ arbitrary: good.map((g) => request(`method ${wrongMethod}`, { statuses: [route.strictQuery ? 405 : 404] })({ ...clean(g), method: wrongMethod })), weight: 2 });
  return fc.oneof(...faults);
}

/** What is wrong with an answer, or undefined when it is as it must be. */
function judge(request: FuzzRequest, status: number, text: string): string | undefined {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 200)}`;
  const { statuses, field, code } = request.expect;
  if (statuses && !statuses.includes(status)) return `answered ${status}, want ${statuses.join(' or ')}: ${text.slice(0, 200)}`;
  if (status < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${status} without a JSON body: ${text.slice(0, 200)}`;
  }
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return `a ${status} whose body is not the error shape: ${text.slice(0, 300)}`;
  const { error } = parsed.data;
  if (code && error.code !== code) return `error code ${error.code}, want ${code}`;
  if (status === 400 && error.code === 'invalid_request' && error.details.length === 0) return `a 400 that names no field: ${error.message.slice(0, 200)}`;
  if (status === 400 && field !== undefined && error.code === 'invalid_request' && !error.details.some((d) => namesField(d.field, field))) {
    return `a 400 naming ${error.details.map((d) => `'${d.field}'`).join(', ')}, not '${field}': ${error.message.slice(0, 200)}`;
  }
  return undefined;
}

const sim = new SimCloud({ latencyMs: 1 });
let stack: Stack;
const org = `/api/v1/orgs/${ORG}`;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities(), ...versionListingWorkers(sim) }, chartRoots: [fixtureCharts, chartRoot], sizing: true });
  const pool = { name: 'web', instanceType: 'standard-2', count: 1 };
  const ok = async (res: Promise<{ status: number; text: string }>) => {
    const { status, text } = await res;
    if (status >= 300) throw new Error(`fuzz setup: ${status} ${text}`);
  };
  await ok(stack.api('POST', `${org}/clusters`, { token: `token-${ORG}`, body: { name: 'c1', provider: 'sim', nodePools: [pool] } }));
  await eventually(async () => ((await stack.api('GET', `${org}/clusters/c1`, { token: `token-${ORG}` })).body.status === 'RUNNING' ? true : undefined), 'c1 RUNNING');
  await ok(stack.api('POST', `${org}/clustergroups`, { token: `token-${ORG}`, body: { name: 'g1', members: ['c1'] } }));
  await ok(stack.api('POST', `${org}/helm-repositories`, { token: `token-${ORG}`, body: { name: 'r1', url: 'http://127.0.0.1:1/charts' } }));
  await ok(stack.api('POST', `${org}/secrets`, { token: `token-${ORG}`, body: { name: 's1', type: 'aws', values: { accessKeyId: 'AKIA', secretAccessKey: 'x' } } }));
  await ok(stack.api('POST', `${org}/clustergroups/g1/deployments`, { token: `token-${ORG}`, body: { releaseName: 'd1', chart: join(fixtureCharts, 'hello') } }));
});

afterAll(async () => {
  if (!stack) return;
  // Leave nothing running for later suites' workers to pick up.
  for await (const execution of stack.client.workflow.list({ query: `FlotillaOrg = '${ORG}' AND ExecutionStatus = 'Running'` })) {
    await stack.client.workflow.getHandle(execution.workflowId).terminate('fuzz test done').catch(() => undefined);
  }
  await stack.stop();
});

it(`answers ${REQUESTS_PER_ROUTE} hostile requests per route with no 5xx, and every error as JSON naming the field`, async () => {
  const openapi = (await stack.api('GET', '/openapi.json')).body;
  const all = routeModels(stack.app, openapi);
  expect(all.length).toBeGreaterThan(25);
  // FLOTILLA_FUZZ_ROUTES=<regex> narrows the run to matching `METHOD /path`s, to chase one finding.
  const only = new RegExp(process.env.FLOTILLA_FUZZ_ROUTES || '.');
  const routes = all.filter((r) => only.test(`${r.method} ${r.path}`));
  const secretIds = (await stack.api('GET', `${org}/secrets`, { token: `token-${ORG}` })).body.items.map((s: { id: string }) => s.id);

  const failures: string[] = [];
  const tally = new Map<string, Map<number, number>>();
  const took = new Map<string, string>();
  let retried = 0;
  let unavailable = 0;
  const send = async (request: FuzzRequest, attempt = 1): Promise<{ status: number; text: string } | undefined> => {
    try {
      const res = await fetch(`${stack.baseUrl}${request.url}`, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      // "Try again" from a query that found Temporal's workers busy (the machine is shared with KWOK
      // clusters) is an answer about load, not about the input: once more, as a client would; a
      // second 503 is judged like any 5xx.
      if (res.status === 503 && attempt === 1 && /"code":"unavailable"/.test(text)) {
        unavailable++;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return send(request, 2);
      }
      return { status: res.status, text };
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      // A kept-alive socket the server closed as idle while this process was busy is the client's race, not an answer: once more.
      // Depending on timing undici reports it as a closed socket, or as a reset or broken pipe on the write.
      if (attempt === 1 && ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(cause?.code ?? '')) {
        retried++;
        return send(request, 2);
      }
      failures.push(`${request.route} (${request.how}): no answer: ${(err as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'})`);
      return undefined;
    }
  };
  for (const route of routes) {
    const started = Date.now();
    const cpu = process.cpuUsage();
    // Sampled in chunks, so this process is never busy long enough to let kept-alive sockets time out.
    for (let chunk = 0; chunk * 100 < REQUESTS_PER_ROUTE; chunk++) {
      const batch = fc.sample(requests(route, secretIds, all.filter((r) => r.path === route.path).map((r) => r.method)), { numRuns: Math.min(100, REQUESTS_PER_ROUTE - chunk * 100), seed: SEED + 1000 * all.indexOf(route) + chunk });
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batch.length) {
            const request = batch[next++]!;
            const answer = await send(request);
            if (!answer) continue;
            const counts = tally.get(request.route) ?? new Map<number, number>();
            tally.set(request.route, counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1));
            const wrong = judge(request, answer.status, answer.text);
            if (wrong) failures.push(`${request.method} ${request.url.slice(0, 100)} (${request.how.slice(0, 100)}): ${wrong}`);
          }
        }),
      );
    }
    const used = process.cpuUsage(cpu);
    took.set(`${route.method} ${route.path}`, `${(Date.now() - started) / 1000} s, CPU ${(used.user + used.system) / 1e6} s`);
  }
  const lines = [...tally].map(([route, counts]) => `${route} (${took.get(route)}): ${[...counts].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.log(`fuzz seed ${SEED}: ${routes.length} routes × ${REQUESTS_PER_ROUTE} requests, ${retried} resent after a closed keep-alive socket, ${unavailable} after a 503 'try again'\n${lines.join('\n')}`);
  expect(failures.slice(0, 30)).toEqual([]);
}, 30 * 60_000);
