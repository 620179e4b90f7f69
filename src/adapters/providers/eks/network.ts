import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
  type EC2Client,
  type Filter,
  type ResourceType,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import type { ClusterRef } from '../../../domain/cluster.js';
import type { NetworkRefs } from '../provider.js';
import { deleted } from './errors.js';
import { CLUSTER_TAG, clusterTag } from './tags.js';


const ROLE_TAG = 'flotilla.io/role';

function tags(ref: ClusterRef, type: ResourceType, role: string): TagSpecification[] {
  return [{ ResourceType: type, Tags: [{ Key: CLUSTER_TAG, Value: clusterTag(ref) }, { Key: ROLE_TAG, Value: role }, { Key: 'Name', Value: `flotilla-${ref.org}-${ref.name}-${role}` }] }];
}

function byCluster(ref: ClusterRef): Filter[] {
  return [{ Name: `tag:${CLUSTER_TAG}`, Values: [clusterTag(ref)] }];
}

function byRole(ref: ClusterRef, role: string): Filter[] {
  return [...byCluster(ref), { Name: `tag:${ROLE_TAG}`, Values: [role] }];
}

/**
 * A VPC with a public and a private subnet in each of two availability zones,
 * an internet gateway for the public ones and a NAT gateway for the private
 * ones. Each piece is found by its tags first, so a retry completes what an
 * earlier attempt began instead of making a second one.
 */
export async function ensureNetwork(ec2: EC2Client, ref: ClusterRef): Promise<NetworkRefs> {
  const existing = (await ec2.send(new DescribeVpcsCommand({ Filters: byCluster(ref) }))).Vpcs?.[0];
  const vpcId =
    existing?.VpcId ??
    (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tags(ref, 'vpc', 'vpc') }))).Vpc!.VpcId!;

  const zones = ((await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [])
    .filter((z) => z.State === 'available')
    .slice(0, 2)
    .map((z) => z.ZoneName!);
  const subnet = async (role: string, cidr: string, zone: string) => {
    const found = (await ec2.send(new DescribeSubnetsCommand({ Filters: byRole(ref, role) }))).Subnets?.[0];
    return (
      found?.SubnetId ??
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone, TagSpecifications: tags(ref, 'subnet', role) }))).Subnet!
        .SubnetId!
    );
  };
  const publicSubnetIds = [await subnet('public-a', '10.0.0.0/19', zones[0]!), await subnet('public-b', '10.0.32.0/19', zones[1] ?? zones[0]!)];
  const privateSubnetIds = [await subnet('private-a', '10.0.64.0/19', zones[0]!), await subnet('private-b', '10.0.96.0/19', zones[1] ?? zones[0]!)];

  const igw =
    (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: byCluster(ref) }))).InternetGateways?.[0] ??
    (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tags(ref, 'internet-gateway', 'igw') }))).InternetGateway!;
  if (!igw.Attachments?.some((a) => a.VpcId === vpcId)) {
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId!, VpcId: vpcId }));
  }

  const address =
    (await ec2.send(new DescribeAddressesCommand({ Filters: byCluster(ref) }))).Addresses?.[0]?.AllocationId ??
    (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tags(ref, 'elastic-ip', 'nat') }))).AllocationId!;
  const liveNat = (await ec2.send(new DescribeNatGatewaysCommand({ Filter: byCluster(ref) }))).NatGateways?.find((n) => n.State !== 'deleted');
  const natId =
    liveNat?.NatGatewayId ??
    (await ec2.send(new CreateNatGatewayCommand({ SubnetId: publicSubnetIds[0]!, AllocationId: address, TagSpecifications: tags(ref, 'natgateway', 'nat') })))
      .NatGateway!.NatGatewayId!;

  await routeTable(ec2, ref, vpcId, 'public-routes', { GatewayId: igw.InternetGatewayId! }, publicSubnetIds);
  await routeTable(ec2, ref, vpcId, 'private-routes', { NatGatewayId: natId }, privateSubnetIds);
  return { vpcId, publicSubnetIds, privateSubnetIds };
}

async function routeTable(
  ec2: EC2Client,
  ref: ClusterRef,
  vpcId: string,
  role: string,
  target: { GatewayId?: string; NatGatewayId?: string },
  subnetIds: string[],
): Promise<void> {
  const table =
    (await ec2.send(new DescribeRouteTablesCommand({ Filters: byRole(ref, role) }))).RouteTables?.[0] ??
    (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tags(ref, 'route-table', role) }))).RouteTable!;
  if (!table.Routes?.some((r) => r.DestinationCidrBlock === '0.0.0.0/0')) {
    await ec2.send(new CreateRouteCommand({ RouteTableId: table.RouteTableId!, DestinationCidrBlock: '0.0.0.0/0', ...target }));
  }
  for (const subnetId of subnetIds) {
    if (!table.Associations?.some((a) => a.SubnetId === subnetId)) {
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId!, SubnetId: subnetId }));
    }
  }
}

/** Everything ensureNetwork made, in reverse order; what is already gone is skipped. */
export async function deleteNetwork(ec2: EC2Client, ref: ClusterRef): Promise<void> {
  for (const nat of (await ec2.send(new DescribeNatGatewaysCommand({ Filter: byCluster(ref) }))).NatGateways ?? []) {
    if (nat.State !== 'deleted') await deleted(() => ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGatewayId! })));
  }
  for (const table of (await ec2.send(new DescribeRouteTablesCommand({ Filters: byCluster(ref) }))).RouteTables ?? []) {
    for (const association of table.Associations ?? []) {
      if (!association.Main) await deleted(() => ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.RouteTableAssociationId! })));
    }
    await deleted(() => ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId! })));
  }
  for (const address of (await ec2.send(new DescribeAddressesCommand({ Filters: byCluster(ref) }))).Addresses ?? []) {
    await deleted(() => ec2.send(new ReleaseAddressCommand({ AllocationId: address.AllocationId! })));
  }
  for (const igw of (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: byCluster(ref) }))).InternetGateways ?? []) {
    for (const attachment of igw.Attachments ?? []) {
      await deleted(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId!, VpcId: attachment.VpcId! })));
    }
    await deleted(() => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId! })));
  }
  for (const subnet of (await ec2.send(new DescribeSubnetsCommand({ Filters: byCluster(ref) }))).Subnets ?? []) {
    await deleted(() => ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId! })));
  }
  for (const vpc of (await ec2.send(new DescribeVpcsCommand({ Filters: byCluster(ref) }))).Vpcs ?? []) {
    await deleted(() => ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! })));
  }
}
