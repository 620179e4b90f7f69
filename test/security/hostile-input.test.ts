import { MockActivityEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, constants } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { helmActivities } from '../../src/activities/helm.js';
import { ImportedProvider } from '../../src/adapters/providers/imported/index.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';
import { FailureType } from '../../src/domain/problems.js';
import { testAccess, type TestAccess } from '../helpers/egress.js';
import { eventually, fieldsOf, type Stack, startStack, testHelm, testSecretStore } from '../helpers/stack.js';

// Everything a tenant sends is hostile. Each payload below would, if Flotilla
// ran or read it, create a marker file or block on a named pipe; each must be
// refused with a 400 naming the field, and nothing may be dialled.
const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'hostile-'));
const marker = join(dir, 'ran');
const pipe = join(dir, 'pipe');
execFileSync('mkfifo', [pipe]);
const base = '/api/v1/orgs/acme';

// Public-looking names that resolve into refused ranges: the check is on the resolved address.
const REFUSED_HOSTS: Record<string, string> = {
  '127.0.0.1': 'loopback',
  '127.1.2.3': 'loopback',
  '[::1]': 'loopback v6',
  '[::ffff:127.0.0.1]': 'loopback, IPv4-mapped',
  '169.254.169.254': 'link-local: cloud metadata',
  '[fe80::1]': 'link-local v6',
  '0.0.0.0': 'unspecified',
  '[::]': 'unspecified v6',
  '10.1.2.3': 'private',
  '172.16.0.1': 'private',
  '192.168.1.1': 'private',
  '[fd00::1]': 'private v6 (unique local)',
  '100.64.0.1': 'shared address space',
  'metadata.internal.test': 'a name resolving to link-local',
  'db.internal.test': 'a name resolving to private',
  'mixed.internal.test': 'a name resolving to a public and a private address',
  'localhost': 'localhost',
};

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://93.184.215.14:6443', ...cluster } }],
    users: [{ name: 'u', user: { token: 'x', ...user } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

const shell = (command: string) => ({ command: '/bin/sh', args: ['-c', command] });

/** Nothing holds the pipe open for reading: a reader that had opened it would still be blocked on it. */
function pipeUnread(): boolean {
  try {
    openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENXIO';
  }
}

let stack: Stack;
let access: TestAccess;

beforeAll(async () => {
  // Production's default: nothing but public addresses.
  access = testAccess('');
  access.resolver.names.set('metadata.internal.test', ['169.254.169.254']);
  access.resolver.names.set('db.internal.test', ['10.0.0.5']);
  access.resolver.names.set('mixed.internal.test', ['93.184.215.14', '192.168.0.7']);
  stack = await startStack({ providers: {}, access });
  expect((await stack.api('POST', `${base}/clustergroups`, { body: { name: 'hostile', members: [] } })).status).toBe(201);
});
afterAll(() => stack?.stop());
afterEach(() => {
  expect(existsSync(marker)).toBe(false);
  expect(pipeUnread()).toBe(true);
});

const secret = (name: string, text: string) => stack.api('POST', `${base}/secrets`, { body: { name, type: 'kubeconfig', values: { kubeconfig: text } } });

describe('a kubeconfig is data, never code', () => {
  it.each([
    ['exec plugin', {}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', ...shell(`touch ${marker}`) } }, 'users[0].user.exec'],
    ['exec plugin named like an allowed one', {}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `touch ${marker}`], env: [{ name: 'PATH', value: dir }] } }, 'users[0].user.exec'],
    ['gcp auth-provider with a command', {}, { 'auth-provider': { name: 'gcp', config: { 'cmd-path': '/bin/sh', 'cmd-args': `-c "touch ${marker}"` } } }, 'users[0].user["auth-provider"]'],
    ['oidc auth-provider', {}, { 'auth-provider': { name: 'oidc', config: { 'idp-issuer-url': 'http://169.254.169.254/' } } }, 'users[0].user["auth-provider"]'],
    ['tokenFile', {}, { tokenFile: pipe }, 'users[0].user.tokenFile'],
    ['tokenFile=/etc/passwd', {}, { tokenFile: '/etc/passwd' }, 'users[0].user.tokenFile'],
    ['client-key path', {}, { 'client-key': pipe, 'client-certificate-data': 'eA==' }, 'users[0].user["client-key"]'],
    ['client-certificate path', {}, { 'client-certificate': pipe }, 'users[0].user["client-certificate"]'],
    ['certificate-authority path', { 'certificate-authority': pipe }, {}, 'clusters[0].cluster["certificate-authority"]'],
    ['proxy-url', { 'proxy-url': 'http://10.0.0.1:3128' }, {}, 'clusters[0].cluster["proxy-url"]'],
  ])('refuses %s with a 400 naming the field, running and reading nothing', async (_what, cluster, user, field) => {
    const res = await secret('bad', kubeconfig(cluster, user));
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toContain(`values.kubeconfig.${field}`);
    expect(access.connector.dialled).toEqual([]);
  });

  it('refuses a server that is not http(s)', async () => {
    const res = await secret('bad', kubeconfig({ server: 'file:///etc/passwd' }, {}));
    expect([res.status, fieldsOf(res)]).toEqual([400, ['values.kubeconfig.clusters[0].cluster.server']]);
  });
});

describe('endpoints from tenants are checked on their resolved addresses before anything connects', () => {
  const hosts = Object.entries(REFUSED_HOSTS);

  it.each(hosts)('a kubeconfig server at %s (%s): 400, nothing dialled', async (host) => {
    const res = await secret('internal', kubeconfig({ server: `https://${host}:6443` }, {}));
    expect([res.status, fieldsOf(res)]).toEqual([400, ['values.kubeconfig.clusters[0].cluster.server']]);
    expect(access.connector.dialled).toEqual([]);
  });

  it.each(hosts)('a Helm repository at %s (%s): 400, nothing dialled', async (host) => {
    const res = await stack.api('POST', `${base}/helm-repositories`, { body: { name: 'internal', url: `http://${host}:8080/charts` } });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['url']]);
    expect(access.connector.dialled).toEqual([]);
  });

  it.each(hosts)('an oci:// registry at %s (%s): 400, nothing dialled', async (host) => {
    const res = await stack.api('POST', `${base}/clustergroups/hostile/deployments`, { body: { releaseName: 'x', chart: `oci://${host}:5000/charts/hello`, dryRun: true } });
    expect([res.status, fieldsOf(res)]).toEqual([400, ['chart']]);
    expect(access.connector.dialled).toEqual([]);
  });

  it('a public address passes the check, and the connector is where it would have been dialled', async () => {
    const res = await secret('public', kubeconfig({}, {}));
    expect([res.status, fieldsOf(res)]).toEqual([400, ['values.kubeconfig.clusters[0].cluster.server']]);
    // The test connector refused it: this is the one place any connection to a tenant's endpoint is made.
    expect(access.connector.dialled).toEqual(['93.184.215.14:6443']);
    access.connector.dialled.length = 0;
  });
});

describe('loopback, allowed as npm start allows it', () => {
  let local: Stack;
  afterAll(() => local?.stop());

  it('gives a closed port and an open port that is not Kubernetes (Temporal) the same answer', async () => {
    local = await startStack({ providers: {} });
    const temporalPort = Number(process.env.TEMPORAL_ADDRESS!.split(':').pop());
    const answer = async (port: number) => {
      const res = await local.api('POST', `${base}/secrets`, { body: { name: 'probe', type: 'kubeconfig', values: { kubeconfig: kubeconfig({ server: `https://127.0.0.1:${port}` }, {}) } } });
      return { status: res.status, fields: fieldsOf(res), message: String(res.body.error.message).replace(`:${port}`, ':PORT') };
    };
    const closed = await answer(1);
    const open = await answer(temporalPort);
    expect(closed.status).toBe(400);
    expect(open).toEqual(closed);
  });
});

describe('a kubeconfig stored before the rules is refused at use, not run', () => {
  const secrets = testSecretStore();
  const ref = (secretId: string) => clusterRef('acme', withDefaults({ name: 'legacy-exec', provider: 'imported', secretId, nodePools: [] }));
  let secretId: string;

  beforeAll(async () => {
    // Written straight into the store, as an older Flotilla would have accepted it.
    const text = kubeconfig({ server: 'https://127.0.0.1:1' }, { token: undefined, exec: { apiVersion: 'client.authentication.k8s.io/v1', ...shell(`touch ${marker}`) } });
    secretId = (await secrets.create('acme', 'legacy-exec', 'kubeconfig', { kubeconfig: text })).id;
  });

  it('by the imported provider (an import ends in ERROR with the reason) and by the API', async () => {
    const imported = new ImportedProvider(credentialsFrom(secrets), access.kubeconfigs);
    const legacy = await startStack({
      providers: { imported: imported.activities() },
      secrets,
      access,
      kubeconfigs: { imported: (r) => imported.kubeconfig(r) }, downloads: { imported: (r) => imported.storedKubeconfig(r) },
    });
    try {
      expect((await legacy.api('POST', `${base}/clusters`, { body: { name: 'legacy-exec', provider: 'imported', secretId } })).status).toBe(202);
      const failed = await eventually(async () => {
        const body = (await legacy.api('GET', `${base}/clusters/legacy-exec`)).body;
        return body.status === 'ERROR' && !body.operation ? body : undefined;
      }, 'legacy-exec ERROR');
      expect(JSON.stringify(failed)).toMatch(/kubeconfig is refused: users\[0\]\.user\.exec/);
      await expect(imported.kubeconfig(ref(secretId))).rejects.toMatchObject({ type: FailureType.kubeconfigRefused, nonRetryable: true });
      await legacy.api('DELETE', `${base}/clusters/legacy-exec?force=true`);
    } finally {
      await legacy.stop();
    }
  });

  it('by helm', async () => {
    const imported = new ImportedProvider(credentialsFrom(secrets), access.kubeconfigs);
    const activities = helmActivities(testHelm(access.egress), { imported: (r) => imported.kubeconfig(r) });
    const release = { name: 'web', namespace: 'default', chart: join(process.cwd(), 'test/fixtures/charts/hello'), values: {} };
    await expect(new MockActivityEnvironment().run(activities.helmApply, ref(secretId), release)).rejects.toMatchObject({ type: FailureType.kubeconfigRefused });
    await expect(new MockActivityEnvironment().run(activities.helmRemove, ref(secretId), release)).rejects.toMatchObject({ type: FailureType.kubeconfigRefused });
  });
});
