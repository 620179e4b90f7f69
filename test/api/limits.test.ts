import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { MAX_BODY_DEPTH } from '../../src/api/body-limits.js';
import { MAX_HELM_REPOSITORIES, MAX_NODE_POOLS } from '../../src/domain/validation.js';
import { MAX_VALUES_BYTES, MAX_VALUES_DEPTH } from '../../src/domain/values.js';
import { eventually, fieldsOf, FIXTURE_CHARTS, type Stack, startStack, TOKENS } from '../helpers/stack.js';

// Limits on what one request may ask for, through the real API on the shared dev server.

const sim = new SimCloud({ latencyMs: 1 });
const base = '/api/v1/orgs/acme';
const hello = join(FIXTURE_CHARTS, 'hello');
// A second chart root, with a way out of it through a symlink.
const root = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'limits-charts-'));
const outside = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'limits-outside-'));
mkdirSync(join(outside, 'chart'));
symlinkSync(join(outside, 'chart'), join(root, 'escape'));
let stack: Stack;

const pool = (name: string) => ({ name, instanceType: 'standard-2', count: 1 });
const nested = (levels: number) => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as Record<string, unknown>;
};

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities() }, chartRoots: [FIXTURE_CHARTS, root], maxBodyBytes: 512 * 1024 });
  expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'lim-group', members: [] } })).status).toBe(201);
});
afterAll(() => stack?.stop());

describe('request bodies', () => {
  it('answers a body over the configured limit with a 413 naming the limit', async () => {
    const res = await stack.api('POST', `${base}/secrets`, { raw: JSON.stringify({ name: 'big', type: 'kubeconfig', values: { kubeconfig: 'x'.repeat(600 * 1024) } }) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'too_large', limitBytes: 512 * 1024, message: expect.stringContaining('524288 bytes (FLOTILLA_MAX_BODY_BYTES)') });
  });

  it('refuses a body nested deeper than the limit, naming where', async () => {
    const res = await stack.api('POST', `${base}/clusters`, { body: { name: 'lim-deep', provider: 'sim', nodePools: [pool('a')], eks: nested(MAX_BODY_DEPTH) } });
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toEqual([`eks${'.a'.repeat(MAX_BODY_DEPTH - 1)}`]);
    const raw = await stack.api('POST', `${base}/clusters`, { raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}` });
    expect([raw.status, raw.body.error.message]).toEqual([400, expect.stringContaining(`nested deeper than ${MAX_BODY_DEPTH} levels`)]);
  });

  it('names an unknown field itself', async () => {
    const res = await stack.api('POST', `${base}/clusters`, { body: { name: 'lim-x', provider: 'sim', nodePools: [{ ...pool('a'), colour: 'blue' }], size: 3 } });
    expect(fieldsOf(res).sort()).toEqual(['nodePools[0].colour', 'size']);
  });
});

describe('request line and headers', () => {
  /** What a client that writes a whole request at once reads back, and whether the connection was reset. */
  const rawExchange = (request: string) =>
    new Promise<{ answer: string; reset: boolean }>((resolve) => {
      const socket = connect(Number(new URL(stack.baseUrl).port), '127.0.0.1');
      let answer = '';
      let reset = false;
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('error', (err: NodeJS.ErrnoException) => (reset = err.code === 'ECONNRESET'));
      socket.on('close', () => resolve({ answer, reset }));
      socket.write(request);
    });

  it("answers past Node's limit with a 431 JSON error, and closes without resetting a client still sending", async () => {
    // A megabyte of query: the answer is due while most of it is still on its way (Node's own answer reset such connections).
    const { answer, reset } = await rawExchange(`GET ${base}/secrets?cursor=${'A'.repeat(1 << 20)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.acme}\r\n\r\n`);
    expect(reset).toBe(false);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 [^]*content-type: application\/json/i);
    expect(JSON.parse(body!).error).toEqual({ code: 'too_large', message: expect.stringContaining(`${maxHeaderSize} bytes`), details: [], limitBytes: maxHeaderSize });
  });
});

describe('node pools per cluster', () => {
  it(`refuses more than ${MAX_NODE_POOLS} in a create, and an add past ${MAX_NODE_POOLS} counting the existing ones`, async () => {
    const pools = Array.from({ length: MAX_NODE_POOLS + 1 }, (_, i) => pool(`p${i}`));
    const tooMany = await stack.api('POST', `${base}/clusters`, { body: { name: 'lim-pools', provider: 'sim', nodePools: pools } });
    expect([tooMany.status, fieldsOf(tooMany)]).toEqual([400, ['nodePools']]);

    expect((await stack.api('POST', `${base}/clusters`, { body: { name: 'lim-pools', provider: 'sim', nodePools: pools.slice(0, MAX_NODE_POOLS) } })).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/lim-pools`)).body.status === 'RUNNING' ? true : undefined), 'lim-pools RUNNING');
    const add = await stack.api('POST', `${base}/clusters/lim-pools/nodepools`, { body: pool('one-more') });
    expect(add.status).toBe(400);
    expect(add.body.error.details).toEqual([expect.objectContaining({ field: 'name', message: expect.stringContaining(`the most a cluster may have (${MAX_NODE_POOLS})`) })]);
  });

  it('pages through the pools of a cluster in their order', async () => {
    const first = await stack.api('GET', `${base}/clusters/lim-pools/nodepools?limit=15`);
    expect([first.body.items.length, typeof first.body.nextCursor]).toEqual([15, 'string']);
    const second = await stack.api('GET', `${base}/clusters/lim-pools/nodepools?limit=15&cursor=${first.body.nextCursor}`);
    expect(second.body.nextCursor).toBeUndefined();
    expect([...first.body.items, ...second.body.items].map((p: any) => p.name)).toEqual(Array.from({ length: MAX_NODE_POOLS }, (_, i) => `p${i}`));
  });
});

describe('Helm values', () => {
  const deploy = (body: Record<string, unknown>) => stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { chart: hello, dryRun: true, ...body } });

  it(`refuses a values document over ${MAX_VALUES_BYTES} bytes or nested deeper than ${MAX_VALUES_DEPTH}, naming the document`, async () => {
    const big = await deploy({ values: { blob: 'x'.repeat(MAX_VALUES_BYTES) } });
    expect([big.status, fieldsOf(big)]).toEqual([400, ['values']]);
    const deep = await deploy({ values: nested(MAX_VALUES_DEPTH + 1) });
    expect(deep.status).toBe(400);
    expect(fieldsOf(deep)[0]).toMatch(/^values(\.a)+$/);
    expect((await deploy({ values: nested(MAX_VALUES_DEPTH - 1) })).status).toBe(200);
  });

  it('applies the same limits to each per-cluster override', async () => {
    const res = await stack.api('PUT', `${base}/clustergroups/lim-group/deployments/none`, {
      body: { chart: hello, valueOverrides: { east: { blob: 'é'.repeat(MAX_VALUES_BYTES / 2) } } },
    });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['valueOverrides.east']]);
  });

  it('refuses an edit whose values, merged with reuseValues, would grow past the limit', async () => {
    const created = await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { releaseName: 'lim-values', chart: hello, values: { a: 'x'.repeat(MAX_VALUES_BYTES * 0.6) } } });
    expect(created.status).toBe(202);
    const edit = await stack.api('PUT', `${base}/clustergroups/lim-group/deployments/lim-values`, {
      body: { chart: hello, values: { b: 'y'.repeat(MAX_VALUES_BYTES * 0.6) }, reuseValues: true },
    });
    expect([edit.status, fieldsOf(edit)]).toEqual([400, ['values']]);
    const replace = await stack.api('PUT', `${base}/clustergroups/lim-group/deployments/lim-values`, { body: { chart: hello, values: { b: 'y'.repeat(MAX_VALUES_BYTES * 0.6) } } });
    expect(replace.status).toBe(202);
  });
});

describe('chart roots', () => {
  it.each([
    ['a .. escape', join(FIXTURE_CHARTS, 'hello', '..', '..', '..', '..', 'package.json')],
    ['a symlink out of a root', join(root, 'escape')],
    ['an absolute path outside every root', join(outside, 'chart')],
    ['a relative path outside every root', '../../etc'],
    ['a chart URL', 'https://127.0.0.1:1/hello-0.1.0.tgz'],
  ])('refuses %s with a 400 naming chart', async (_what, chart) => {
    const res = await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { chart, dryRun: true } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'chart', message: expect.stringContaining('FLOTILLA_CHART_ROOTS') })]);
  });

  it('accepts a chart under a root; a repository chart must name a registered repository; OCI stays allowed', async () => {
    expect((await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { chart: hello, dryRun: true } })).status).toBe(200);
    const unknownRepo = await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { chart: 'lim-nowhere/hello', dryRun: true } });
    expect([unknownRepo.status, fieldsOf(unknownRepo)]).toEqual([400, ['chart']]);
    expect((await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { chart: 'oci://127.0.0.1:1/charts/hello', dryRun: true } })).status).toBe(200);
  });

  it('refuses a version that helm would read as a flag', async () => {
    const res = await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { chart: hello, version: '--devel', dryRun: true } });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['version']]);
  });
});

describe('pagination', () => {
  /** Every item of a list, page by page, checking each page's size. */
  async function walk(path: string, limit: number, token = TOKENS.acme): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | undefined;
    do {
      const res = await stack.api('GET', `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  it('pages through clusters, groups, deployments, secrets and Helm repositories, each item once', async () => {
    for (const name of ['lim-a', 'lim-b', 'lim-c']) {
      expect((await stack.api('POST', `${base}/clusters`, { body: { name, provider: 'sim', nodePools: [pool('a')] } })).status).toBe(202);
      expect((await stack.api('POST', `${base}/secrets`, { body: { name, type: 'aws', values: { accessKeyId: 'AKIA', secretAccessKey: 's' } } })).status).toBe(201);
      expect((await stack.api('POST', `${base}/helm-repositories`, { body: { name, url: 'https://charts.example.com' } })).status).toBe(201);
      expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: `${name}-group`, members: [] } })).status).toBe(201);
      expect((await stack.api('POST', `${base}/clustergroups/lim-group/deployments`, { body: { releaseName: name, chart: hello } })).status).toBe(202);
    }
    const mine = (items: any[], key: string) => items.map((i) => i[key]).filter((n: string) => n.startsWith('lim-'));
    const once = (names: string[]) => expect(names.length).toBe(new Set(names).size);
    // Visibility is eventually consistent: wait until a full walk sees them all.
    await eventually(async () => (mine(await walk(`${base}/clusters`, 2), 'name').filter((n) => /^lim-[abc]$/.test(n)).length === 3 ? true : undefined), 'clusters listed');
    const clusters = mine(await walk(`${base}/clusters`, 2), 'name');
    once(clusters);
    expect(clusters).toEqual(expect.arrayContaining(['lim-a', 'lim-b', 'lim-c']));
    await eventually(async () => (mine(await walk(`${base}/clustergroups`, 1), 'name').length >= 4 ? true : undefined), 'groups listed');
    const groups = mine(await walk(`${base}/clustergroups`, 1), 'name');
    once(groups);
    expect(groups).toEqual(expect.arrayContaining(['lim-a-group', 'lim-b-group', 'lim-c-group', 'lim-group']));
    await eventually(async () => (mine(await walk(`${base}/clustergroups/lim-group/deployments`, 2), 'releaseName').length >= 4 ? true : undefined), 'deployments listed');
    const deployments = mine(await walk(`${base}/clustergroups/lim-group/deployments`, 2), 'releaseName');
    once(deployments);
    expect(deployments).toEqual(expect.arrayContaining(['lim-a', 'lim-b', 'lim-c', 'lim-values']));
    expect(mine(await walk(`${base}/secrets`, 2), 'name')).toEqual(['lim-a', 'lim-b', 'lim-c']);
    expect(mine(await walk(`${base}/helm-repositories`, 2), 'name')).toEqual(['lim-a', 'lim-b', 'lim-c']);
  });

  it('answers a limit out of range or a foreign cursor with a 400 naming it', async () => {
    for (const limit of ['0', '501', 'ten', '-1', '1.5']) {
      const res = await stack.api('GET', `${base}/secrets?limit=${limit}`);
      expect([limit, res.status, fieldsOf(res)]).toEqual([limit, 400, ['limit']]);
    }
    const { nextCursor } = (await stack.api('GET', `${base}/secrets?limit=1`)).body;
    const foreign = await stack.api('GET', `${base}/helm-repositories?cursor=${nextCursor}`);
    expect([foreign.status, fieldsOf(foreign)]).toEqual([400, ['cursor']]);
    const clustersCursor = (await stack.api('GET', `${base}/clusters?limit=1`)).body.nextCursor;
    const otherFilter = await stack.api('GET', `${base}/clusters?provider=sim&cursor=${clustersCursor}`);
    expect([otherFilter.status, fieldsOf(otherFilter)]).toEqual([400, ['cursor']]);
    const forged = Buffer.from(JSON.stringify({ scope: `visibility:FlotillaKind = 'cluster' AND FlotillaOrg = 'acme' AND ExecutionStatus = 'Running'`, token: 'AAAA' })).toString('base64url');
    const garbage = await stack.api('GET', `${base}/clusters?cursor=${forged}`);
    expect([garbage.status, fieldsOf(garbage)]).toEqual([400, ['cursor']]);
  });
});

describe('Helm repositories per organization', () => {
  it(`refuses the ${MAX_HELM_REPOSITORIES + 1}th, naming the field`, async () => {
    // An org of its own: filling globex's quota would break the org isolation test.
    const token = TOKENS.quota;
    const org = '/api/v1/orgs/quota';
    const have = (await stack.api('GET', `${org}/helm-repositories?limit=500`, { token })).body.items.length;
    for (let i = have; i < MAX_HELM_REPOSITORIES; i++) {
      expect((await stack.api('POST', `${org}/helm-repositories`, { token, body: { name: `lim-${i}`, url: 'https://charts.example.com' } })).status).toBe(201);
    }
    const res = await stack.api('POST', `${org}/helm-repositories`, { token, body: { name: 'lim-one-more', url: 'https://charts.example.com' } });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['name']]);
    // Replacing one that exists is still fine.
    expect((await stack.api('POST', `${org}/helm-repositories`, { token, body: { name: 'lim-0', url: 'https://other.example.com' } })).status).toBe(201);
  });
});
