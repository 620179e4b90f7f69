import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { ClusterRef } from '../../../domain/cluster.js';
import { deleted, isNotFound } from './errors.js';
import { CLUSTER_TAG, clusterTag, roleName } from './tags.js';

const POLICIES = {
  cluster: ['arn:aws:iam::aws:policy/AmazonEKSClusterPolicy'],
  node: [
    'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
    'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
    'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  ],
};

const TRUSTED = { cluster: 'eks.amazonaws.com', node: 'ec2.amazonaws.com' };

/**
 * The cluster's or its nodes' IAM role with the managed policies EKS needs.
 * Made once; a retry finds the role and attaches whatever policy an earlier
 * attempt did not get to. Returns its ARN.
 */
export async function ensureRole(iam: IAMClient, ref: ClusterRef, kind: 'cluster' | 'node'): Promise<string> {
  const RoleName = roleName(ref, kind);
  let arn: string;
  try {
    arn = (await iam.send(new GetRoleCommand({ RoleName }))).Role!.Arn!;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: TRUSTED[kind] }, Action: 'sts:AssumeRole' }] };
    const role = await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: JSON.stringify(policy), Tags: [{ Key: CLUSTER_TAG, Value: clusterTag(ref) }] }));
    arn = role.Role!.Arn!;
  }
  const attached = new Set(((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn));
  for (const PolicyArn of POLICIES[kind]) {
    if (!attached.has(PolicyArn)) await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn }));
  }
  return arn;
}

export async function deleteRole(iam: IAMClient, ref: ClusterRef, kind: 'cluster' | 'node'): Promise<void> {
  const RoleName = roleName(ref, kind);
  let attached;
  try {
    attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  for (const p of attached.AttachedPolicies ?? []) await deleted(() => iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn! })));
  await deleted(() => iam.send(new DeleteRoleCommand({ RoleName })));
}
