import type { TokenCredential } from '@azure/identity';
import { failure } from '../helpers/failures.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { AksProvider, agentPoolName, resourceGroupName, type AksProviderOptions } from '../../src/adapters/providers/aks/index.js';
import type { ProviderActivities } from '../../src/adapters/providers/provider.js';
import type { CredentialResolver } from '../../src/adapters/secrets/credentials.js';
import { clusterRef, PROVIDERS, withDefaults, type ClusterRef, type NodePoolSpec } from '../../src/domain/cluster.js';
import { FailureType } from '../../src/domain/problems.js';
import { FakeArm } from './aks-server.js';
import { providerConformance } from './conformance.js';

// The AKS adapter, through the real Azure SDKs, against a fake ARM that checks
// every request against the official AKS swagger and answers with the
// official examples (see aks-server.ts).

/** What @azure/arm-containerservice 25.5.0 sends when not told otherwise: newer than the fixtures' swagger. */
const SDK_API_VERSION = '2026-06-01';
/** What @azure/arm-resources 8.0.0 sends for resource groups (no swagger for it in the fixtures). */
const RESOURCES_API_VERSION = '2025-04-01';
/** The subscription of the official examples. */
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

const staticToken: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
const resolved: { ref: ClusterRef; type: string; secretId?: string }[] = [];
/** The proxy's CA as its proxy-ca secret holds it. */
const PROXY_CA = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUD2Zm\n-----END CERTIFICATE-----\n';
/** The proxy's user as its proxy-credentials secret holds it: characters a URL's userinfo must percent-encode. */
const PROXY_USER = { username: 'svc@corp', password: 'p:ss/w@rd%1 #' };
const PROXY_USERINFO = 'svc%40corp:p%3Ass%2Fw%40rd%251%20%23@';
const credentials = (async (ref: ClusterRef, type: string, secretId?: string) => {
  resolved.push({ ref, type, ...(secretId ? { secretId } : {}) });
  if (type === 'proxy-ca') return { trustedCa: PROXY_CA };
  if (type === 'proxy-credentials') return PROXY_USER;
  return { tenantId: 'tenant', clientId: 'client', clientSecret: 'secret', subscriptionId: SUBSCRIPTION };
}) as CredentialResolver;

/** The KubernetesVersions_List example offers 1.23 to 1.26, so the clusters here ask for one of those. */
const ref: ClusterRef = { org: 'acme', name: 'aks1', provider: 'aks', region: 'eastus', kubernetesVersion: '1.26' };
const spot: NodePoolSpec = {
  name: 'spot-workers',
  instanceType: 'Standard_D4s_v3',
  count: 2,
  autoscaling: true,
  minCount: 1,
  maxCount: 5,
  spot: true,
  labels: { team: 'ml', tier: 'batch' },
  taints: [{ key: 'dedicated', value: 'spot', effect: 'NoSchedule' }],
};
const general: NodePoolSpec = { name: 'general', instanceType: 'Standard_D2s_v3', count: 3 };

/** Where the SDKs put a cluster's resources (the resource group client spells `resourcegroups` in lower case). */
function paths(r: ClusterRef) {
  const group = resourceGroupName(r);
  const cluster = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${r.name}`;
  return { group, groupPath: `/subscriptions/${SUBSCRIPTION}/resourcegroups/${group}`, clusterPath: cluster, poolPath: (pool: string) => `${cluster}/agentPools/${agentPoolName(pool)}` };
}
const { group, groupPath, clusterPath, poolPath } = paths(ref);
const exact = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

function provider(server: FakeArm, options: Partial<AksProviderOptions> = {}): AksProvider {
  return new AksProvider({ credentials, endpoint: server.url, tokenCredential: staticToken, httpsAgent: server.agent, pollIntervalMs: 10, ...options });
}

/** Failures here are expected ones: the worker's warning with the whole error would only bury the results. */
const quiet = { logger: new DefaultLogger('ERROR') };

/** Runs one activity as Temporal would, collecting its heartbeats. */
async function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<{ result: R; heartbeats: unknown[] }> {
  const env = new MockActivityEnvironment(undefined, quiet);
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  return { result: await env.run(fn, ...args), heartbeats };
}

describe.each([
  { variant: 'the SDK default api-version', apiVersion: undefined, expected: SDK_API_VERSION },
  { variant: 'the api-version pinned to the fixtures', apiVersion: '2025-07-01', expected: '2025-07-01' },
])('AKS adapter against the swagger, with $variant', ({ apiVersion, expected }) => {
  let server: FakeArm;
  let aks: ProviderActivities;
  let adapter: AksProvider;

  beforeAll(async () => {
    server = await FakeArm.start({ containerServiceApiVersion: expected, resourcesApiVersion: RESOURCES_API_VERSION });
    adapter = provider(server, apiVersion ? { apiVersion } : {});
    aks = adapter.activities();
  });
  afterAll(() => server?.stop());
  afterEach(() => expect(server.violations).toEqual([]));

  it('provisions a resource group, a cluster with its system pool, and agent pools', async () => {
    await run(aks.ensureNetwork, ref);
    const [groupPut] = server.received('PUT', exact(groupPath));
    expect(groupPut!.body).toEqual({ location: 'eastus', tags: { createdBy: 'flotilla', 'flotilla-org': 'acme', 'flotilla-cluster': 'aks1' } });
    expect(groupPut!.authorization).toBe('Bearer test-token');
    expect(resolved.at(-1)).toEqual({ ref, type: 'azure' });

    const control = await run(aks.createControlPlane, ref);
    const [clusterPut, ...morePuts] = server.received('PUT', exact(clusterPath));
    expect(morePuts).toEqual([]);
    expect(clusterPut!.operationId).toBe('ManagedClusters_CreateOrUpdate');
    expect(clusterPut!.query['api-version']).toBe(expected);
    expect(clusterPut!.body).toMatchObject({
      location: 'eastus',
      identity: { type: 'SystemAssigned' },
      tags: { createdBy: 'flotilla' },
      properties: {
        kubernetesVersion: '1.26',
        dnsPrefix: 'aks1',
        agentPoolProfiles: [{ name: 'system', mode: 'System', vmSize: 'Standard_D2s_v3', count: 1, osType: 'Linux' }],
      },
    });
    // The PUT answered Creating; the poller read the cluster until it said Succeeded.
    expect(server.received('GET', exact(clusterPath)).length).toBeGreaterThanOrEqual(2);
    expect(control.heartbeats).toContainEqual({ operation: `PUT managedCluster ${group}/aks1`, state: expect.any(String) });

    await run(aks.awaitControlPlane, ref);

    const spotPool = await run(aks.createNodePool, ref, spot);
    expect(spotPool.result).toBe(2);
    const [spotPut] = server.received('PUT', exact(poolPath('spot-workers')));
    expect(spotPut!.operationId).toBe('AgentPools_CreateOrUpdate');
    expect(spotPut!.body.properties).toEqual({
      vmSize: 'Standard_D4s_v3',
      mode: 'User',
      osType: 'Linux',
      count: 2,
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 5,
      scaleSetPriority: 'Spot',
      scaleSetEvictionPolicy: 'Delete',
      spotMaxPrice: -1,
      nodeLabels: { team: 'ml', tier: 'batch', 'flotilla.io/nodepool': 'spot-workers' },
      nodeTaints: ['dedicated=spot:NoSchedule'],
    });
    // 'spot-workers' is no AKS pool name (^[a-z][a-z0-9]{0,11}$): the swagger check above passed on the mapped one.
    expect(agentPoolName('spot-workers')).toMatch(/^[a-z][a-z0-9]{0,11}$/);

    const generalPool = await run(aks.createNodePool, ref, general);
    expect(generalPool.result).toBe(3);
    const [generalPut] = server.received('PUT', exact(poolPath('general')));
    expect(generalPut!.path.endsWith('/agentPools/general')).toBe(true);
    expect(generalPut!.body.properties).toMatchObject({ vmSize: 'Standard_D2s_v3', count: 3, enableAutoScaling: false, mode: 'User', nodeTaints: [] });
    expect(generalPut!.body.properties.scaleSetPriority).toBeUndefined();
  });

  it('does nothing twice: each step looks before it creates', async () => {
    const before = server.requests.filter((r) => r.method === 'PUT').length;
    await run(aks.ensureNetwork, ref);
    await run(aks.createControlPlane, ref);
    expect((await run(aks.createNodePool, ref, spot)).result).toBe(2);
    expect((await run(aks.createNodePool, ref, general)).result).toBe(3);
    expect(server.requests.filter((r) => r.method === 'PUT').length).toBe(before);
  });

  it('creates a private cluster behind a proxy: apiServerAccessProfile and httpProxyConfig, the CA and the user read from their secrets', async () => {
    const network = {
      privateEndpoint: true,
      httpProxy: {
        httpProxy: 'http://proxy.corp:3128',
        httpsProxy: 'https://proxy.corp:3129',
        noProxy: ['.corp', '10.0.0.0/8'],
        trustedCaSecretId: 'sec-00000000000000ca',
        credentialsSecretId: 'sec-0000000000000c4e',
      },
    };
    const privateRef: ClusterRef = { ...ref, name: 'aksprv', kubernetesVersion: '1.25', network };
    await run(aks.ensureNetwork, privateRef);
    const created = await run(aks.createControlPlane, privateRef);
    const [put] = server.received('PUT', exact(paths(privateRef).clusterPath));
    // The fake held the body to the swagger's ManagedCluster (afterEach: no violations).
    const proxyConfig = {
      // AKS takes the user only inside the URLs, percent-encoded.
      httpProxy: `http://${PROXY_USERINFO}proxy.corp:3128`,
      httpsProxy: `https://${PROXY_USERINFO}proxy.corp:3129`,
      noProxy: ['.corp', '10.0.0.0/8'],
      trustedCa: Buffer.from(PROXY_CA).toString('base64'),
    };
    expect(put!.body.properties).toMatchObject({ apiServerAccessProfile: { enablePrivateCluster: true }, httpProxyConfig: proxyConfig });
    expect(new URL(put!.body.properties.httpProxyConfig.httpsProxy)).toMatchObject({ hostname: 'proxy.corp', port: '3129' });
    expect(decodeURIComponent(new URL(put!.body.properties.httpProxyConfig.httpsProxy).password)).toBe(PROXY_USER.password);
    // Read inside the activity, by the IDs the reference carries: what the workflow gives the activity, and
    // what the activity records (heartbeats), hold neither the password nor the CA.
    expect(resolved).toContainEqual({ ref: privateRef, type: 'proxy-ca', secretId: 'sec-00000000000000ca' });
    expect(resolved).toContainEqual({ ref: privateRef, type: 'proxy-credentials', secretId: 'sec-0000000000000c4e' });
    const recorded = JSON.stringify([privateRef, created.heartbeats]);
    for (const value of [PROXY_USER.password, encodeURIComponent(PROXY_USER.password), PROXY_USER.username, PROXY_CA]) expect(recorded).not.toContain(value);

    // An upgrade PUTs the cluster again: with the user and the CA, which a PUT without them would take away.
    await run(aks.awaitControlPlane, privateRef);
    await run(aks.upgradeControlPlane, privateRef, '1.26');
    expect(server.received('PUT', exact(paths(privateRef).clusterPath)).at(-1)!.body.properties).toMatchObject({ kubernetesVersion: '1.26', httpProxyConfig: proxyConfig });
    await run(aks.deleteControlPlane, privateRef);
    await run(aks.deleteNetwork, privateRef);
  });

  it('cuts the proxy password out of an ARM error that quotes the URL it refused', async () => {
    const proxied: ClusterRef = { ...ref, name: 'aksrefused', network: { httpProxy: { httpsProxy: 'http://proxy.corp:3128', credentialsSecretId: 'sec-0000000000000c4e' } } };
    await run(aks.ensureNetwork, proxied);
    const quoted = `http://${PROXY_USERINFO}proxy.corp:3128`;
    server.inject({ method: 'PUT', path: exact(paths(proxied).clusterPath), status: 400, body: { error: { code: 'InvalidParameter', message: `httpsProxy '${quoted}' is not reachable` } }, times: 1 });
    const err = await failure(run(aks.createControlPlane, proxied));
    expect([err.nonRetryable, err.type]).toEqual([true, FailureType.nonRetryableCloud]);
    expect(err.message).toContain('InvalidParameter: httpsProxy');
    // What the failure carries into the workflow's history: message and stack, its cause's too.
    const recorded = JSON.stringify([err.message, err.stack, err.cause?.message, err.cause?.stack]);
    expect(recorded).not.toContain(encodeURIComponent(PROXY_USER.password));
    expect(recorded).toContain('svc%40corp:***@proxy.corp');
    await run(aks.deleteNetwork, proxied);
  });

  it('scales a pool and changes autoscaling bounds', async () => {
    expect((await run(aks.updateNodePool, ref, { ...general, count: 5 })).result).toBe(5);
    expect(server.received('PUT', exact(poolPath('general'))).at(-1)!.body.properties).toMatchObject({ count: 5, enableAutoScaling: false });

    expect((await run(aks.updateNodePool, ref, { ...spot, minCount: 3, maxCount: 8 })).result).toBe(3);
    // The autoscaler owns the count: it is kept, moved only into the new bounds.
    expect(server.received('PUT', exact(poolPath('spot-workers'))).at(-1)!.body.properties).toMatchObject({
      enableAutoScaling: true,
      minCount: 3,
      maxCount: 8,
      count: 3,
      scaleSetPriority: 'Spot',
    });
  });

  it('upgrades: a PUT of the managed cluster at kubernetesVersion (its system pool with it), then of the agent pool at orchestratorVersion, surge 1 and the drain timeout', async () => {
    const old: ClusterRef = { ...ref, name: 'aksup', kubernetesVersion: '1.25' };
    const { clusterPath: upPath, poolPath: upPool } = paths(old);
    await run(aks.ensureNetwork, old);
    await run(aks.createControlPlane, old);
    await run(aks.awaitControlPlane, old);
    await run(aks.createNodePool, old, general);
    await run(aks.upgradeControlPlane, old, '1.26');
    const cluster = server.received('PUT', exact(upPath)).at(-1)!.body.properties;
    expect(cluster.kubernetesVersion).toBe('1.26');
    expect(cluster.agentPoolProfiles.find((p: { name: string }) => p.name === 'system').orchestratorVersion).toBe('1.26');
    await run(aks.upgradeNodePool, { ...old, kubernetesVersion: '1.26' }, general, '1.26', { timeoutSeconds: 600 });
    expect(server.received('PUT', exact(upPool('general'))).at(-1)!.body.properties).toMatchObject({
      orchestratorVersion: '1.26',
      upgradeSettings: { maxSurge: '1', drainTimeoutInMinutes: 10 },
    });
  });

  it('reads the kubeconfig from listClusterUserCredential, decoded', async () => {
    // The example's value is base64 of "credentialValue1".
    expect(await adapter.kubeconfig(ref)).toBe('credentialValue1');
    expect(server.received('POST', exact(`${clusterPath}/listClusterUserCredential`))).toHaveLength(1);
  });

  it('deletes a pool, the cluster and the resource group, each twice without error', async () => {
    await run(aks.deleteNodePool, ref, 'general');
    await run(aks.deleteNodePool, ref, 'general');
    const poolDeletes = server.received('DELETE', exact(poolPath('general')));
    expect(poolDeletes).toHaveLength(2);
    expect(poolDeletes[0]!.operationId).toBe('AgentPools_Delete');
    // 202 with a Location, polled until done.
    expect(server.received('GET', /\/operationresults\//).length).toBeGreaterThanOrEqual(2);

    await run(aks.deleteControlPlane, ref);
    await run(aks.deleteControlPlane, ref);
    expect(server.received('DELETE', exact(clusterPath))).toHaveLength(2);
    await expect(run(aks.deleteNodePool, ref, 'spot-workers')).resolves.toBeDefined(); // gone with its cluster

    await run(aks.deleteNetwork, ref);
    await run(aks.deleteNetwork, ref);
    expect(server.received('DELETE', exact(groupPath))).toHaveLength(1); // the second found nothing to delete
    expect(server.groupTags(group)).toBeUndefined();

    // And once the group is gone, every delete is still done.
    await run(aks.deleteControlPlane, ref);
    await run(aks.deleteNodePool, ref, 'general');
  });
});

describe('AKS adapter: errors, foreign groups, restarts', () => {
  let server: FakeArm;
  let aks: ProviderActivities;
  const other: ClusterRef = { ...ref, name: 'aks2' };

  beforeAll(async () => {
    server = await FakeArm.start({ containerServiceApiVersion: SDK_API_VERSION, resourcesApiVersion: RESOURCES_API_VERSION });
    aks = provider(server, { maxRetries: 0 }).activities();
    await run(aks.ensureNetwork, ref);
    await run(aks.createControlPlane, ref);
  });
  afterAll(() => server?.stop());
  afterEach(() => expect(server.violations).toEqual([]));

  it(`the installed SDK sends api-version ${SDK_API_VERSION}, not the fixtures’ 2025-07-01`, () => {
    const versions = new Set(server.requests.filter((r) => r.operationId).map((r) => r.query['api-version']));
    expect([...versions]).toEqual([SDK_API_VERSION]);
    expect(server.swagger.apiVersion).toBe('2025-07-01');
  });

  it('has a contract check that refuses what the swagger does not declare', () => {
    const { swagger } = server;
    const put = swagger.match('PUT', poolPath('general'))!;
    expect(put.operationId).toBe('AgentPools_CreateOrUpdate');
    const query = new URLSearchParams({ 'api-version': '2025-07-01' });
    expect(swagger.check(put, query, { properties: { count: 1, vmSize: 'Standard_D2s_v3', nodeTaints: ['a=b:NoSchedule'] } })).toEqual([]);
    expect(swagger.check(put, query, { properties: { count: 1, nodeLabel: { a: 'b' } } })).toEqual(['body.properties.nodeLabel: unknown field']);
    expect(swagger.check(put, query, { properties: { provisioningState: 'Succeeded' } })).toEqual([
      'body.properties.provisioningState: read-only in the swagger, must not be sent',
    ]);
    expect(swagger.check(put, query, { properties: { count: 'three' } })).toEqual(['body.properties.count: expected an integer']);
    expect(swagger.check(put, new URLSearchParams({ 'api-version': '2025-07-01', force: 'true' }), { properties: {} })).toEqual([
      'query parameter force is not declared',
    ]);
    const badName = swagger.match('PUT', `${clusterPath}/agentPools/spot-workers`)!;
    expect(swagger.check(badName, query, { properties: {} })).toEqual(['path agentPoolName: "spot-workers" does not match ^[a-z][a-z0-9]{0,11}$']);
    const cluster = swagger.match('PUT', clusterPath)!;
    expect(swagger.check(cluster, query, { location: 'eastus', properties: { agentPoolProfiles: [{ name: 'system', bogus: 1 }] } })).toEqual([
      'body.properties.agentPoolProfiles[0].bogus: unknown field',
    ]);
    expect(swagger.check(cluster, query, { properties: {} })).toEqual(['body.location: required field missing']);
    expect(swagger.match('PUT', clusterPath.replace('managedClusters', 'managedKlusters'))).toBeUndefined();
  });

  it('fails fast, with Azure’s message, on a VM size Azure rejects (400)', async () => {
    const err = await failure(run(aks.createNodePool, ref, { ...general, name: 'bad', instanceType: 'Standard_Bogus_v9' }));
    expect(err.nonRetryable).toBe(true);
    expect(err.type).toBe(FailureType.nonRetryableCloud);
    expect(err.message).toContain('InvalidParameter');
    expect(err.message).toContain("The VM size of Standard_Bogus_v9 is not allowed in your subscription in location 'eastus'.");
    expect(server.received('PUT', exact(poolPath('bad')))).toHaveLength(1);
  });

  it('fails fast on a Kubernetes version AKS does not offer (400)', async () => {
    const old: ClusterRef = { ...ref, name: 'aks3', kubernetesVersion: '1.99' };
    await run(aks.ensureNetwork, old);
    const err = await failure(run(aks.createControlPlane, old));
    expect([err.nonRetryable, err.type]).toEqual([true, FailureType.nonRetryableCloud]);
    expect(err.message).toContain('K8sVersionNotSupported: Version 1.99 is not supported in this region');
  });

  it('retries throttling (429) and server errors (5xx)', async () => {
    server.inject({
      method: 'GET',
      path: exact(poolPath('general')),
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } },
      times: 1,
    });
    const throttled = await failure(run(aks.createNodePool, ref, general));
    expect(throttled.nonRetryable).toBe(false);
    expect(throttled.type).toBe('Azure.TooManyRequests');
    expect(throttled.nextRetryDelay).toBe(7000);

    server.inject({ method: 'PUT', path: exact(poolPath('general')), status: 503, body: { error: { code: 'ServiceUnavailable', message: 'Try again.' } }, times: 1 });
    const unavailable = await failure(run(aks.createNodePool, ref, general));
    expect([unavailable.nonRetryable, unavailable.type]).toEqual([false, 'Azure.ServiceUnavailable']);

    // The next attempt, as Temporal would make it, succeeds.
    expect((await run(aks.createNodePool, ref, general)).result).toBe(3);
  });

  it('lets the SDK itself ride out a short throttle when allowed to retry', async () => {
    const patient = provider(server).activities(); // the SDK's default retries
    server.inject({ method: 'GET', path: exact(poolPath('general')), status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'TooManyRequests', message: 'Slow down.' } }, times: 1 });
    expect((await run(patient.updateNodePool, ref, general)).result).toBe(3);
    expect(server.received('GET', exact(poolPath('general'))).length).toBeGreaterThanOrEqual(2);
  });

  it('fails fast when no subscription is known', async () => {
    const saved = process.env.AZURE_SUBSCRIPTION_ID;
    delete process.env.AZURE_SUBSCRIPTION_ID;
    try {
      const none = new AksProvider({ credentials: (async () => undefined) as CredentialResolver, endpoint: server.url, httpsAgent: server.agent }).activities();
      const err = await failure(run(none.ensureNetwork, ref));
      expect([err.nonRetryable, err.type]).toEqual([true, FailureType.nonRetryableCloud]);
    } finally {
      if (saved !== undefined) process.env.AZURE_SUBSCRIPTION_ID = saved;
    }
  });

  it('uses a resource group it did not create, and leaves it in place', async () => {
    const { group: otherGroup, groupPath: otherGroupPath } = paths(other);
    server.addForeignGroup(otherGroup, 'eastus');
    await run(aks.ensureNetwork, other);
    await run(aks.deleteNetwork, other);
    expect(server.received('GET', exact(otherGroupPath))).toHaveLength(2);
    expect(server.received('PUT', exact(otherGroupPath))).toEqual([]);
    expect(server.received('DELETE', exact(otherGroupPath))).toEqual([]);
    expect(server.groupTags(otherGroup)).toEqual({ owner: 'someone-else' });
  });

  /** Starts an activity, waits for its heartbeat to carry a saved operation, and kills it, as a worker crash would. */
  async function crashAfterSave<A extends unknown[]>(fn: (...args: A) => Promise<unknown>, ...args: A): Promise<unknown> {
    const env = new MockActivityEnvironment(undefined, quiet);
    let saved: unknown;
    // Wait for a heartbeat that carries the poller's state: an earlier one may precede the cloud's answer.
    env.on('heartbeat', (d: unknown) => (saved ??= d && typeof d === 'object' && 'state' in d && (d as { state?: unknown }).state ? d : undefined));
    const running = env.run(fn, ...args).catch(() => undefined);
    for (let i = 0; i < 500 && !saved; i++) await new Promise((r) => setTimeout(r, 10));
    env.cancel();
    await running;
    expect(saved).toBeDefined();
    return saved;
  }

  it('resumes a cluster creation from the poller saved in the heartbeat, without a second PUT', async () => {
    const path = exact(paths(other).clusterPath);
    server.pollsBeforeDone = Infinity; // the cluster stays Creating until finishAll
    const saved = await crashAfterSave(aks.createControlPlane, other);
    expect(saved).toEqual({ operation: `PUT managedCluster ${resourceGroupName(other)}/aks2`, state: expect.stringContaining('"initialRequestUrl"') });
    expect(server.received('PUT', path)).toHaveLength(1);

    // Three more polls until Succeeded: a resumed poller waits them out, where a fresh attempt
    // would see the cluster Creating and return at once (leaving the wait to awaitControlPlane).
    server.finishAll(3);
    const gets = server.received('GET', path).length;
    await new MockActivityEnvironment({ heartbeatDetails: saved }, quiet).run(aks.createControlPlane, other);
    expect(server.received('PUT', path)).toHaveLength(1); // resumed, not sent again
    expect(server.received('GET', path).length - gets).toBe(4);
    expect(server.clusterState(resourceGroupName(other), 'aks2')).toBe('Succeeded');
    await run(aks.awaitControlPlane, other);
  });

  it('resumes a node pool deletion and a resource group deletion the same way', async () => {
    const pool = exact(poolPath('general'));
    server.pollsBeforeDone = Infinity;
    const savedPool = await crashAfterSave(aks.deleteNodePool, ref, 'general');
    server.finishAll();
    await new MockActivityEnvironment({ heartbeatDetails: savedPool }, quiet).run(aks.deleteNodePool, ref, 'general');
    expect(server.received('DELETE', pool)).toHaveLength(1);

    // The resource group's poller (@azure/arm-resources, modular since 8) is saved and restored as the others are.
    await run(aks.deleteControlPlane, ref);
    server.pollsBeforeDone = Infinity;
    const savedGroup = await crashAfterSave(aks.deleteNetwork, ref);
    expect(savedGroup).toMatchObject({ operation: `DELETE resourceGroup ${group}` });
    server.finishAll();
    await new MockActivityEnvironment({ heartbeatDetails: savedGroup }, quiet).run(aks.deleteNetwork, ref);
    expect(server.received('DELETE', exact(groupPath))).toHaveLength(1);
    expect(server.groupTags(group)).toBeUndefined();
  });
});

describe('AKS adapter (fake ARM)', () => {
  let server: FakeArm;
  let activities: ProviderActivities;
  beforeAll(async () => {
    // Flotilla's default Kubernetes version is newer than the example's list; this fake offers it too.
    server = await FakeArm.start({
      containerServiceApiVersion: SDK_API_VERSION,
      resourcesApiVersion: RESOURCES_API_VERSION,
      kubernetesVersions: [PROVIDERS.aks.defaultKubernetesVersion],
    });
    activities = provider(server).activities();
  });
  afterAll(() => server?.stop());
  afterEach(() => expect(server.violations).toEqual([]));

  providerConformance('aks', () => ({
    activities,
    ref: clusterRef('conf', withDefaults({ name: 'conf-aks', provider: 'aks', nodePools: [] })),
    pool: { name: 'pool', instanceType: 'Standard_D2s_v3', count: 2 },
    inventory: async (r) => server.inventory(resourceGroupName(r), r.name),
  }));
});

describe('AKS versions (ManagedClusters_ListKubernetesVersions)', () => {
  let server: FakeArm;
  let aks: ProviderActivities;
  beforeAll(async () => {
    server = await FakeArm.start({ containerServiceApiVersion: SDK_API_VERSION, resourcesApiVersion: RESOURCES_API_VERSION });
    aks = provider(server, { maxRetries: 0 }).activities();
  });
  afterAll(() => server?.stop());
  afterEach(() => expect(server.violations).toEqual([]));

  it("lists the location's minors, preview ones left out, with the subscription of the secret the query names", async () => {
    resolved.length = 0;
    const { result } = await run(aks.kubernetesVersions!, { org: 'acme', region: 'westeurope', secretId: 'sec-0123456789abcdef' });
    // Azure's example: 1.23, 1.24 (default), 1.25 and 1.26 in preview.
    expect(result).toEqual([{ version: '1.23' }, { version: '1.24', default: true }, { version: '1.25' }]);
    expect(resolved).toEqual([{ ref: { org: 'acme', region: 'westeurope', secretId: 'sec-0123456789abcdef' }, type: 'azure' }]);
    const read = server.requests.filter((r) => r.operationId === 'ManagedClusters_ListKubernetesVersions');
    expect(read.map((r) => [r.method, r.path])).toEqual([['GET', `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/westeurope/kubernetesVersions`]]);
  });

  it('fails without retries for a location AKS does not have', async () => {
    const err = await failure(run(aks.kubernetesVersions!, { org: 'acme', region: 'mars' }));
    expect(err.nonRetryable).toBe(true);
    expect(err.type).toBe(FailureType.nonRetryableCloud);
    expect(err.message).toContain("location 'mars' is not available");
  });
});
