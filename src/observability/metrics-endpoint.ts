import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Node process metrics (CPU, memory, event loop lag, GC) in a registry of their own. */
export function processMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The Prometheus text of `registries`, or a 401 when `token` is set and the
 * request does not carry it as a bearer token.
 */
export async function serveScrape(registries: Registry[], token: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('a valid bearer token is required\n');
    return;
  }
  const merged = registries.length === 1 ? registries[0]! : Registry.merge(registries);
  try {
    const text = await merged.metrics();
    res.writeHead(200, { 'content-type': merged.contentType }).end(text);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${(err as Error).message}\n`);
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A small HTTP server with `GET /metrics`, and `/healthz` and `/readyz` for
 * the probes of a worker's pod (deploy/helm/flotilla): how a worker process
 * exposes Flotilla's metrics and its health. Ready only while `ready()` says so.
 */
export function startMetricsServer(options: { registries: Registry[]; host: string; port: number; token?: string; ready?: () => boolean }): Promise<MetricsServer> {
  const probe = (res: ServerResponse, ok: boolean, status: string) =>
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
  const server: Server = createServer((req, res) => {
    const path = req.method === 'GET' ? req.url?.split('?')[0] : undefined;
    if (path === '/metrics') void serveScrape(options.registries, options.token, req, res);
    else if (path === '/healthz') probe(res, true, 'ok');
    else if (path === '/readyz') {
      const ready = options.ready?.() ?? true;
      probe(res, ready, ready ? 'ready' : 'not ready');
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics, /healthz and /readyz are served here\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/metrics`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
