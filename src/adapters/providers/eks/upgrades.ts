import type { UpdateClusterVersionCommandInput, UpdateNodegroupVersionCommandInput } from '@aws-sdk/client-eks';
import type { ClusterRef } from '../../../domain/cluster.js';
import { minorOf } from '../../../domain/kubernetes-versions.js';
import { requestToken } from '../request-token.js';
import { eksName } from './tags.js';

/**
 * EKS upgrades: UpdateClusterVersion, then UpdateNodegroupVersion per node group. EKS takes a
 * minor ("1.36") and picks its patch; a node group's update surges new nodes from the new AMI and
 * drains the old ones through the Eviction API, PodDisruptionBudgets respected (EKS's own drain
 * timeout, 15 minutes per node, is not settable: `force: false` fails the update when it passes).
 * The request token makes a retried call return the update the first one started.
 */
export function clusterVersionRequest(ref: ClusterRef, version: string): UpdateClusterVersionCommandInput {
  return { name: eksName(ref), version: minorOf(version)!, clientRequestToken: requestToken(`cluster/version/${version}`) };
}

export function nodegroupVersionRequest(ref: ClusterRef, pool: string, version: string): UpdateNodegroupVersionCommandInput {
  return {
    clusterName: eksName(ref),
    nodegroupName: pool,
    version: minorOf(version)!,
    force: false,
    clientRequestToken: requestToken(`nodegroup/${pool}/version/${version}`),
  };
}
