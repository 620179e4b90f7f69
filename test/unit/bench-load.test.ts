import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constantRate } from '../../bench/lib/load.js';

describe('bench load generator', () => {
  let server: Server;
  let baseUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    // Answers /ok with 200, /missing with 404, and never answers /slow.
    server = createServer((req, res) => {
      seen.push(req.url!);
      if (req.url === '/slow') return;
      res.writeHead(req.url === '/ok' ? 200 : 404).end('body');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends rate × seconds measured requests after the warm-up, and counts answers by status', async () => {
    seen.length = 0;
    const result = await constantRate({ baseUrl, rate: 20, seconds: 1, warmupSeconds: 0.5, timeoutMs: 2000, headers: {}, request: (i) => ({ method: 'GET', path: i % 2 ? '/ok' : '/missing' }) });
    expect(seen).toHaveLength(30);
    expect(result.sent).toBe(20);
    expect(result.statuses).toEqual({ 200: 10, 404: 10 });
    expect(result.errors).toBe(10);
    expect(result.firstError).toMatch(/^GET \/missing: 404 body/);
    expect(result.p50).toBeGreaterThanOrEqual(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    // One p99 per status, each within the overall range.
    expect(Object.keys(result.p99ByStatus).sort()).toEqual(['200', '404']);
    expect(Object.values(result.p99ByStatus).every((ms) => ms >= 0 && ms <= result.max)).toBe(true);
  });

  it('counts a request with no answer in time as a timeout and an error', async () => {
    const result = await constantRate({ baseUrl, rate: 4, seconds: 0.5, warmupSeconds: 0, timeoutMs: 200, headers: {}, request: () => ({ method: 'GET', path: '/slow' }) });
    expect([result.sent, result.timeouts, result.errors]).toEqual([2, 2, 2]);
    expect(result.firstError).toBe('GET /slow: no answer within 200 ms');
    expect(Number.isNaN(result.p99)).toBe(true);
  });
});
