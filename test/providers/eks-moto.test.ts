import { CreateSubnetCommand, CreateVpcCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { EksProvider } from '../../src/adapters/providers/eks/index.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { FakeHelm } from '../helpers/fake-helm.js';
import { startMoto } from '../helpers/moto.js';
import { MotoBarrier } from '../helpers/moto-barrier.js';
import { SECRET_MARKERS } from '../helpers/secret-markers.js';
import { eventually, startStack, testSecretStore, type Stack } from '../helpers/stack.js';
import { settled, succeeded } from './api-flow.js';

// EKS through the real AWS SDK against moto's server: every assertion reads
// back what the emulated cloud holds, not what Flotilla says.
const base = '/api/v1/orgs/acme';
// The secret key is a marker the history scan (test/zz-history) looks for.
const keys = { accessKeyId: 'AKIAFLOTILLATEST0001', secretAccessKey: SECRET_MARKERS.awsSecretAccessKey };
const secrets = testSecretStore();
let moto: Awaited<ReturnType<typeof startMoto>>;
/** In front of moto, counting the worker's AWS calls (never armed here). */
let calls: MotoBarrier;
let stack: Stack;
let eks: EKSClient;
let ec2: EC2Client;
let iam: IAMClient;
let secretId: string;

beforeAll(async () => {
  moto = await startMoto();
  calls = await MotoBarrier.start(moto.endpoint);
  const provider = new EksProvider({ credentials: credentialsFrom(secrets), endpoint: calls.url, pollMs: 100 });
  // moto's clusters have no API server: the cluster-autoscaler chart that an autoscaled pool brings goes to a fake helm (test/providers/eks-autoscaler.test.ts checks it).
  const helm = new FakeHelm();
  stack = await startStack({
    providers: { eks: provider.activities() },
    secrets,
    kubeconfigs: { eks: (ref) => provider.kubeconfig(ref) },
    fleet: helm.kubeconfigs('eks'),
    helm: helm.adapter(),
  });
  const sdk = { region: 'eu-west-1', endpoint: moto.endpoint, credentials: keys };
  eks = new EKSClient(sdk);
  ec2 = new EC2Client(sdk);
  iam = new IAMClient(sdk);
});
afterAll(async () => {
  await stack?.stop();
  await calls?.close();
  await moto?.stop();
});

const nodegroup = async (name: string) =>
  (await eks.send(new DescribeNodegroupCommand({ clusterName: 'acme-prod', nodegroupName: name }))).nodegroup!;
const taggedVpcs = async () => (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:flotilla.io/cluster', Values: ['acme/prod'] }] }))).Vpcs ?? [];

describe('EKS against moto', () => {
  it('stores AWS credentials encrypted and never shows their values', async () => {
    const created = await stack.api('POST', `${base}/secrets`, { body: { name: 'aws-prod', type: 'aws', values: keys } });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(keys.secretAccessKey);
    secretId = created.body.id;
    // Other suites keep secrets in the same org: this one's entry, as listed.
    const list = await stack.api('GET', `${base}/secrets?limit=500`);
    expect(list.body.items.filter((s: any) => s.name === 'aws-prod')).toEqual([{ id: secretId, name: 'aws-prod', type: 'aws', createdAt: expect.any(String) }]);
    expect(list.text).not.toContain(keys.secretAccessKey);
    const wrongType = await stack.api('POST', `${base}/clusters`, {
      body: { name: 'x', provider: 'gke', secretId, nodePools: [{ name: 'a', instanceType: 'e2-standard-2', count: 1 }] },
    });
    expect([wrongType.status, wrongType.body.error.details[0].field]).toEqual([400, 'secretId']);
  });

  it('provisions the network, roles, cluster and a node group per pool (spot with min/max and a taint)', async () => {
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name: 'prod',
        provider: 'eks',
        region: 'eu-west-1',
        secretId,
        nodePools: [
          { name: 'general', instanceType: 'm5.large', count: 2 },
          {
            name: 'gpu-spot', instanceType: 'g4dn.xlarge', count: 1, minCount: 0, maxCount: 3, autoscaling: true, spot: true,
            labels: { accelerator: 't4' }, taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }],
          },
        ],
      },
    });
    expect(res.status).toBe(202);
    const view = await settled(stack, 'prod', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 2], ['gpu-spot', 1]]);

    expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual(['acme-prod']);
    expect((await eks.send(new ListNodegroupsCommand({ clusterName: 'acme-prod' }))).nodegroups!.sort()).toEqual(['general', 'gpu-spot']);
    const spot = await nodegroup('gpu-spot');
    expect(spot).toMatchObject({
      capacityType: 'SPOT',
      instanceTypes: ['g4dn.xlarge'],
      scalingConfig: { minSize: 0, maxSize: 3, desiredSize: 1 },
      labels: { accelerator: 't4' },
      taints: [{ key: 'gpu', value: 'true', effect: 'NO_SCHEDULE' }],
    });
    expect((await nodegroup('general')).scalingConfig).toEqual({ minSize: 2, maxSize: 2, desiredSize: 2 });

    const vpcs = await taggedVpcs();
    expect(vpcs).toHaveLength(1);
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcs[0]!.VpcId!] }] }))).Subnets!;
    expect(new Set(subnets.map((s) => s.AvailabilityZone)).size).toBe(2);
    expect(subnets.filter((s) => s.Tags?.some((t) => t.Key === 'flotilla.io/role' && t.Value!.startsWith('private')))).toHaveLength(2);
    expect((await iam.send(new GetRoleCommand({ RoleName: 'flotilla-acme-prod-node' }))).Role).toBeDefined();
    // The network step found or made the network once; the control plane and pools were handed its subnets.
    expect([calls.count('DescribeVpcs'), calls.count('DescribeSubnets'), calls.count('CreateVpc')]).toEqual([1, 4, 1]);
  });

  it('scales and relabels node groups with UpdateNodegroupConfig', async () => {
    const scaled = await stack.api('PUT', `${base}/clusters/prod/nodepools/general`, { body: { count: 4 } });
    const relabelled = await stack.api('PUT', `${base}/clusters/prod/nodepools/gpu-spot`, { body: { maxCount: 5, labels: { accelerator: 'a10g' }, taints: [] } });
    expect([scaled.status, relabelled.status]).toEqual([202, 202]);
    await succeeded(stack, scaled.body.operationId);
    await succeeded(stack, relabelled.body.operationId);
    await settled(stack, 'prod', 'RUNNING');
    expect((await nodegroup('general')).scalingConfig).toEqual({ minSize: 4, maxSize: 4, desiredSize: 4 });
    const spot = await nodegroup('gpu-spot');
    expect(spot.scalingConfig).toEqual({ minSize: 0, maxSize: 5, desiredSize: 1 });
    expect(spot.labels).toEqual({ accelerator: 'a10g' });
    expect(spot.taints ?? []).toEqual([]);
  });

  it('serves an exec-based kubeconfig with no keys in it', async () => {
    const res = await stack.api('GET', `${base}/clusters/prod/kubeconfig`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('command: aws');
    expect(res.text).toContain('get-token');
    expect(res.text).not.toContain(keys.secretAccessKey);
    expect(res.text).not.toContain(keys.accessKeyId);
  });

  it('refuses to delete a secret a cluster uses', async () => {
    expect((await stack.api('DELETE', `${base}/secrets/${secretId}`)).status).toBe(409);
  });

  it('uses the subnets and roles given in the request, and leaves them when it deletes; a private endpoint is EKS endpoint access', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!;
    const subnetIds = await Promise.all(
      ['eu-west-1a', 'eu-west-1b'].map(async (zone, i) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: `10.9.${i}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!),
    );
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const [clusterRoleArn, nodeRoleArn] = await Promise.all(
      ['own-cluster-role', 'own-node-role'].map(async (RoleName) => (await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust }))).Role!.Arn!),
    );
    const res = await stack.api('POST', `${base}/clusters`, {
      body: {
        name: 'byo', provider: 'eks', region: 'eu-west-1', secretId, eks: { subnetIds, clusterRoleArn, nodeRoleArn },
        network: { privateEndpoint: true, httpProxy: { httpsProxy: 'http://proxy.corp:3128', noProxy: ['.corp'] } },
        nodePools: [{ name: 'a', instanceType: 'm5.large', count: 1 }],
      },
    });
    expect(res.status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/byo`)).body.status === 'RUNNING' ? true : undefined), 'byo RUNNING', 120_000);
    const cluster = (await eks.send(new DescribeClusterCommand({ name: 'acme-byo' }))).cluster!;
    expect([cluster.roleArn, [...cluster.resourcesVpcConfig!.subnetIds!].sort()]).toEqual([clusterRoleArn, [...subnetIds].sort()]);
    // The API server inside the VPC only; EKS has no proxy field, so the proxy is in no request.
    expect(cluster.resourcesVpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
    expect(JSON.stringify(cluster)).not.toContain('proxy.corp');
    expect((await stack.api('GET', `${base}/clusters/byo`)).body.labels).toMatchObject({ 'flotilla.io/private-endpoint': 'true', 'flotilla.io/http-proxy': 'true' });
    expect((await eks.send(new DescribeNodegroupCommand({ clusterName: 'acme-byo', nodegroupName: 'a' }))).nodegroup!.nodeRole).toBe(nodeRoleArn);
    expect((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:flotilla.io/cluster', Values: ['acme/byo'] }] }))).Vpcs).toEqual([]);

    expect((await stack.api('DELETE', `${base}/clusters/byo`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/byo`)).body.status === 'DELETED' ? true : undefined), 'byo DELETED', 120_000);
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets).toHaveLength(2);
    expect((await iam.send(new GetRoleCommand({ RoleName: 'own-node-role' }))).Role!.Arn).toBe(nodeRoleArn);
    const bad = await stack.api('POST', `${base}/clusters`, {
      body: { name: 'bad', provider: 'kwok', eks: { subnetIds: ['nope'] }, nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1 }] },
    });
    expect(bad.body.error.details.map((d: any) => d.field)).toEqual(expect.arrayContaining(['eks.subnetIds[0]']));
  });

  it('deletes everything it made: node groups, cluster, roles, subnets, VPC', async () => {
    expect((await stack.api('DELETE', `${base}/clusters/prod`)).status).toBe(202);
    await settled(stack, 'prod', 'DELETED');
    expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual([]);
    expect(await taggedVpcs()).toEqual([]);
    await expect(iam.send(new GetRoleCommand({ RoleName: 'flotilla-acme-prod-node' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(iam.send(new GetRoleCommand({ RoleName: 'flotilla-acme-prod-cluster' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    // The secret is refused while the cluster list still shows the cluster (visibility follows the delete shortly after).
    await eventually(async () => ((await stack.api('DELETE', `${base}/secrets/${secretId}`)).status === 204 ? true : undefined), 'secret deleted');
  });
});
