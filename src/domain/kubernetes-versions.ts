/**
 * Kubernetes versions as clusters name them: a minor (`1.37`) or a patch release (`1.37.2`, `v1.37.2`).
 * Upgrades go one minor at a time and never down, as every cloud and the Kubernetes version skew
 * policy require (kubelets may lag the API server, never lead it).
 */
export const KUBERNETES_VERSION = /^v?1\.\d{1,2}(\.\d{1,3})?$/;

export interface KubernetesVersion {
  minor: number;
  patch?: number;
}

export function parseKubernetesVersion(text: string): KubernetesVersion | undefined {
  if (!KUBERNETES_VERSION.test(text)) return undefined;
  const [, minor, patch] = text.replace(/^v/, '').split('.');
  return { minor: Number(minor), ...(patch !== undefined ? { patch: Number(patch) } : {}) };
}

/** `1.37`: the minor a version belongs to. */
export function minorOf(text: string): string | undefined {
  const version = parseKubernetesVersion(text);
  return version ? `1.${version.minor}` : undefined;
}

/** Whether two versions name the same release: `1.37` and `v1.37.2` do, as far as the less precise one says. */
export function sameVersion(a: string, b: string): boolean {
  const x = parseKubernetesVersion(a);
  const y = parseKubernetesVersion(b);
  if (!x || !y) return a === b;
  return x.minor === y.minor && (x.patch === undefined || y.patch === undefined || x.patch === y.patch);
}

export type UpgradeRefusal = { kind: 'invalid' | 'unchanged'; message: string };

/**
 * Why `from` cannot be upgraded to `to`, if it cannot: a downgrade or a skipped minor is invalid;
 * the same version is unchanged (nothing to do). A later patch of the same minor is an upgrade.
 */
export function upgradeRefusal(from: string, to: string): UpgradeRefusal | undefined {
  const current = parseKubernetesVersion(from);
  const target = parseKubernetesVersion(to);
  if (!target) return { kind: 'invalid', message: `'${to}' is not a Kubernetes version like 1.37 or 1.37.2` };
  if (!current) return { kind: 'invalid', message: `the cluster's version '${from}' is not one Flotilla can upgrade from` };
  if (target.minor < current.minor || (target.minor === current.minor && target.patch !== undefined && current.patch !== undefined && target.patch < current.patch)) {
    return { kind: 'invalid', message: `${to} is older than the cluster's ${from}: downgrades are not supported` };
  }
  if (target.minor > current.minor + 1) {
    return { kind: 'invalid', message: `${to} skips a minor: upgrade one minor at a time, to 1.${current.minor + 1} first` };
  }
  if (sameVersion(from, to)) return { kind: 'unchanged', message: `the cluster is already at Kubernetes ${from}` };
  return undefined;
}

/** A version a provider offers for new clusters and upgrades (GET /kubernetes-versions). */
export interface OfferedVersion {
  version: string;
  /** The version a cluster gets when its create names none. */
  default?: boolean;
}

export interface ListedVersion extends OfferedVersion {
  /** The offered versions a cluster at `version` may be upgraded to: a later patch or the next minor, never further. */
  upgradesTo: string[];
}

/** The offered versions, each with where it may go in one upgrade by the rule above (upgradeRefusal). */
export function withUpgradePaths(offered: readonly OfferedVersion[]): ListedVersion[] {
  return offered.map((from) => ({ ...from, upgradesTo: offered.filter((to) => !upgradeRefusal(from.version, to.version)).map((to) => to.version) }));
}

/** Whether `version` names one of `offered` (`1.37` names `v1.37.2`). */
export function isOffered(offered: readonly OfferedVersion[], version: string): boolean {
  return offered.some((o) => sameVersion(o.version, version));
}
