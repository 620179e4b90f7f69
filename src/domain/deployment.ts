import type { ClusterRef } from './cluster.js';
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

/** Compares what Helm has with what should be: the heart of drift detection. */
export function targetStatus(observed: ObservedRelease | undefined, desired: DesiredRelease): { status: TargetStatus; stale: boolean; reason?: string } {
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
  if (!sameValues(observed.values, desired.values)) return { status: 'STALE', stale: true, reason: 'values differ from the desired values' };
  return { status: 'DEPLOYED', stale: false };
}
