import { EKSClient, ListClustersCommand, ListNodegroupsCommand, DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { join } from 'node:path';
import { EksProvider } from '../../src/adapters/providers/eks/index.js';
import { eksName } from '../../src/adapters/providers/eks/tags.js';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { Kwokctl } from '../../src/adapters/providers/kwok/kwokctl.js';
import { listPoolNodes } from '../../src/adapters/providers/kwok/nodes.js';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { coreApi } from '../../src/adapters/kube/client.js';
import { clusterRef, withDefaults, type ClusterRef } from '../../src/domain/cluster.js';
import { toolPaths } from '../../src/toolchain.js';
import { startMoto } from '../helpers/moto.js';
import { providerConformance } from './conformance.js';

const ref = (provider: 'sim' | 'kwok' | 'eks', region?: string): ClusterRef =>
  clusterRef('conf', withDefaults({ name: `conf-${provider}`, provider, ...(region ? { region } : {}), nodePools: [] }));

const sim = new SimCloud();
providerConformance('sim', () => ({
  activities: sim.activities(),
  ref: ref('sim'),
  pool: { name: 'pool', instanceType: 'standard-2', count: 2 },
  inventory: async (r) => {
    const held = sim.inventory().filter((resource) => resource.cluster === `${r.org}/${r.name}`);
    return {
      controlPlanes: held.filter((resource) => resource.kind === 'controlPlane').length,
      nodePools: Object.fromEntries(held.filter((resource) => resource.kind === 'nodePool').map((resource) => [resource.name, resource.pool!.count])),
    };
  },
}));

const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-conformance'));
providerConformance('kwok', () => ({
  activities: kwok.activities(),
  ref: ref('kwok'),
  pool: { name: 'pool', instanceType: 'standard-2', count: 2 },
  inventory: async (r) => {
    if (!(await kwok.kwokctl.list()).includes(Kwokctl.clusterName(r))) return { controlPlanes: 0, nodePools: {} };
    const nodes = await listPoolNodes(coreApi(await kwok.kubeconfig(r)), 'pool');
    const nodePools: Record<string, number> = nodes.length ? { pool: nodes.length } : {};
    return { controlPlanes: 1, nodePools };
  },
}));

let moto: Awaited<ReturnType<typeof startMoto>>;
let eks: EksProvider;
let client: EKSClient;
beforeAll(async () => {
  moto = await startMoto();
  eks = new EksProvider({ credentials: async () => undefined, endpoint: moto.endpoint, pollMs: 50 });
  client = new EKSClient({ region: 'us-west-2', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});
afterAll(async () => {
  await moto?.stop();
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});
process.env.AWS_ACCESS_KEY_ID ??= 'conformance';
process.env.AWS_SECRET_ACCESS_KEY ??= 'conformance';

providerConformance('eks (moto)', () => ({
  activities: eks.activities(),
  ref: ref('eks', 'us-west-2'),
  pool: { name: 'pool', instanceType: 'm5.large', count: 2 },
  inventory: async (r) => {
    const name = eksName(r);
    if (!(await client.send(new ListClustersCommand({}))).clusters!.includes(name)) return { controlPlanes: 0, nodePools: {} };
    const groups = (await client.send(new ListNodegroupsCommand({ clusterName: name }))).nodegroups ?? [];
    const sizes = await Promise.all(
      groups.map(async (g) => [g, (await client.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName: g }))).nodegroup!.scalingConfig!.desiredSize!] as const),
    );
    return { controlPlanes: 1, nodePools: Object.fromEntries(sizes) };
  },
}));
