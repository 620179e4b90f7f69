import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { GkeProvider } from '../../src/adapters/providers/gke/index.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { fieldsOf, type Stack, startStack, testSecretStore } from '../helpers/stack.js';
import { settled, succeeded } from './api-flow.js';
import { FakeGke } from './gke-server.js';

// GKE as users run it: a service-account key stored with POST /secrets, the
// API, the workflows and a worker whose provider is built as the worker
// builds it, against the fake GKE (gke-server.ts), which takes only what
// Google takes from such a key.
//
// The Google auth library (google-auth-library 10, through
// @google-cloud/container) exchanges nothing at the key's token_uri: for a
// service-account key it signs a JWT itself (iss and sub the account, the
// cloud-platform scope) and sends it as the bearer token. So there is no
// token endpoint to fake; the fake GKE verifies that JWT with the key's
// public key, as Google does with the account's published certificates. Any
// attempt to reach Google (a token exchange, a metadata-server probe) would
// trip the loopback-only tripwire and fail the cluster.

const base = '/api/v1/orgs/acme';
const PROJECT = 'flotilla-stack';
const EMAIL = `flotilla@${PROJECT}.iam.gserviceaccount.com`;
const CLUSTER = `projects/${PROJECT}/locations/us-central1-a/clusters/gke-e2e`;

/** A service-account key as the Cloud console downloads it. */
function serviceAccountKey(): { json: Record<string, string>; publicKey: ReturnType<typeof createPublicKey> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const json = {
    type: 'service_account',
    project_id: PROJECT,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    client_email: EMAIL,
    client_id: '109876543210987654321',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(EMAIL)}`,
    universe_domain: 'googleapis.com',
  };
  return { json, publicKey };
}

const fake = new FakeGke();
const secrets = testSecretStore();
const key = serviceAccountKey();
let provider: GkeProvider;
let stack: Stack;

beforeAll(async () => {
  const port = await fake.start();
  fake.serviceAccounts.set(EMAIL, key.publicKey);
  // As createProviders builds it (src/adapters/providers/index.ts), pointed at the fake.
  provider = new GkeProvider({ credentials: credentialsFrom(secrets), apiEndpoint: '127.0.0.1', port, protocol: 'http', pollIntervalMs: 20 });
  stack = await startStack({ providers: { gke: provider.activities() }, secrets });
});
afterAll(async () => {
  await stack?.stop();
  await provider?.close();
  await fake.stop();
});
afterEach(() => expect(fake.violations.splice(0)).toEqual([]));

/** Stores a key as users paste it: the JSON file's text. */
async function storeKey(name: string, json: Record<string, string>): Promise<string> {
  const created = await stack.api('POST', `${base}/secrets`, { body: { name, type: 'gcp', values: { serviceAccountKey: JSON.stringify(json) } } });
  expect(created.status).toBe(201);
  expect(created.text).not.toContain(json.private_key_id);
  return created.body.id;
}

const claimsOf = (authorization: string) => {
  const [header, payload] = authorization.slice('Bearer '.length).split('.');
  return { header: JSON.parse(Buffer.from(header!, 'base64url').toString()), claims: JSON.parse(Buffer.from(payload!, 'base64url').toString()) };
};

describe('GKE through the API, with a stored service-account key', () => {
  let secretId: string;

  it('creates the cluster and its pools, every request signed with the key', async () => {
    secretId = await storeKey('gcp-stack', key.json);
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name: 'gke-e2e',
        provider: 'gke',
        region: 'us-central1-a',
        kubernetesVersion: '1.32',
        secretId,
        nodePools: [
          { name: 'general', instanceType: 'e2-standard-4', count: 2 },
          { name: 'spot', instanceType: 'n2-standard-4', count: 1, spot: true, autoscaling: true, minCount: 1, maxCount: 3 },
        ],
      },
    });
    expect(res.status).toBe(202);
    const view = await settled(stack, 'gke-e2e', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 2], ['spot', 1]]);

    expect(fake.clusters.get(CLUSTER).status).toBe('RUNNING');
    expect([fake.nodeCount(CLUSTER, 'general'), fake.nodeCount(CLUSTER, 'spot')]).toEqual([2, 1]);
    expect(fake.calls('clusters.create')[0]!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1-a/clusters`);

    // Every request carried a JWT the fake verified with the key's public key (else: 401, and no RUNNING).
    const tokens = new Set(fake.requests.map((r) => r.authorization));
    for (const token of tokens) {
      const { header, claims } = claimsOf(token!);
      expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
      expect(claims).toMatchObject({ iss: EMAIL, sub: EMAIL, scope: expect.stringContaining('https://www.googleapis.com/auth/cloud-platform') });
    }
  });

  it('scales a pool with setSize', async () => {
    const scaled = await stack.api('PUT', `${base}/clusters/gke-e2e/nodepools/general`, { body: { count: 4 } });
    expect(scaled.status).toBe(202);
    // The 202 can come before the cluster takes the change up (it is handed over by signal): wait for the operation itself.
    await succeeded(stack, scaled.body.operationId);
    const view = await settled(stack, 'gke-e2e', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 4], ['spot', 1]]);
    expect(fake.calls('clusters.nodePools.setSize', `/v1/${CLUSTER}/nodePools/general:setSize`).map((r) => r.body.nodeCount)).toEqual([4]);
    expect(fake.nodeCount(CLUSTER, 'general')).toBe(4);
  });

  it('deletes the cluster', async () => {
    expect((await stack.api('DELETE', `${base}/clusters/gke-e2e`)).status).toBe(202);
    await settled(stack, 'gke-e2e', 'DELETED');
    expect(fake.clusters.has(CLUSTER)).toBe(false);
    expect(fake.calls('clusters.delete')).toHaveLength(1);
  });

  it('ends a cluster in ERROR with Google’s reason when the stored key is not one of the account’s', async () => {
    const unknown = serviceAccountKey(); // the same account, a key Google does not know (say, deleted)
    const res = await stack.api('POST', `${base}/clusters`, {
      body: { name: 'gke-badkey', provider: 'gke', region: 'us-central1-a', secretId: await storeKey('gcp-unknown', unknown.json), nodePools: [{ name: 'general', instanceType: 'e2-standard-2', count: 1 }] },
    });
    expect(res.status).toBe(202);
    const failed = await settled(stack, 'gke-badkey', 'ERROR');
    expect(failed.message).toBe(
      'provision failed: create control plane failed: Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    );
    // Its first call (the look for an existing cluster) refused, and not tried again.
    expect(fake.requests.filter((r) => r.path.endsWith('/clusters/gke-badkey')).map((r) => r.method)).toEqual(['GET']);

    // Nothing was made; a forced delete leaves the cluster DELETED, naming what it could not check.
    expect((await stack.api('DELETE', `${base}/clusters/gke-badkey?force=true`)).status).toBe(202);
    await settled(stack, 'gke-badkey', 'DELETED');
  });
});

describe('GET /kubernetes-versions?provider=gke, read with a stored service-account key', () => {

  it("lists the project's control-plane minors in the region, the request signed with the key the query names", async () => {
    const secretId = await storeKey('gcp-versions', key.json);
    const res = await stack.api('GET', `${base}/kubernetes-versions?provider=gke&region=us-central1&secretId=${secretId}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      provider: 'gke',
      region: 'us-central1',
      versions: [
        { version: '1.30', upgradesTo: ['1.31'] },
        { version: '1.31', upgradesTo: ['1.32'] },
        { version: '1.32', default: true, upgradesTo: ['1.33'] },
        { version: '1.33', upgradesTo: ['1.34'] },
        { version: '1.34', upgradesTo: ['1.35'] },
        { version: '1.35', upgradesTo: [] },
      ],
    });
    const read = fake.calls('getServerConfig').at(-1)!;
    expect(read.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1/serverConfig`);
    expect(claimsOf(read.authorization!).claims.iss).toBe(EMAIL);
  });

  it('refuses a secretId that is not a gcp secret of the org, and a region GKE does not have, naming the field', async () => {
    const aws = await stack.api('POST', `${base}/secrets`, { body: { name: 'aws-versions', type: 'aws', values: { accessKeyId: 'AKIAFLOTILLAVERSIONS', secretAccessKey: 'not-a-real-secret-access-key-0000000000' } } });
    expect(aws.status).toBe(201);
    const gcp = await storeKey('gcp-versions-region', key.json);
    for (const [query, field] of [
      [`secretId=${aws.body.id}`, 'secretId'],
      ['secretId=sec-0000000000000000', 'secretId'],
      ['secretId=gcp-key', 'secretId'],
      [`secretId=${gcp}&region=mars`, 'region'],
    ]) {
      const res = await stack.api('GET', `${base}/kubernetes-versions?provider=gke&${query}`);
      expect([query, res.status, fieldsOf(res)]).toEqual([query, 400, [field]]);
    }
  });
});
