import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { parse } from 'yaml';
import { EndpointUnreachable } from '../../src/adapters/egress/egress.js';
import { EndpointPolicy } from '../../src/adapters/egress/endpoint-policy.js';
import { kubeconfigProblems, NO_EXTRAS } from '../../src/adapters/kubeconfig/tenant.js';
import { RemoteCharts } from '../../src/adapters/helm/remote-charts.js';
import { run } from '../../src/adapters/exec.js';
import { toolPaths } from '../../src/toolchain.js';
import { selfSignedCertificate } from '../providers/aks-tls.js';
import { testAccess } from '../helpers/egress.js';

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

it('no test can dial off loopback: the tripwire throws before a packet leaves', () => {
  expect(() => connect({ host: '169.254.169.254', port: 80 })).toThrow(/test tripwire/);
  expect(() => connect(443, '10.0.0.1')).toThrow(/test tripwire/);
});

describe('endpoint policy', () => {
  const policy = new EndpointPolicy();

  it.each([
    '127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '169.254.169.254', 'fe80::1', '0.0.0.0', '::',
    '10.0.0.1', '172.31.255.255', '192.168.0.1', 'fd12::1', '100.64.1.1', '224.0.0.1', '255.255.255.255', '64:ff9b::a00:1', 'not-an-ip',
  ])('refuses %s by default', (address) => expect(policy.allowsAddress(address)).toBe(false));

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111'])('allows the public address %s', (address) => expect(policy.allowsAddress(address)).toBe(true));

  it('allows what the operator lists: CIDRs, addresses, host names', () => {
    const allowing = new EndpointPolicy('10.20.0.0/16, ::1, kube.corp.example');
    expect([allowing.allowsAddress('10.20.3.4'), allowing.allowsAddress('10.21.0.1'), allowing.allowsAddress('::1'), allowing.allowsAddress('127.0.0.1')]).toEqual([true, false, true, false]);
    expect([allowing.allowsHost('KUBE.corp.example.'), allowing.allowsHost('other.corp.example')]).toEqual([true, false]);
  });

  it.each(['10.0.0.0/33', 'http://x', '1.2.3.4/x', 'a b'])('refuses to start with a bad entry %s', (entry) => {
    expect(() => new EndpointPolicy(entry)).toThrow(/FLOTILLA_ALLOWED_ENDPOINTS/);
  });
});

describe('kubeconfig rules', () => {
  const config = (user: Record<string, unknown>) => JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://k.example.com' } }], users: [{ name: 'u', user }] });
  const exec = (command: string, env?: unknown) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['token'], ...(env ? { env } : {}) } });

  it('allows an exec plugin the operator named, by basename, with harmless environment only', () => {
    const rules = { execCommands: new Set(['aws']), proxyUrls: new Set<string>() };
    expect(kubeconfigProblems(config(exec('aws')), rules)).toEqual([]);
    expect(kubeconfigProblems(config(exec('/usr/local/bin/aws', [{ name: 'AWS_PROFILE', value: 'x' }])), rules)).toEqual([]);
    expect(kubeconfigProblems(config(exec('aws', [{ name: 'LD_PRELOAD', value: '/tmp/x.so' }])), rules).map((p) => p.path)).toEqual([['users', 0, 'user', 'exec', 'env', 0, 'name']]);
    expect(kubeconfigProblems(config(exec('kubelogin')), rules).map((p) => p.path)).toEqual([['users', 0, 'user', 'exec']]);
    expect(kubeconfigProblems(config(exec('aws')), NO_EXTRAS)).toHaveLength(1);
  });

  it('names what is not a kubeconfig without quoting it', () => {
    const [problem] = kubeconfigProblems('users: [ {{ secret-token', NO_EXTRAS);
    expect(problem!.message).toMatch(/^not a kubeconfig/);
    expect(problem!.message).not.toContain('secret-token');
  });
});

describe('egress', () => {
  let target: Server;
  let targetPort: number;
  const seen: string[] = [];

  beforeAll(async () => {
    target = createHttpServer((req, res) => {
      seen.push(req.url!);
      if (req.url === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/to-private-name') return void res.writeHead(302, { location: 'http://db.internal.test/' }).end();
      if (req.url === '/to-self') return void res.writeHead(302, { location: '/hello' }).end();
      res.end(`hello ${req.headers.host}`);
    });
    targetPort = await listen(target);
  });
  afterAll(() => new Promise((resolve) => target.close(resolve)));

  it('gets through the policy and follows a redirect that it checks again', async () => {
    const access = testAccess();
    const answer = await access.egress.get(`http://127.0.0.1:${targetPort}/to-self`, { maxBytes: 1024 });
    expect([answer.status, answer.body.toString(), answer.url]).toEqual([200, `hello 127.0.0.1:${targetPort}`, `http://127.0.0.1:${targetPort}/hello`]);
  });

  it.each(['/to-metadata', '/to-private-name'])('refuses a redirect (%s) into a refused range without dialling it', async (path) => {
    const access = testAccess();
    access.resolver.names.set('db.internal.test', ['10.0.0.5']);
    await expect(access.egress.get(`http://127.0.0.1:${targetPort}${path}`, { maxBytes: 1024 })).rejects.toBeInstanceOf(EndpointUnreachable);
    expect(access.connector.dialled).toEqual([`127.0.0.1:${targetPort}`]);
  });

  it('guards CONNECT and plain-HTTP proxying alike: allowed targets pass, refused and closed ones get the same 502', async () => {
    const access = testAccess();
    access.resolver.names.set('db.internal.test', ['10.0.0.5']);
    const proxy = new URL(await access.egress.proxyUrl());
    const connect = (authority: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: authority });
        req.once('connect', (res: IncomingMessage, socket) => {
          socket.destroy();
          resolve(res.statusCode!);
        });
        req.once('error', reject);
        req.end();
      });
    expect(await connect(`127.0.0.1:${targetPort}`)).toBe(200);
    expect(await connect('db.internal.test:443')).toBe(502);
    expect(await connect('169.254.169.254:80')).toBe(502);
    expect(await connect('127.0.0.1:1')).toBe(502);
    const forwarded = await new Promise<string>((resolve, reject) => {
      request({ host: proxy.hostname, port: proxy.port, path: `http://localhost:${targetPort}/plain`, headers: { host: `localhost:${targetPort}` } }, async (res) => {
        let body = '';
        for await (const chunk of res) body += chunk;
        resolve(body);
      }).once('error', reject).end();
    });
    expect(forwarded).toBe(`hello localhost:${targetPort}`);
    expect(access.connector.dialled).toEqual([`127.0.0.1:${targetPort}`, '127.0.0.1:1', `127.0.0.1:${targetPort}`]);
    await access.egress.close();
  });
});

describe('charts from an OCI registry, pulled by Flotilla', () => {
  it('follows the anonymous token handshake, picks the newest version, checks the digest', async () => {
    const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'oci-'));
    await run(toolPaths().helm, ['package', join(process.cwd(), 'test/fixtures/charts/hello'), '--destination', dir]);
    const chartFile = join(dir, (await run('ls', [dir])).trim());
    const blob = readFileSync(chartFile);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const version = (parse(await run(toolPaths().helm, ['show', 'chart', chartFile])) as { version: string }).version;
    const cert = selfSignedCertificate();
    const requests: string[] = [];
    const registry = createHttpsServer(cert, (req, res) => {
      requests.push(req.url!);
      if (req.url!.startsWith('/token')) return void res.end(JSON.stringify({ token: 'anon' }));
      if (req.headers.authorization !== 'Bearer anon') {
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="https://127.0.0.1:${port}/token",service="test",scope="repository:charts/hello:pull"` }).end();
      }
      if (req.url === '/v2/charts/hello/tags/list') return void res.end(JSON.stringify({ tags: ['0.0.1', version, '99.0.0-rc.1'] }));
      if (req.url === `/v2/charts/hello/manifests/${version}`) return void res.end(JSON.stringify({ layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest }] }));
      if (req.url === `/v2/charts/hello/blobs/${digest}`) return void res.end(blob);
      res.writeHead(404).end();
    });
    const port = await listen(registry);
    try {
      const charts = new RemoteCharts(testAccess().egress, join(dir, 'cache'), cert.cert);
      const file = await charts.fetch({ chart: `oci://127.0.0.1:${port}/charts/hello` });
      expect(readFileSync(file).equals(blob)).toBe(true);
      expect(requests).toContain(`/token?service=test&scope=${encodeURIComponent('repository:charts/hello:pull')}`);
      // Ten targets of one apply asking at once, and again: the registry is not asked again.
      requests.length = 0;
      const files = await Promise.all(Array.from({ length: 10 }, () => charts.fetch({ chart: `oci://127.0.0.1:${port}/charts/hello` })));
      expect(new Set(files)).toEqual(new Set([file]));
      expect(requests).toEqual([]);
      await expect(charts.fetch({ chart: `oci://127.0.0.1:${port}/charts/hello`, version: '7.0.0' })).rejects.toMatchObject({ type: 'FlotillaChartUnavailable', nonRetryable: true });
      // A failure is not kept: asked again, the registry is asked again.
      const asked = requests.length;
      await expect(charts.fetch({ chart: `oci://127.0.0.1:${port}/charts/hello`, version: '7.0.0' })).rejects.toMatchObject({ type: 'FlotillaChartUnavailable' });
      expect(requests.length).toBeGreaterThan(asked);
    } finally {
      registry.close();
    }
  });
});
