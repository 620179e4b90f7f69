import { FailureType } from '../../src/domain/problems.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { chartPathProblem, isLocalChart } from '../../src/adapters/helm/chart-roots.js';
import { Helm } from '../../src/adapters/helm/helm.js';
import { Cursors } from '../../src/api/pagination.js';
import { TokenBucket } from '../../src/api/rate-limit.js';
import { parseRateLimit } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import { MAX_VALUES_BYTES, MAX_VALUES_DEPTH, pathDeeperThan, valuesProblems } from '../../src/domain/values.js';
import { testAccess } from '../helpers/egress.js';

describe('TokenBucket', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('allows a burst, then refuses with the seconds until the next token', () => {
    const time = clock();
    const bucket = new TokenBucket({ requests: 2, seconds: 1, burst: 5 }, time.now);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toEqual({ ok: true });
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 1 });
    time.advance(499);
    expect(bucket.take().ok).toBe(false);
    time.advance(1);
    expect(bucket.take()).toEqual({ ok: true });
    expect(bucket.take().ok).toBe(false);
  });

  it('refills at the configured rate, never above the burst', () => {
    const time = clock();
    const bucket = new TokenBucket({ requests: 1, seconds: 10, burst: 3 }, time.now);
    for (let i = 0; i < 3; i++) bucket.take();
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 10 });
    time.advance(4_000);
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 6 });
    time.advance(3_600_000);
    const taken = Array.from({ length: 5 }, () => bucket.take().ok);
    expect(taken).toEqual([true, true, true, false, false]);
  });

  it('does not refill when the clock goes back', () => {
    const time = clock();
    const bucket = new TokenBucket({ requests: 1, seconds: 1, burst: 1 }, time.now);
    bucket.take();
    time.advance(-60_000);
    expect(bucket.take().ok).toBe(false);
  });
});

describe('limit configuration', () => {
  it('reads FLOTILLA_RATE_LIMIT, FLOTILLA_RATE_BURST, FLOTILLA_MAX_BODY_BYTES and FLOTILLA_CHART_ROOTS', () => {
    const defaults = loadConfig({ FLOTILLA_DATA_DIR: '/data' });
    expect(defaults).toMatchObject({ rateLimit: { requests: 20, seconds: 1, burst: 100 }, maxBodyBytes: 1024 * 1024, chartRoots: ['/data/charts'] });
    const set = loadConfig({ FLOTILLA_RATE_LIMIT: '600/60', FLOTILLA_RATE_BURST: '10', FLOTILLA_MAX_BODY_BYTES: '256kb', FLOTILLA_CHART_ROOTS: '/a:/b/c' });
    expect(set).toMatchObject({ rateLimit: { requests: 600, seconds: 60, burst: 10 }, maxBodyBytes: 256 * 1024, chartRoots: ['/a', '/b/c'] });
    expect(loadConfig({ FLOTILLA_RATE_LIMIT: 'off' }).rateLimit).toBeUndefined();
    expect(() => parseRateLimit('20 per second', '1')).toThrow(/FLOTILLA_RATE_LIMIT/);
    expect(() => parseRateLimit('20/1', '0')).toThrow(/FLOTILLA_RATE_BURST/);
    expect(() => loadConfig({ FLOTILLA_MAX_BODY_BYTES: 'lots' })).toThrow(/FLOTILLA_MAX_BODY_BYTES/);
  });

  it('reads FLOTILLA_LIST_CACHE_MS: a second by default, 0 to turn sharing off', () => {
    expect(loadConfig({}).listCacheMs).toBe(1000);
    expect(loadConfig({ FLOTILLA_LIST_CACHE_MS: '0' }).listCacheMs).toBe(0);
    expect(() => loadConfig({ FLOTILLA_LIST_CACHE_MS: '1s' })).toThrow(/FLOTILLA_LIST_CACHE_MS must be a whole number of milliseconds/);
  });
});

describe('values limits', () => {
  const nested = (levels: number): Record<string, unknown> => {
    let doc: Record<string, unknown> = {};
    for (let i = 1; i < levels; i++) doc = { a: doc };
    return doc;
  };

  it('finds where a value nests too deep, without recursion, even for very deep values', () => {
    expect([pathDeeperThan(1, 0), pathDeeperThan({}, 1), pathDeeperThan({ a: [1, { b: null }] }, 3)]).toEqual([undefined, undefined, undefined]);
    expect(pathDeeperThan({ a: [1, { b: null }], c: 2 }, 2)).toEqual(['a', 1]);
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(pathDeeperThan(deep, 3)).toEqual([0, 0, 0]);
    expect(pathDeeperThan(deep, 200_000)).toBeUndefined();
  });

  it('names the document that is too deep or too large', () => {
    expect(valuesProblems(nested(MAX_VALUES_DEPTH), ['values'])).toEqual([]);
    expect(valuesProblems(nested(MAX_VALUES_DEPTH + 1), ['values'])).toEqual([
      { path: ['values', ...Array(MAX_VALUES_DEPTH).fill('a')], message: `nested deeper than ${MAX_VALUES_DEPTH} levels` },
    ]);
    // Multi-byte characters count as the bytes they take.
    const big = { text: 'é'.repeat(MAX_VALUES_BYTES / 2) };
    expect(valuesProblems(big, ['valueOverrides', 'east'])).toEqual([{ path: ['valueOverrides', 'east'], message: expect.stringMatching(/bytes of JSON; at most 131072$/) }]);
    expect(valuesProblems({ text: 'x'.repeat(MAX_VALUES_BYTES - 20) }, [])).toEqual([]);
  });
});

describe('pageOfList', () => {
  const cursors = new Cursors([randomBytes(32)]);
  const items = Array.from({ length: 7 }, (_, i) => i);

  it('walks a list page by page with opaque cursors', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = cursors.pageOfList(items, { limit: 3, ...(cursor ? { cursor } : {}) }, 'numbers');
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect([seen, pages]).toEqual([items, 3]);
    expect(cursors.pageOfList(items, { limit: 7 }, 'numbers')).toEqual({ items });
  });

  it("refuses another list's cursor, a forged or altered one and garbage, naming cursor", () => {
    const { nextCursor } = cursors.pageOfList(items, { limit: 2 }, 'numbers');
    const [body, signature] = nextCursor!.split('.');
    const altered = `${Buffer.from(Buffer.from(body!, 'base64url').toString().replace('2', '5')).toString('base64url')}.${signature}`;
    const forged = `${Buffer.from('{"scope":"numbers","offset":5}').toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`;
    const refusals: [string, string][] = [
      [nextCursor!, 'letters'],
      [altered, 'numbers'],
      [forged, 'numbers'],
      ['bm90IGpzb24', 'numbers'],
      ['bm90IGpzb24.bm90IGpzb24', 'numbers'],
    ];
    for (const [cursor, scope] of refusals) {
      expect(() => cursors.pageOfList(items, { limit: 2, cursor }, scope)).toThrow(expect.objectContaining({ status: 400, details: [expect.objectContaining({ field: 'cursor' })] }));
    }
  });
});

describe('chart roots', () => {
  const base = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR ?? '/tmp', 'chart-roots-'));
  const root = join(base, 'charts');
  const outside = join(base, 'elsewhere');
  mkdirSync(join(root, 'hello'), { recursive: true });
  mkdirSync(join(outside, 'evil'), { recursive: true });
  symlinkSync(join(outside, 'evil'), join(root, 'link'));
  symlinkSync(join(outside, 'not-yet'), join(root, 'dangling'));

  it('tells local charts from repository and OCI charts', () => {
    expect(['./charts/x', '/srv/charts/x', '../x', 'https://example.com/x.tgz', 'repo/-flag'].every(isLocalChart)).toBe(true);
    expect(['oci://registry.example.com/charts/x', 'bitnami/nginx'].some(isLocalChart)).toBe(false);
  });

  it('accepts paths under a root, existing or not yet', async () => {
    expect(await chartPathProblem(join(root, 'hello'), [outside + '-none', root])).toBeUndefined();
    expect(await chartPathProblem(join(root, 'hello', 'missing'), [root])).toBeUndefined();
    expect(await chartPathProblem(join(root, '..charts-lookalike'), [root])).toBeUndefined();
  });

  it.each([
    ['an absolute path outside', () => join(outside, 'evil')],
    ['a .. escape', () => join(root, 'hello', '..', '..', 'elsewhere', 'evil')],
    ['a symlink out of the root', () => join(root, 'link')],
    ['a path through a symlink out of the root', () => join(root, 'link', 'templates')],
    ['a dangling symlink', () => join(root, 'dangling')],
    ['a sibling with the root as prefix', () => `${root}-other/x`],
  ])('refuses %s', async (_what, path) => {
    expect(await chartPathProblem(path(), [root])).toMatch(/must lie under .*FLOTILLA_CHART_ROOTS/);
  });

  it('is checked again by the Helm runner, before helm runs, without retries', async () => {
    // The binary would fail anyway: the point is that it is never reached.
    const helm = new Helm('/nonexistent/helm', join(base, 'helm-home'), testAccess().egress, [root]);
    const release = { name: 'web', namespace: 'apps', chart: join(root, 'link'), values: {} };
    await expect(helm.template(release)).rejects.toMatchObject({ type: FailureType.chartOutsideRoots, nonRetryable: true });
    await expect(helm.upgradeInstall('kubeconfig', release)).rejects.toMatchObject({ type: FailureType.chartOutsideRoots });
    await expect(helm.template({ ...release, chart: join(root, 'hello') })).rejects.not.toMatchObject({ type: FailureType.chartOutsideRoots });
  });

  it('refuses every local chart when no root is configured', async () => {
    expect(await chartPathProblem(join(root, 'hello'), [])).toMatch(/FLOTILLA_CHART_ROOTS lists no directory/);
  });
});
