import { DescribeClusterVersionsCommand, type ClusterVersionInformation } from '@aws-sdk/client-eks';
import { parseKubernetesVersion, type OfferedVersion } from '../../../domain/kubernetes-versions.js';

/** One page of DescribeClusterVersions: EKS's own filter (the versions new clusters may take). */
export function clusterVersionsRequest(nextToken?: string): DescribeClusterVersionsCommand {
  return new DescribeClusterVersionsCommand({ ...(nextToken ? { nextToken } : {}) });
}

/** EKS's minors (`1.35`), oldest first, its default marked; versions it no longer supports left out. */
export function eksOfferedVersions(listed: readonly ClusterVersionInformation[]): OfferedVersion[] {
  return listed
    .filter((v) => v.status !== 'unsupported' && v.clusterVersion !== undefined && parseKubernetesVersion(v.clusterVersion) !== undefined)
    .map((v) => ({ version: v.clusterVersion!, ...(v.defaultVersion ? { default: true } : {}) }))
    .sort((a, b) => parseKubernetesVersion(a.version)!.minor - parseKubernetesVersion(b.version)!.minor);
}
