import type { ClusterRef } from '../../../domain/cluster.js';

/**
 * Where a Flotilla cluster lives in GKE: `projects/<p>/locations/<region>/clusters/<name>`.
 * The location is the cluster's region as Flotilla stores it, which may be a
 * region (a regional cluster, nodes in several zones) or a zone.
 */
export class GkeNames {
  readonly location: string;
  readonly cluster: string;

  constructor(
    readonly project: string,
    readonly ref: Pick<ClusterRef, 'org' | 'name' | 'region'>,
  ) {
    this.location = `projects/${project}/locations/${ref.region}`;
    this.cluster = `${this.location}/clusters/${ref.name}`;
  }

  pool(name: string): string {
    return `${this.cluster}/nodePools/${name}`;
  }

  /** GKE answers a short operation id (`operation-…`); getOperation wants its full name. */
  operation(id: string): string {
    return id.includes('/') ? id : `${this.location}/operations/${id}`;
  }
}

/** Labels on the GKE cluster that say Flotilla made it, and for which org. */
export const OWNER_LABEL = 'flotilla-org';
export const MANAGED_BY_LABEL = 'managed-by';

export function ownerLabels(org: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: 'flotilla', [OWNER_LABEL]: labelValue(org) };
}

/** GCE label values allow lower-case letters, digits, '_' and '-', at most 63 characters. */
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, 63);
}
