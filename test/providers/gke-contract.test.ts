import { KubeConfig } from '@kubernetes/client-node';
import { failure } from '../helpers/failures.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { parse } from 'yaml';
import type { ProviderActivities } from '../../src/adapters/providers/provider.js';
import type { GkeAuthClient } from '../../src/adapters/providers/gke/client.js';
import { GkeProvider, type GkeProviderOptions } from '../../src/adapters/providers/gke/index.js';
import type { CredentialResolver } from '../../src/adapters/secrets/credentials.js';
import type { ClusterRef, NodePoolSpec } from '../../src/domain/cluster.js';
import { FailureType } from '../../src/domain/problems.js';
import { providerConformance } from './conformance.js';
import { FAKE_CA, FAKE_ENDPOINT, FakeGke } from './gke-server.js';

/**
 * The GKE adapter against a fake GKE that holds every request of the real SDK
 * to GKE's discovery document (see gke-server.ts). Tests assert on what the
 * fake received — method, path, body fields — as well as on what the
 * activities return.
 */

const PROJECT = 'flotilla-test';
const KEY = { type: 'service_account' as const, project_id: PROJECT, client_email: 'flotilla@flotilla-test.iam.gserviceaccount.com', private_key: 'unused' };
const withKey = (async (_ref: ClusterRef, type: string) => (type === 'gcp' ? { serviceAccountKey: KEY } : undefined)) as CredentialResolver;

/** Attempts no Google auth: sends a bearer token of its own with plain fetch. */
const fakeAuth = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer fake-token' }),
  fetch: (url: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', 'Bearer fake-token');
    return fetch(url, { ...init, headers });
  },
} as unknown as GkeAuthClient;

const fake = new FakeGke();
let port: number;
let provider: GkeProvider;
let gke: ProviderActivities;

const options = (overrides: Partial<GkeProviderOptions> = {}): GkeProviderOptions => ({
  credentials: withKey,
  apiEndpoint: '127.0.0.1',
  port,
  protocol: 'http',
  authClient: fakeAuth,
  pollIntervalMs: 5,
  ...overrides,
});

beforeAll(async () => {
  port = await fake.start();
  provider = new GkeProvider(options());
  gke = provider.activities();
});

afterAll(async () => {
  await provider?.close();
  await fake.stop();
});

afterEach(() => {
  // Every request of the test matched the discovery document, and every answer its schema.
  // Taken out, so that one test's violation does not fail the ones after it.
  expect(fake.violations.splice(0)).toEqual([]);
});

/** An activity environment that keeps the expected "Activity failed" warnings out of the output. */
const activityEnv = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) => new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => activityEnv().run(fn, ...args);

const ref: ClusterRef = { org: 'acme', name: 'prod', provider: 'gke', region: 'us-central1-a', kubernetesVersion: '1.32', secretId: 'gcp-key' };
const CLUSTER = `projects/${PROJECT}/locations/us-central1-a/clusters/prod`;

const spot: NodePoolSpec = {
  name: 'spot',
  instanceType: 'e2-standard-4',
  count: 2,
  autoscaling: true,
  minCount: 1,
  maxCount: 5,
  spot: true,
  labels: { team: 'ml', 'app.kubernetes.io/name': 'trainer' },
  taints: [{ key: 'dedicated', value: 'spot', effect: 'NoSchedule' }],
};
const gpu: NodePoolSpec = { name: 'gpu', instanceType: 'g2-standard-4', count: 1, labels: { accelerator: 'l4' } };

describe('GKE adapter against the discovery document', () => {
  it('creates the cluster with one system pool, waiting on its operation with heartbeats', async () => {
    const env = activityEnv();
    const beats: { operation?: string }[] = [];
    env.on('heartbeat', (d) => beats.push(d ?? {}));

    await env.run(gke.ensureNetwork, ref);
    expect(fake.requests).toEqual([]); // the default VPC: nothing to make
    await env.run(gke.createControlPlane, ref);

    const creates = fake.calls('clusters.create');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.method).toBe('POST');
    expect(creates[0]!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1-a/clusters`);
    expect(creates[0]!.body.cluster).toEqual({
      name: 'prod',
      initialClusterVersion: '1.32',
      resourceLabels: { 'managed-by': 'flotilla', 'flotilla-org': 'acme' },
      // No release channel: Flotilla owns the versions (its pools are made with autoUpgrade off).
      releaseChannel: { channel: 'UNSPECIFIED' },
      nodePools: [{ name: 'flotilla-system', initialNodeCount: 1, config: expect.objectContaining({ machineType: 'e2-standard-2' }), management: { autoRepair: true, autoUpgrade: true } }],
    });

    // The operation's name was heartbeaten as soon as GKE answered, then polled until DONE.
    const operation = beats.map((b) => b.operation).find(Boolean)!;
    expect(operation).toMatch(new RegExp(`^projects/${PROJECT}/locations/us-central1-a/operations/operation-`));
    expect(fake.calls('operations.get', `/v1/${operation}`)).toHaveLength(2); // RUNNING, then DONE

    await env.run(gke.awaitControlPlane, ref);
    expect(fake.clusters.get(CLUSTER).status).toBe('RUNNING');
  });

  it('adopts its own cluster when createControlPlane runs again', async () => {
    await run(gke.createControlPlane, ref);
    expect(fake.calls('clusters.create')).toHaveLength(1);
  });

  it('creates a private cluster: private nodes and endpoint, a control-plane range, VPC-native; a proxy is not sent', async () => {
    const privateRef: ClusterRef = { ...ref, name: 'private', network: { privateEndpoint: true, httpProxy: { httpProxy: 'http://proxy.corp:3128', noProxy: ['.corp'] } } };
    await run(gke.createControlPlane, privateRef);
    const [create] = fake.calls('clusters.create').filter((c) => c.body.cluster.name === 'private');
    // The fake held the body to the discovery document's Cluster schema (afterEach: no violations).
    expect(create!.body.cluster).toMatchObject({
      name: 'private',
      privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: '172.16.0.0/28' },
      ipAllocationPolicy: { useIpAliases: true },
    });
    // GKE has no cluster proxy field: the proxy URL is nowhere in the request.
    expect(JSON.stringify(create!.body)).not.toContain('proxy.corp');
  });

  it('creates a spot pool with autoscaling bounds, labels and a NoSchedule taint', async () => {
    expect(await run(gke.createNodePool, ref, spot)).toBe(2);

    const [create] = fake.calls('clusters.nodePools.create');
    expect(create!.method).toBe('POST');
    expect(create!.path).toBe(`/v1/${CLUSTER}/nodePools`);
    expect(create!.body.nodePool).toMatchObject({
      name: 'spot',
      initialNodeCount: 2,
      autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 5 },
      config: {
        machineType: 'e2-standard-4',
        spot: true,
        labels: { team: 'ml', 'app.kubernetes.io/name': 'trainer' },
        taints: [{ key: 'dedicated', value: 'spot', effect: 'NO_SCHEDULE' }],
      },
    });
    // The SDK sends enums as proto numbers (NO_SCHEDULE = 1) and says so; the fake decoded them.
    expect(create!.query.$alt).toBe('json;enum-encoding=int');
    expect(create!.raw.nodePool.config.taints[0].effect).toBe(1);
    expect(create!.body.nodePool.config.accelerators).toBeUndefined();
    expect(fake.pool(CLUSTER, 'spot').status).toBe('RUNNING');
  });

  it('creates a GPU pool with the accelerator of its machine type', async () => {
    expect(await run(gke.createNodePool, ref, gpu)).toBe(1);

    const create = fake.calls('clusters.nodePools.create').at(-1)!;
    expect(create.body.nodePool.config).toMatchObject({
      machineType: 'g2-standard-4',
      labels: { accelerator: 'l4' },
      accelerators: [{ acceleratorType: 'nvidia-l4', acceleratorCount: '1', gpuDriverInstallationConfig: { gpuDriverVersion: 'DEFAULT' } }],
    });
    expect(create.body.nodePool.config.spot).toBeUndefined();
    expect(create.body.nodePool.autoscaling.enabled ?? false).toBe(false);
    expect(fake.nodeCount(CLUSTER, 'gpu')).toBe(1);
  });

  it('scales a fixed pool with setNodePoolSize', async () => {
    expect(await run(gke.updateNodePool, ref, { ...gpu, count: 3 })).toBe(3);

    const resizes = fake.calls('clusters.nodePools.setSize');
    expect(resizes).toHaveLength(1);
    expect(resizes[0]!.method).toBe('POST');
    expect(resizes[0]!.path).toBe(`/v1/${CLUSTER}/nodePools/gpu:setSize`);
    expect(resizes[0]!.body).toEqual({ nodeCount: 3 });
    expect(fake.calls('clusters.nodePools.setAutoscaling')).toHaveLength(0);
    expect(fake.calls('clusters.nodePools.update')).toHaveLength(0);
    expect(fake.nodeCount(CLUSTER, 'gpu')).toBe(3);
  });

  it('changes autoscaling bounds with setNodePoolAutoscaling, leaving the size to the autoscaler', async () => {
    expect(await run(gke.updateNodePool, ref, { ...spot, minCount: 2, maxCount: 8 })).toBe(2);

    const [change] = fake.calls('clusters.nodePools.setAutoscaling');
    expect(change!.path).toBe(`/v1/${CLUSTER}/nodePools/spot:setAutoscaling`);
    expect(change!.body).toEqual({ autoscaling: { enabled: true, minNodeCount: 2, maxNodeCount: 8 } });
    expect(fake.calls('clusters.nodePools.setSize')).toHaveLength(1); // only the GPU pool's, before
    expect(fake.pool(CLUSTER, 'spot').autoscaling).toMatchObject({ enabled: true, minNodeCount: 2, maxNodeCount: 8 });
  });

  it('replaces labels and taints with updateNodePool, keeping the version and image', async () => {
    const relabelled: NodePoolSpec = { ...spot, minCount: 2, maxCount: 8, labels: { team: 'infra' }, taints: [{ key: 'dedicated', value: 'batch', effect: 'NoExecute' }] };
    await run(gke.updateNodePool, ref, relabelled);

    const [update] = fake.calls('clusters.nodePools.update');
    expect(update!.method).toBe('PUT');
    expect(update!.path).toBe(`/v1/${CLUSTER}/nodePools/spot`);
    expect(update!.body).toEqual({
      nodeVersion: fake.pool(CLUSTER, 'spot').version,
      imageType: 'COS_CONTAINERD',
      labels: { labels: { team: 'infra' } },
      taints: { taints: [{ key: 'dedicated', value: 'batch', effect: 'NO_EXECUTE' }] },
    });
    expect(fake.pool(CLUSTER, 'spot').config).toMatchObject({ labels: { team: 'infra' }, taints: [{ key: 'dedicated', value: 'batch', effect: 'NO_EXECUTE' }] });
    expect(fake.calls('clusters.nodePools.setAutoscaling')).toHaveLength(1); // bounds unchanged: not set again

    // No taints at all: the field is sent (present and empty replaces them), labels are left out (unchanged).
    await run(gke.updateNodePool, ref, { ...relabelled, taints: [] });
    const last = fake.calls('clusters.nodePools.update').at(-1)!;
    expect(last.body.taints).toEqual({});
    expect(last.body.labels).toBeUndefined();
    expect(fake.pool(CLUSTER, 'spot').config.taints).toEqual([]);
    expect(fake.pool(CLUSTER, 'spot').config.labels).toEqual({ team: 'infra' });
  });

  it('upgrades the control plane with updateMaster, then a pool with nodePools.update at the version, surging one node; again is a no-op', async () => {
    await run(gke.upgradeControlPlane, ref, '1.33');
    const [master] = fake.calls('clusters.updateMaster');
    expect(master!.body).toEqual({ masterVersion: '1.33' });
    expect(fake.clusters.get(CLUSTER).currentMasterVersion).toMatch(/^1\.33\./);
    const before = fake.calls('clusters.nodePools.update').length;
    expect(await run(gke.upgradeNodePool, ref, spot, '1.33', { timeoutSeconds: 600 })).toBe(spot.count);
    const upgrade = fake.calls('clusters.nodePools.update').at(-1)!;
    expect(upgrade.body).toMatchObject({ nodeVersion: '1.33', upgradeSettings: { strategy: 'SURGE', maxSurge: 1, maxUnavailable: 0 } });
    expect(fake.clusters.get(CLUSTER).nodePools.find((p: any) => p.name === spot.name).version).toMatch(/^1\.33\./);
    await run(gke.upgradeControlPlane, ref, '1.33');
    await run(gke.upgradeNodePool, ref, spot, '1.33', { timeoutSeconds: 600 });
    expect(fake.calls('clusters.updateMaster')).toHaveLength(1);
    expect(fake.calls('clusters.nodePools.update')).toHaveLength(before + 1);
  });

  it('adopts a pool that exists with the same spec, and reports one with a different spec', async () => {
    const current: NodePoolSpec = { ...spot, minCount: 2, maxCount: 8, labels: { team: 'infra' }, taints: [] };
    const before = fake.requests.length;
    expect(await run(gke.createNodePool, ref, current)).toBe(2);
    const made = fake.requests.slice(before).map((r) => r.id);
    expect(made).not.toContain('clusters.nodePools.create');
    expect(made.filter((id) => id !== 'clusters.get' && id !== 'clusters.nodePools.get')).toEqual([]); // nothing to change

    const err = await failure(run(gke.createNodePool, ref, { ...current, instanceType: 'n2-standard-8' }));
    expect(err.nonRetryable).toBe(true);
    expect(err.type).toBe(FailureType.nonRetryableCloud);
    expect(err.message).toMatch(/node pool spot .* already exists with machine type e2-standard-4, not n2-standard-8/);
    expect(fake.calls('clusters.nodePools.create')).toHaveLength(2); // spot and gpu, once each
  });

  it('resumes the operation an earlier attempt started, instead of issuing the call again', async () => {
    const first = activityEnv();
    let details: { operation?: string } | undefined;
    first.on('heartbeat', (d: { operation?: string } | undefined) => {
      if (d?.operation && !details) {
        details = d;
        first.cancel(); // the worker "dies" right after GKE accepted the delete
      }
    });
    await expect(first.run(gke.deleteNodePool, ref, 'gpu')).rejects.toBeDefined();
    expect(fake.calls('clusters.nodePools.delete')).toHaveLength(1);
    expect(fake.pool(CLUSTER, 'gpu').status).toBe('STOPPING');

    const second = activityEnv({ heartbeatDetails: details });
    await second.run(gke.deleteNodePool, ref, 'gpu');
    expect(fake.calls('clusters.nodePools.delete')).toHaveLength(1);
    expect(fake.calls('operations.get', `/v1/${details!.operation}`)).toHaveLength(2);
    expect(fake.pool(CLUSTER, 'gpu')).toBeUndefined();

    // Deleting what is gone succeeds, without a delete call.
    await run(gke.deleteNodePool, ref, 'gpu');
    expect(fake.calls('clusters.nodePools.delete')).toHaveLength(1);
  });

  it('serves an exec-based kubeconfig from the endpoint and CA, with no key in it', async () => {
    const text = await provider.kubeconfig(ref);
    const config = parse(text);
    expect(config.clusters[0].cluster).toEqual({ server: `https://${FAKE_ENDPOINT}`, 'certificate-authority-data': FAKE_CA });
    expect(config.users[0].user).toEqual({
      exec: expect.objectContaining({ apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'gke-gcloud-auth-plugin', provideClusterInfo: true }),
    });
    expect(text).not.toMatch(/private_key|client-key|token|password/);
    const kc = new KubeConfig();
    kc.loadFromString(text);
    expect(kc.getCurrentCluster()?.server).toBe(`https://${FAKE_ENDPOINT}`);
    expect(fake.calls('clusters.get', `/v1/${CLUSTER}`).length).toBeGreaterThan(0);
  });

  describe('errors', () => {
    it('fails fast, with GKE’s message, on a machine type GKE rejects (400 INVALID_ARGUMENT)', async () => {
      const err = await failure(run(gke.createNodePool, ref, { name: 'bad', instanceType: 'n2-bogus-4', count: 1 }));
      expect(err.nonRetryable).toBe(true);
      expect(err.type).toBe(FailureType.nonRetryableCloud);
      expect(err.message).toContain("Machine type with name 'n2-bogus-4' does not exist in zone 'us-central1-a'");
      expect(fake.calls('clusters.nodePools.create').at(-1)!.body.nodePool.config.machineType).toBe('n2-bogus-4');
    });

    it('fails fast on a Kubernetes version GKE does not offer', async () => {
      const err = await failure(run(gke.createControlPlane, { ...ref, name: 'old', kubernetesVersion: '1.19' }));
      expect(err.nonRetryable).toBe(true);
      expect(err.type).toBe(FailureType.nonRetryableCloud);
      expect(err.message).toContain('Master version "1.19" is unsupported.');
    });

    it('retries on throttling (429 RESOURCE_EXHAUSTED)', async () => {
      fake.inject({ id: 'clusters.nodePools.get', error: { httpStatus: 429, status: 'RESOURCE_EXHAUSTED', message: "Quota exceeded for quota metric 'Read requests'." } });
      const err = await failure(run(gke.updateNodePool, ref, spot));
      expect(err.nonRetryable).toBe(false);
      expect(err.type).toBe('RESOURCE_EXHAUSTED');
      expect(err.message).toContain("Quota exceeded for quota metric 'Read requests'.");
    });

    it('retries on a 5xx, and the retry creates the pool', async () => {
      const pool: NodePoolSpec = { name: 'flaky', instanceType: 'e2-standard-2', count: 1 };
      fake.inject({ id: 'clusters.nodePools.create', error: { httpStatus: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' } });
      const err = await failure(run(gke.createNodePool, ref, pool));
      expect(err.nonRetryable).toBe(false);
      expect(err.type).toBe('UNAVAILABLE');
      expect(await run(gke.createNodePool, ref, pool)).toBe(1);
      expect(fake.pool(CLUSTER, 'flaky').status).toBe('RUNNING');
    });

    it('waits while the cluster runs another operation, then creates the pool', async () => {
      fake.inject({ id: 'clusters.nodePools.create', times: 2, error: { httpStatus: 400, status: 'FAILED_PRECONDITION', message: 'Cluster is running incompatible operation operation-1700000000-abc.' } });
      const pool: NodePoolSpec = { name: 'patient', instanceType: 'e2-standard-2', count: 1 };
      expect(await run(gke.createNodePool, ref, pool)).toBe(1);
      expect(fake.calls('clusters.nodePools.create').filter((r) => r.body.nodePool.name === 'patient')).toHaveLength(3);
    });

    it('fails with the operation’s error when GKE accepts the call but the operation fails', async () => {
      const message = 'Accelerator type "nvidia-l4" is not supported for machine type "g2-standard-4" in zone us-central1-a.';
      fake.inject({ id: 'clusters.nodePools.create', operationError: { code: 3, message } });
      const pool: NodePoolSpec = { ...gpu, name: 'gpu-two' };
      const err = await failure(run(gke.createNodePool, ref, pool));
      expect(err.nonRetryable).toBe(true);
      expect(err.type).toBe(FailureType.nonRetryableCloud);
      expect(err.message).toContain(message);

      // What it left behind (a pool in ERROR) is reported, not adopted.
      const again = await failure(run(gke.createNodePool, ref, pool));
      expect(again.nonRetryable).toBe(true);
      expect(again.message).toContain(`node pool gpu-two is in ERROR: ${message}`);
    });

    it('neither adopts nor deletes a cluster of the same name that Flotilla did not make for this org', async () => {
      fake.seedCluster(PROJECT, 'us-central1-a', 'theirs', { team: 'other' });
      const theirs = { ...ref, name: 'theirs' };
      const adopt = await failure(run(gke.createControlPlane, theirs));
      expect(adopt.nonRetryable).toBe(true);
      expect(adopt.message).toContain('was not created by Flotilla for org acme');
      const del = await failure(run(gke.deleteControlPlane, theirs));
      expect(del.nonRetryable).toBe(true);
      expect(fake.calls('clusters.delete')).toHaveLength(0);
      expect(fake.clusters.has(`projects/${PROJECT}/locations/us-central1-a/clusters/theirs`)).toBe(true);
    });
  });

  it('deletes the cluster, and deleting it again succeeds', async () => {
    await run(gke.deleteControlPlane, ref);
    const deletes = fake.calls('clusters.delete');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.method).toBe('DELETE');
    expect(deletes[0]!.path).toBe(`/v1/${CLUSTER}`);
    expect(fake.clusters.has(CLUSTER)).toBe(false);

    await run(gke.deleteControlPlane, ref);
    await run(gke.deleteNetwork, ref);
    expect(fake.calls('clusters.delete')).toHaveLength(1);
  });

  it('sizes a regional cluster’s pools per zone, and bounds autoscaling by pool totals', async () => {
    const regional: ClusterRef = { ...ref, name: 'regional', region: 'us-central1' };
    const name = `projects/${PROJECT}/locations/us-central1/clusters/regional`;
    await run(gke.createControlPlane, regional);
    await run(gke.awaitControlPlane, regional);
    expect(fake.clusters.get(name).locations).toHaveLength(3);

    // 4 nodes over 3 zones: 2 per zone, 6 in all, and 6 is what is reported.
    expect(await run(gke.createNodePool, regional, { name: 'fixed', instanceType: 'e2-standard-4', count: 4 })).toBe(6);
    expect(fake.calls('clusters.nodePools.create', `/v1/${name}/nodePools`).at(-1)!.body.nodePool.initialNodeCount).toBe(2);
    expect(fake.nodeCount(name, 'fixed')).toBe(6);

    expect(await run(gke.createNodePool, regional, { name: 'auto', instanceType: 'e2-standard-4', count: 3, autoscaling: true, minCount: 1, maxCount: 9 })).toBe(3);
    const auto = fake.calls('clusters.nodePools.create', `/v1/${name}/nodePools`).at(-1)!.body.nodePool;
    expect(auto.autoscaling).toEqual({ enabled: true, totalMinNodeCount: 1, totalMaxNodeCount: 9 });
    expect(auto.initialNodeCount).toBe(1);

    await run(gke.deleteControlPlane, regional);
    expect(fake.clusters.has(name)).toBe(false);
  });

  describe('Kubernetes versions (getServerConfig)', () => {
    it("lists the location's control-plane minors with the project of the secret the query names", async () => {
      const asked: unknown[] = [];
      const recording = (async (account: Pick<ClusterRef, 'org' | 'secretId'>, type: string) => {
        asked.push({ ...account, type });
        return type === 'gcp' ? { serviceAccountKey: KEY } : undefined;
      }) as CredentialResolver;
      const reader = new GkeProvider(options({ credentials: recording }));
      try {
        const versions = await run(reader.activities().kubernetesVersions!, { org: 'acme', region: 'us-central1', secretId: 'sec-0123456789abcdef' });
        expect(versions).toEqual([
          { version: '1.30' },
          { version: '1.31' },
          { version: '1.32', default: true },
          { version: '1.33' },
          { version: '1.34' },
          { version: '1.35' },
        ]);
        expect(asked).toEqual([{ org: 'acme', region: 'us-central1', secretId: 'sec-0123456789abcdef', type: 'gcp' }]);
        expect(fake.calls('getServerConfig').at(-1)!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1/serverConfig`);
      } finally {
        await reader.close();
      }
    });

    it('fails without retries for a location GKE does not have', async () => {
      const err = await failure(run(gke.kubernetesVersions!, { org: 'acme', region: 'mars' }));
      expect(err.nonRetryable).toBe(true);
      expect(err.type).toBe(FailureType.nonRetryableCloud);
      expect(err.message).toContain('Location "mars" does not exist');
    });
  });

  describe('project and credentials', () => {
    const saved = { GOOGLE_CLOUD_PROJECT: process.env.GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT: process.env.GCLOUD_PROJECT };
    afterEach(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    const noSecret = (async () => undefined) as CredentialResolver;

    it('uses the project of the cluster’s service-account key', async () => {
      process.env.GOOGLE_CLOUD_PROJECT = 'not-this-one';
      await run(gke.deleteNodePool, ref, 'anything');
      expect(fake.requests.at(-1)!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1-a/clusters/prod/nodePools/anything`);
    });

    it('uses GOOGLE_CLOUD_PROJECT with Application Default Credentials when the cluster names no secret', async () => {
      process.env.GOOGLE_CLOUD_PROJECT = 'adc-project';
      const adc = new GkeProvider(options({ credentials: noSecret }));
      try {
        await run(adc.activities().deleteControlPlane, { ...ref, secretId: undefined } as ClusterRef);
        expect(fake.requests.at(-1)!.path).toBe('/v1/projects/adc-project/locations/us-central1-a/clusters/prod');
      } finally {
        await adc.close();
      }
    });

    it('fails fast when there is no project to use', async () => {
      delete process.env.GOOGLE_CLOUD_PROJECT;
      delete process.env.GCLOUD_PROJECT;
      const adc = new GkeProvider(options({ credentials: noSecret }));
      const before = fake.requests.length;
      const err = await failure(run(adc.activities().createControlPlane, ref));
      expect(err.nonRetryable).toBe(true);
      expect(err.type).toBe(FailureType.nonRetryableCloud);
      expect(err.message).toContain('GOOGLE_CLOUD_PROJECT');
      expect(fake.requests.length).toBe(before);
      await adc.close();
    });
  });
});

/** The contract every provider keeps (test/providers/conformance.ts), on a zonal cluster: GKE's sizes are then the pool's. */
providerConformance('gke (discovery-checked fake)', () => {
  const confRef: ClusterRef = { org: 'conf', name: 'conf-gke', provider: 'gke', region: 'us-central1-b', kubernetesVersion: '1.32' };
  return {
    activities: gke,
    ref: confRef,
    pool: { name: 'pool', instanceType: 'e2-standard-4', count: 2 },
    inventory: async (r) => {
      const name = `projects/${PROJECT}/locations/${r.region}/clusters/${r.name}`;
      const cluster = fake.clusters.get(name);
      if (!cluster) return { controlPlanes: 0, nodePools: {} };
      const pools = cluster.nodePools.filter((p: { name: string }) => p.name !== 'flotilla-system');
      return { controlPlanes: 1, nodePools: Object.fromEntries(pools.map((p: { name: string }) => [p.name, fake.nodeCount(name, p.name)!])) };
    },
  };
});
