import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { connect as tcpConnect, isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { EndpointPolicy } from './endpoint-policy.js';

/** A host name's addresses. Injected in tests, so that no test asks a real DNS server. */
export type Resolver = (host: string) => Promise<string[]>;
/** A connection to an address that the policy allowed. Injected in tests, which record what would have been dialled. */
export type Connector = (address: string, port: number) => Promise<Duplex>;

/**
 * An endpoint a tenant named is refused by the policy, or does not answer.
 * One message for both, so the answer never tells a tenant whether a port
 * on some address is open; the reason stays in `cause` for the operator's logs.
 */
export class EndpointUnreachable extends Error {
  override readonly name = 'EndpointUnreachable';
  constructor(
    readonly endpoint: string,
    readonly reason: string,
  ) {
    super(`${endpoint} is not reachable from Flotilla: refused by its endpoint policy, or not answering`);
  }
}

export interface GetResult {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const tcp: Connector = (address, port) =>
  new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });

/**
 * The one way out to what tenants name. Every connection — Flotilla's own
 * (chart downloads, imported clusters' API servers) and helm's (through the
 * guard proxy its kubeconfigs name) — is dialled here: the host is resolved,
 * every address checked against the policy, and the checked address itself
 * dialled, so a name cannot resolve differently between check and use.
 */
export class Egress {
  private guard?: Promise<{ url: string; server: http.Server }>;

  constructor(
    readonly policy: EndpointPolicy,
    private readonly options: { resolve?: Resolver; connect?: Connector; connectTimeoutMs?: number } = {},
  ) {}

  /** The addresses `host` may be dialled at; EndpointUnreachable when any of them is refused. */
  async addresses(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) {
      if (!this.policy.allowsAddress(bare)) throw new EndpointUnreachable(host, `address ${bare} is refused`);
      return [bare];
    }
    let found: string[];
    try {
      found = await (this.options.resolve ?? systemResolver)(bare);
    } catch (err) {
      throw new EndpointUnreachable(host, `does not resolve: ${(err as Error).message}`);
    }
    if (found.length === 0) throw new EndpointUnreachable(host, 'resolves to nothing');
    if (this.policy.allowsHost(bare)) return found;
    const refused = found.find((a) => !this.policy.allowsAddress(a));
    if (refused) throw new EndpointUnreachable(host, `resolves to ${refused}, which is refused`);
    return found;
  }

  /** The checked URL's host, or EndpointUnreachable: what the API asks before it accepts a URL, without connecting. */
  async checkUrl(url: string): Promise<void> {
    await this.addresses(new URL(url).hostname);
  }

  /** A connection to host:port through the policy. */
  async dial(host: string, port: number): Promise<Duplex> {
    const endpoint = `${host}:${port}`;
    const addresses = await this.addresses(host);
    let last: unknown;
    for (const address of addresses) {
      try {
        return await within((this.options.connect ?? tcp)(address, port), this.options.connectTimeoutMs ?? 10_000);
      } catch (err) {
        last = err;
      }
    }
    throw new EndpointUnreachable(endpoint, `no answer: ${(last as Error)?.message ?? 'unknown'}`);
  }

  /**
   * A GET through the policy, following up to five redirects, each checked
   * again. Credentials are not carried to another origin.
   */
  async get(url: string, options: { headers?: Record<string, string>; maxBytes: number; signal?: AbortSignal; ca?: string }): Promise<GetResult> {
    let current = new URL(url);
    let headers = { ...options.headers };
    for (let hop = 0; hop <= 5; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new EndpointUnreachable(current.href, `scheme ${current.protocol} is not http(s)`);
      const response = await this.request(current, headers, options);
      const location = response.headers.location;
      if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
        response.resume();
        const next = new URL(location, current);
        if (next.origin !== current.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
        current = next;
        continue;
      }
      return { status: response.statusCode ?? 0, headers: response.headers, body: await readAtMost(response, options.maxBytes), url: current.href };
    }
    throw new EndpointUnreachable(url, 'more than five redirects');
  }

  /**
   * An HTTP proxy on loopback that dials through the policy: tenant kubeconfigs
   * name it as their `proxy-url`, so helm and the Kubernetes client reach a
   * tenant's API server only through here. Started on first use.
   */
  async proxyUrl(): Promise<string> {
    this.guard ??= this.startGuard();
    return (await this.guard).url;
  }

  async close(): Promise<void> {
    const guard = await this.guard;
    if (guard) await new Promise<void>((resolve) => guard.server.close(() => resolve()));
  }

  private request(url: URL, headers: Record<string, string>, options: { signal?: AbortSignal; ca?: string }): Promise<IncomingMessage> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        {
          method: 'GET',
          host,
          port,
          path: `${url.pathname}${url.search}`,
          headers,
          // No agent: with one (even `agent: false`, which makes a fresh one) Node dials by itself and ignores createConnection.
          ...(options.signal ? { signal: options.signal } : {}),
          createConnection: (_opts, done) => {
            this.dial(host, port).then(
              (socket) => done(null, secure ? tlsConnect({ socket, host, ...(isIP(host) ? {} : { servername: host }), ...(options.ca ? { ca: options.ca } : {}) }) : socket),
              (err: Error) => done(err, undefined as unknown as Duplex),
            );
            return undefined;
          },
        },
        resolve,
      );
      request.once('error', reject);
      request.end();
    });
  }

  private async startGuard(): Promise<{ url: string; server: http.Server }> {
    const server = http.createServer((req, res) => void this.forward(req, res));
    server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => void this.tunnel(req, client, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    // The guard serves this process's own clients: it must not keep the process alive.
    server.unref();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }

  /** CONNECT host:port — what HTTPS through a proxy is. A refusal and a dead port look the same. */
  private async tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    const target = authority(req.url ?? '');
    if (!target) return void client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    let upstream: Duplex;
    try {
      upstream = await this.dial(target.host, target.port);
    } catch {
      return void client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  }

  /** A plain-HTTP request in absolute form (`GET http://host/path`), for http:// API servers. */
  private async forward(req: IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      return void res.writeHead(400).end();
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 80);
    let socket: Duplex;
    try {
      socket = await this.dial(host, port);
    } catch {
      return void res.writeHead(502).end();
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.startsWith('proxy-')));
    const upstream = http.request({ method: req.method, host, port, path: `${url.pathname}${url.search}`, headers, createConnection: () => socket }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  }
}

/** `host:port` or `[v6]:port` of a CONNECT request. */
function authority(target: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(target);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1]!.replace(/^\[|\]$/g, ''), port } : undefined;
}

/** A connection within `ms`; one that comes later is closed, not leaked. */
function within(connecting: Promise<Duplex>, ms: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`no connection within ${ms} ms`));
    }, ms);
    connecting.then(
      (socket) => {
        clearTimeout(timer);
        if (late) socket.destroy();
        else resolve(socket);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function readAtMost(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.destroy();
      throw new Error(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
