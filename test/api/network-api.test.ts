import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { MARKED_SECRETS, secretsIn } from '../helpers/secret-markers.js';
import { eventually, fieldsOf, type Stack, startStack } from '../helpers/stack.js';

// `network` on POST /clusters: every bad field a 400 naming it, the settings shown in GET and
// recorded as flotilla.io/ labels, and no PATCH of them.
const base = '/api/v1/orgs/acme';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() } });
});
afterAll(async () => {
  await stack?.api('DELETE', `${base}/clusters/net-private?force=true`);
  await stack?.stop();
});

const create = (name: string, extra: Record<string, unknown>) =>
  stack.api('POST', `${base}/clusters`, { body: { name, provider: 'sim', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }], ...extra } });
const fields = (res: { body: any }) => [...new Set(fieldsOf(res))].sort();
const messages = (res: { body: any }) => (res.body.error.details as { message: string }[]).map((d) => d.message).join('; ');

describe('cluster network', () => {
  it('refuses bad proxy URLs, noProxy entries and unknown fields with a 400 naming each field', async () => {
    const bad = await create('net-bad', {
      network: {
        privateEndpoint: 'yes',
        httpProxy: { httpProxy: 'socks5://proxy:1080', httpsProxy: 'http://user:secret@proxy:3128', noProxy: ['.corp', '10.0.0.0/33', 'bad host!', '::1', 'fd00::/8'], port: 3128 },
      },
    });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual([
      'network.httpProxy.httpProxy',
      'network.httpProxy.httpsProxy',
      'network.httpProxy.noProxy[1]',
      'network.httpProxy.noProxy[2]',
      'network.httpProxy.port',
      'network.privateEndpoint',
    ]);
    expect(messages(bad)).toContain('no credentials in the URL');
    expect(messages(bad)).toContain('not socks5:');

    const noHost = await create('net-bad', { network: { httpProxy: { httpProxy: 'http://' } } });
    expect([noHost.status, fields(noHost)]).toEqual([400, ['network.httpProxy.httpProxy']]);
    const noUrl = await create('net-bad', { network: { httpProxy: { noProxy: ['localhost'] } } });
    expect([noUrl.status, fields(noUrl), messages(noUrl)]).toEqual([400, ['network.httpProxy'], 'give httpProxy, httpsProxy or both']);
    const imported = await stack.api('POST', `${base}/clusters`, { body: { name: 'net-bad', provider: 'imported', secretId: 'sec-0123456789abcdef', network: { privateEndpoint: true } } });
    expect([imported.status, fields(imported)]).toEqual([400, ['network']]);
    expect((await stack.api('GET', `${base}/clusters/net-bad`)).status).toBe(404);
  });

  it('takes the proxy CA only from a proxy-ca secret of the org', async () => {
    const unknown = await create('net-bad', { network: { httpProxy: { httpProxy: 'http://proxy:3128', trustedCaSecretId: 'sec-0123456789abcdef' } } });
    expect([unknown.status, fields(unknown)]).toEqual([400, ['network.httpProxy.trustedCaSecretId']]);
    const notId = await create('net-bad', { network: { httpProxy: { httpProxy: 'http://proxy:3128', trustedCaSecretId: 'my-ca' } } });
    expect([notId.status, fields(notId)]).toEqual([400, ['network.httpProxy.trustedCaSecretId']]);
    const aws = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-aws', type: 'aws', values: { accessKeyId: 'AKIA', secretAccessKey: 'x' } } });
    const wrongType = await create('net-bad', { network: { httpProxy: { httpProxy: 'http://proxy:3128', trustedCaSecretId: aws.body.id } } });
    expect([wrongType.status, fields(wrongType)]).toEqual([400, ['network.httpProxy.trustedCaSecretId']]);
    expect(messages(wrongType)).toContain('needs proxy-ca');
    const notPem = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-ca', type: 'proxy-ca', values: { trustedCa: 'not a certificate' } } });
    expect([notPem.status, fields(notPem)]).toEqual([400, ['values.trustedCa']]);
  });

  it('takes the proxy credentials only from a proxy-credentials secret of the org, and only for a proxy URL', async () => {
    const proxy = (credentialsSecretId: string) => ({ network: { httpProxy: { httpsProxy: 'http://proxy:3128', credentialsSecretId } } });
    const unknown = await create('net-bad', proxy('sec-0123456789abcdef'));
    expect([unknown.status, fields(unknown)]).toEqual([400, ['network.httpProxy.credentialsSecretId']]);
    expect(messages(unknown)).toContain("no secret 'sec-0123456789abcdef'");
    const notId = await create('net-bad', proxy('user:pass'));
    expect([notId.status, fields(notId)]).toEqual([400, ['network.httpProxy.credentialsSecretId']]);
    const ca = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-user-ca', type: 'proxy-ca', values: MARKED_SECRETS['proxy-ca'] } });
    const wrongType = await create('net-bad', proxy(ca.body.id));
    expect([wrongType.status, fields(wrongType)]).toEqual([400, ['network.httpProxy.credentialsSecretId']]);
    expect(messages(wrongType)).toContain('needs proxy-credentials');
    const user = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-user-only', type: 'proxy-credentials', values: MARKED_SECRETS['proxy-credentials'] } });
    expect(user.status).toBe(201);
    const noUrl = await create('net-bad', { network: { httpProxy: { noProxy: ['.corp'], credentialsSecretId: user.body.id } } });
    expect([noUrl.status, fields(noUrl)]).toEqual([400, ['network.httpProxy', 'network.httpProxy.credentialsSecretId']]);
    expect((await stack.api('GET', `${base}/clusters/net-bad`)).status).toBe(404);

    // The secret's own shape: both values, no control characters, nothing else.
    const badValues = { username: 'svc', password: `${MARKED_SECRETS['proxy-credentials'].password}\n`, token: 'x' };
    const bad = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-user-bad', type: 'proxy-credentials', values: badValues } });
    expect([bad.status, fields(bad)]).toEqual([400, ['values.password', 'values.token']]);
    expect(secretsIn(JSON.stringify(bad.body))).toEqual([]);
    const missing = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-user-bad', type: 'proxy-credentials', values: { username: 'svc' } } });
    expect([missing.status, fields(missing)]).toEqual([400, ['values.password']]);
    // Listed by name and type, its values never shown.
    const listed = await stack.api('GET', `${base}/secrets`);
    expect(listed.body.items.find((s: { id: string }) => s.id === user.body.id)).toEqual({ id: user.body.id, name: 'net-user-only', type: 'proxy-credentials', createdAt: user.body.createdAt });
    expect(secretsIn(JSON.stringify([user.body, listed.body]))).toEqual([]);
  });

  it('shows the network in GET and as flotilla.io/ labels a selector finds; a PATCH of it is a 400', async () => {
    // Markers the history scan (test/zz-history) looks for: the spec, in every history, holds only the secrets' IDs.
    const ca = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-proxy-ca', type: 'proxy-ca', values: MARKED_SECRETS['proxy-ca'] } });
    expect(ca.status).toBe(201);
    const user = await stack.api('POST', `${base}/secrets`, { body: { name: 'net-proxy-user', type: 'proxy-credentials', values: MARKED_SECRETS['proxy-credentials'] } });
    expect(user.status).toBe(201);
    const network = {
      privateEndpoint: true,
      httpProxy: {
        httpProxy: 'http://proxy.corp:3128',
        httpsProxy: 'https://proxy.corp:3129',
        noProxy: ['.corp', '10.0.0.0/8', 'localhost'],
        trustedCaSecretId: ca.body.id,
        credentialsSecretId: user.body.id,
      },
    };
    expect((await create('net-private', { network })).status).toBe(202);
    const view = await eventually(async () => {
      const res = await stack.api('GET', `${base}/clusters/net-private`);
      return res.body.status === 'RUNNING' ? res.body : undefined;
    }, 'net-private RUNNING');
    expect(view.network).toEqual(network);
    expect(view.labels).toMatchObject({ 'flotilla.io/private-endpoint': 'true', 'flotilla.io/http-proxy': 'true' });
    // The secrets' values are nowhere in the answer: only their IDs.
    expect(secretsIn(JSON.stringify(view), { proxyUser: MARKED_SECRETS['proxy-credentials'].username })).toEqual([]);
    const selected = await stack.api('GET', `${base}/clusters?selector=${encodeURIComponent('flotilla.io/http-proxy=true')}`);
    expect(selected.body.items.map((c: { name: string }) => c.name)).toContain('net-private');

    const patch = await stack.api('PATCH', `${base}/clusters/net-private`, { body: { labels: {}, network: { privateEndpoint: false } } });
    expect([patch.status, fields(patch)]).toEqual([400, ['network']]);
    expect(messages(patch)).toContain('fixed at create');
    // Nor can a tenant label say otherwise.
    const label = await stack.api('PATCH', `${base}/clusters/net-private`, { body: { labels: { 'flotilla.io/http-proxy': null } } });
    expect(label.status).toBe(400);
    expect((await stack.api('GET', `${base}/clusters/net-private`)).body.network).toEqual(network);
    // The CA's secret is in use while the cluster names it.
    const del = await stack.api('DELETE', `${base}/secrets/${ca.body.id}`);
    expect([del.status, del.body.error.message]).toEqual([409, `secret '${ca.body.id}' is used by cluster(s) net-private`]);
    const delUser = await stack.api('DELETE', `${base}/secrets/${user.body.id}`);
    expect([delUser.status, delUser.body.error.message]).toEqual([409, `secret '${user.body.id}' is used by cluster(s) net-private`]);
    expect((await stack.api('GET', `${base}/secrets`)).body.items.map((s: { id: string }) => s.id)).toContain(user.body.id);
  });
});
