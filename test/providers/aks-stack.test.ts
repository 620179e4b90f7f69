import { randomUUID } from 'node:crypto';
import { AksProvider, agentPoolName, resourceGroupName } from '../../src/adapters/providers/aks/index.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { clusterRef, withDefaults } from '../../src/domain/cluster.js';
import { SECRET_MARKERS } from '../helpers/secret-markers.js';
import { fieldsOf, type Stack, startStack, testSecretStore } from '../helpers/stack.js';
import { settled, succeeded } from './api-flow.js';
import { FakeArm } from './aks-server.js';
import { selfSignedCertificate } from './aks-tls.js';
import { FakeEntra } from './entra-server.js';

// AKS as users run it: a service principal's client secret stored with POST
// /secrets, the API, the workflows and a worker whose provider is built as
// the worker builds it. The secret signs in at a fake Entra ID
// (entra-server.ts) through @azure/identity's ClientSecretCredential, and the
// token it gets is what the fake ARM (aks-server.ts, held to the official
// swagger) sees on every request.

const base = '/api/v1/orgs/acme';
/** The app registration; its secret is a marker the history scan looks for. */
const app = { tenantId: randomUUID(), clientId: randomUUID(), clientSecret: SECRET_MARKERS.azureClientSecret };
const SUBSCRIPTION = randomUUID();
const group = resourceGroupName(clusterRef('acme', withDefaults({ name: 'aks-e2e', provider: 'aks', nodePools: [] })));

const secrets = testSecretStore();
let arm: FakeArm;
let entra: FakeEntra;
let stack: Stack;

beforeAll(async () => {
  // One certificate for both fakes, so that the agent the provider is given trusts both.
  const certificate = selfSignedCertificate();
  arm = await FakeArm.start({ containerServiceApiVersion: '2025-07-01', resourcesApiVersion: '2025-04-01' }, certificate);
  entra = await FakeEntra.start(app, certificate);
  // As createProviders builds it (src/adapters/providers/index.ts), pointed at the fakes.
  const provider = new AksProvider({
    credentials: credentialsFrom(secrets),
    apiVersion: '2025-07-01',
    endpoint: arm.url,
    authorityHost: entra.url,
    httpsAgent: arm.agent,
    pollIntervalMs: 20,
  });
  stack = await startStack({ providers: { aks: provider.activities() }, secrets });
});
afterAll(async () => {
  await stack?.stop();
  await entra?.stop();
  await arm?.stop();
});
afterEach(() => expect(arm.violations.splice(0)).toEqual([]));

async function storeSecret(name: string, clientSecret: string): Promise<string> {
  const created = await stack.api('POST', `${base}/secrets`, { body: { name, type: 'azure', values: { ...app, clientSecret, subscriptionId: SUBSCRIPTION } } });
  expect(created.status).toBe(201);
  expect(created.text).not.toContain(clientSecret);
  return created.body.id;
}

describe('AKS through the API, with a stored client secret', () => {
  it('signs in at Entra ID and creates the resource group, the cluster and its pools with the token', async () => {
    const secretId = await storeSecret('azure-stack', app.clientSecret);
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name: 'aks-e2e',
        provider: 'aks',
        region: 'eastus',
        kubernetesVersion: '1.26', // the KubernetesVersions_List example offers 1.23 to 1.26
        secretId,
        nodePools: [
          { name: 'general', instanceType: 'Standard_D2s_v3', count: 2 },
          { name: 'spot-workers', instanceType: 'Standard_D4s_v3', count: 1, spot: true, autoscaling: true, minCount: 1, maxCount: 3 },
        ],
      },
    });
    expect(res.status).toBe(202);
    const view = await settled(stack, 'aks-e2e', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 2], ['spot-workers', 1]]);
    expect(arm.inventory(group, 'aks-e2e')).toEqual({ controlPlanes: 1, nodePools: { [agentPoolName('general')]: 2, [agentPoolName('spot-workers')]: 1 } });
    expect(arm.groupTags(group)).toMatchObject({ createdBy: 'flotilla' });

    // MSAL read the tenant's OpenID configuration, then took the client credentials grant, once: the credential caches its token.
    expect(entra.requests).toEqual([`GET /${app.tenantId}/v2.0/.well-known/openid-configuration`, `POST /${app.tenantId}/oauth2/v2.0/token`]);
    expect(entra.tokenRequests.map((r) => [r.status, r.form.grant_type, r.form.client_id, r.form.client_secret, r.form.scope])).toEqual([
      [200, 'client_credentials', app.clientId, app.clientSecret, `${arm.url}/.default`],
    ]);
    // Every ARM request, long-running operation polls included, carried that token.
    const [token] = entra.issued();
    expect(new Set(arm.requests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${token}`]));
    expect(arm.requests.every((r) => r.path.startsWith(`/subscriptions/${SUBSCRIPTION}/`))).toBe(true);
  });

  it('scales a pool', async () => {
    const scaled = await stack.api('PUT', `${base}/clusters/aks-e2e/nodepools/general`, { body: { count: 4 } });
    expect(scaled.status).toBe(202);
    // The 202 can come before the cluster takes the change up (it is handed over by signal): wait for the operation itself.
    await succeeded(stack, scaled.body.operationId);
    const view = await settled(stack, 'aks-e2e', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 4], ['spot-workers', 1]]);
    expect(arm.inventory(group, 'aks-e2e').nodePools[agentPoolName('general')]).toBe(4);
  });

  it('deletes the pools, the cluster and the resource group it made', async () => {
    expect((await stack.api('DELETE', `${base}/clusters/aks-e2e`)).status).toBe(202);
    await settled(stack, 'aks-e2e', 'DELETED');
    expect(arm.inventory(group, 'aks-e2e')).toEqual({ controlPlanes: 0, nodePools: {} });
    expect(arm.groupTags(group)).toBeUndefined();
    expect(entra.tokenRequests).toHaveLength(1); // still the first token
  });

  it('ends a cluster in ERROR with Entra’s reason when the stored secret is wrong, having called ARM not once', async () => {
    const secretId = await storeSecret('azure-wrong', 'not-the-client-secret');
    const armRequests = arm.requests.length;
    const res = await stack.api('POST', `${base}/clusters`, {
      body: { name: 'aks-badsecret', provider: 'aks', region: 'eastus', secretId, nodePools: [{ name: 'general', instanceType: 'Standard_D2s_v3', count: 1 }] },
    });
    expect(res.status).toBe(202);
    const failed = await settled(stack, 'aks-badsecret', 'ERROR');
    expect(failed.message).toMatch(/^provision failed: ensure network failed: .*AADSTS7000215: Invalid client secret provided/);
    expect(entra.tokenRequests.slice(1).map((r) => [r.status, r.form.client_secret])).toEqual([[401, 'not-the-client-secret']]); // refused once: not retried
    expect(arm.requests.length).toBe(armRequests);

    expect((await stack.api('DELETE', `${base}/clusters/aks-badsecret?force=true`)).status).toBe(202);
    await settled(stack, 'aks-badsecret', 'DELETED');
  });
});

describe('GET /kubernetes-versions?provider=aks, read with a stored client secret', () => {

  it("lists the subscription's minors in the region, read with the token of the secret the query names", async () => {
    const secretId = await storeSecret('azure-versions', app.clientSecret);
    const res = await stack.api('GET', `${base}/kubernetes-versions?provider=aks&region=westeurope&secretId=${secretId}`);
    expect(res.status).toBe(200);
    // Azure's KubernetesVersions_List example, 1.26 (in preview) left out.
    expect(res.body).toEqual({
      provider: 'aks',
      region: 'westeurope',
      versions: [
        { version: '1.23', upgradesTo: ['1.24'] },
        { version: '1.24', default: true, upgradesTo: ['1.25'] },
        { version: '1.25', upgradesTo: [] },
      ],
    });
    const read = arm.requests.filter((r) => r.operationId === 'ManagedClusters_ListKubernetesVersions');
    expect(read.map((r) => r.path)).toEqual([`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/westeurope/kubernetesVersions`]);
    expect(entra.issued().map((token) => `Bearer ${token}`)).toContain(read[0]!.authorization);
  });

  it('refuses a secretId that is not an azure secret of the org, and a region AKS does not have, naming the field', async () => {
    const secretId = await storeSecret('azure-versions-region', app.clientSecret);
    for (const [query, field] of [
      ['secretId=sec-0000000000000000', 'secretId'],
      [`secretId=${secretId}&region=mars`, 'region'],
    ]) {
      const res = await stack.api('GET', `${base}/kubernetes-versions?provider=aks&${query}`);
      expect([query, res.status, fieldsOf(res)]).toEqual([query, 400, [field]]);
    }
  });
});
