import type { ClusterRef } from './cluster.js';
import type { TargetRecord } from './groups.js';
import type { Values } from './values.js';

/**
 * A target's state (docs/architecture.md, decision 5); Helm's pending states are kept as PENDING_*.
 * DEPLOYED means healthy too: installed and not yet ready is PROGRESSING, and still not ready when
 * the health gate gave up, DEGRADED (with the reason).
 */
export type TargetStatus = 'DEPLOYED' | 'PROGRESSING' | 'DEGRADED' | 'STALE' | 'NOT_INSTALLED' | 'UNINSTALLING' | 'UNKNOWN' | 'FAILED' | `PENDING_${string}`;

/** What Helm reports of a release on one cluster. */
export interface ObservedRelease {
  /** Helm's status: deployed, failed, pending-install, ... */
  status: string;
  chartVersion: string;
  revision: number;
  /** The user-supplied values of the deployed revision. */
  values: Values;
  /** The objects the revision rendered (YAML documents), when read from Helm's record: what live drift compares with. */
  manifest?: string;
}

/** The release one target should run. */
export interface DesiredRelease {
  values: Values;
  /** Pinned chart version; when absent any version of the chart is accepted. */
  chartVersion?: string;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Values)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function sameValues(a: Values, b: Values): boolean {
  return canonical(a) === canonical(b);
}

/** The same clusters, described the same way, in any order. */
export function sameTargets(a: readonly ClusterRef[], b: readonly ClusterRef[]): boolean {
  const byName = (refs: readonly ClusterRef[]) => [...refs].sort((x, y) => x.name.localeCompare(y.name));
  return canonical(byName(a)) === canonical(byName(b));
}

/**
 * A release as a reconcile pass reads it, one list per cluster (src/adapters/helm/cluster-reads.ts):
 * Helm's record without its manifest, the values as a digest, and how the live objects differ from
 * the manifest; small enough that a thousand of them fit in workflow history.
 */
export interface ReleaseRead {
  status: string;
  chartVersion: string;
  revision: number;
  /** valuesDigest of the revision's user-supplied values. */
  valuesDigest: string;
  /** Why the live objects differ from the manifest; absent when they do not. */
  liveDrift?: string;
}

/** A pass's reads of one cluster, by release key (releaseKey); null: not installed. */
export type ClusterReads = Record<string, ReleaseRead | null>;

export function releaseKey(release: { name: string; namespace: string }): string {
  return `${release.namespace}/${release.name}`;
}

/**
 * A digest of values, equal exactly when sameValues is: two 53-bit string hashes (cyrb53) of the
 * canonical JSON with different seeds. Pure, so a workflow computes it for its desired values.
 */
export function valuesDigest(values: Values): string {
  const text = canonical(values);
  return `${cyrb53(text, 0x5f3759df).toString(36)}.${cyrb53(text, 0x2545f491).toString(36)}`;
}

function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

type Checked = { status: TargetStatus; stale: boolean; reason?: string };

/** Compares what Helm has with what should be: the heart of drift detection. */
export function targetStatus(observed: ObservedRelease | undefined, desired: DesiredRelease): Checked {
  return recordStatus(observed, desired, (o) => sameValues(o.values, desired.values));
}

/** targetStatus of a pass's read: the values by digest, then the live objects. */
export function readStatus(read: ReleaseRead | null, desired: DesiredRelease): Checked {
  const status = recordStatus(read ?? undefined, desired, (r) => r.valuesDigest === valuesDigest(desired.values));
  if (status.status === 'DEPLOYED' && read?.liveDrift) return { status: 'STALE', stale: true, reason: read.liveDrift };
  return status;
}

/** A target's record after a check: its status and, when the release is there, its chart version and revision. */
export function checkedRecord(
  target: Pick<ClusterRef, 'name' | 'provider'>,
  status: Checked,
  release: { chartVersion: string; revision: number } | null | undefined,
  lastCheckedAt: string,
): TargetRecord {
  return {
    clusterName: target.name,
    provider: target.provider,
    status: status.status,
    stale: status.stale,
    ...(status.reason ? { message: status.reason } : {}),
    ...(release ? { chartVersion: release.chartVersion, revision: release.revision } : {}),
    lastCheckedAt,
  };
}

function recordStatus<R extends { status: string; chartVersion: string }>(observed: R | undefined, desired: DesiredRelease, sameValuesAs: (r: R) => boolean): Checked {
  if (!observed) return { status: 'NOT_INSTALLED', stale: true, reason: 'release not installed' };
  const helmStatus = observed.status.toLowerCase();
  if (helmStatus === 'failed') return { status: 'FAILED', stale: true, reason: 'helm reports the release failed' };
  // Helm's other states are not a running release either (an uninstalling one once showed as DEPLOYED).
  if (helmStatus === 'uninstalling') return { status: 'UNINSTALLING', stale: true, reason: 'helm is uninstalling the release' };
  if (helmStatus === 'uninstalled') return { status: 'NOT_INSTALLED', stale: true, reason: 'release uninstalled (history kept)' };
  if (helmStatus === 'superseded') return { status: 'STALE', stale: true, reason: "helm's latest record of the release is superseded" };
  if (helmStatus === 'unknown') return { status: 'UNKNOWN', stale: true, reason: 'helm reports the release state unknown' };
  if (helmStatus.startsWith('pending-')) return { status: `PENDING_${helmStatus.slice(8).toUpperCase()}`, stale: false };
  if (desired.chartVersion && observed.chartVersion !== desired.chartVersion) {
    return { status: 'STALE', stale: true, reason: `chart version ${observed.chartVersion}, want ${desired.chartVersion}` };
  }
  if (!sameValuesAs(observed)) return { status: 'STALE', stale: true, reason: 'values differ from the desired values' };
  return { status: 'DEPLOYED', stale: false };
}
