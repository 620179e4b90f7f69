import { ApplicationFailure } from '@temporalio/common';
import type { Helm, InstallRequest, ReleaseRef } from '../../src/adapters/helm/helm.js';
import type { KubeconfigFetchers } from '../../src/adapters/providers/provider.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import type { ObservedRelease } from '../../src/domain/deployment.js';
import { FailureType } from '../../src/domain/problems.js';
import type { Values } from '../../src/domain/values.js';
import type { WorkloadHealth } from '../../src/adapters/helm/workload-health.js';

const KUBECONFIG_PREFIX = 'fake-helm-cluster:';

/**
 * Helm in memory, in place of the helm adapter (src/adapters/helm/helm.ts) under the real helm
 * activities (src/activities/helm.ts): the same calls and results, and the same failure for a cluster that does not answer
 * (FailureType.clusterUnreachable, retryable, as a refused connection is). A cluster is known by
 * the kubeconfig `kubeconfigs` hands out for it. Tests change releases by hand (drift) and take
 * clusters off the network.
 */
export class FakeHelm implements Pick<Helm, 'upgradeInstall' | 'status' | 'uninstall' | 'template' | 'health' | 'rollback'> {
  /** Every revision of a release, oldest first: the last is the release as the cluster has it. */
  private readonly releases = new Map<string, ObservedRelease[]>();
  private readonly down = new Set<string>();
  /** Clusters whose workloads never become ready, with the reason the health gate reports. */
  private readonly sick = new Map<string, string>();
  /** Health reads per cluster name. */
  readonly healthReads = new Map<string, number>();
  /** Rollbacks per cluster name. */
  readonly rollbacks = new Map<string, number>();
  /** Installs and upgrades per cluster name, to see which targets an operation touched. */
  readonly applies = new Map<string, number>();
  /** The post-renderer's rules (provider profiles) of each cluster's last install or upgrade. */
  readonly postRendered = new Map<string, InstallRequest['postRender']>();
  /** The last install or upgrade of each release, as asked (`<cluster>/<namespace>/<name>`): its chart and values. */
  readonly requests = new Map<string, InstallRequest>();

  /** Kubeconfigs for the helm activities, one per cluster, for the providers named. */
  kubeconfigs(...providers: ClusterRef['provider'][]): KubeconfigFetchers {
    return Object.fromEntries(providers.map((p) => [p, async (ref: ClusterRef) => `${KUBECONFIG_PREFIX}${ref.name}`]));
  }

  /** The fake as the activities and the API take the adapter (it has the adapter's public methods, not its private fields). */
  adapter(): Helm {
    return this as unknown as Helm;
  }

  async upgradeInstall(kubeconfig: string, release: InstallRequest): Promise<ObservedRelease> {
    const cluster = this.reach(kubeconfig);
    const previous = this.release(cluster, release);
    const observed: ObservedRelease = { status: 'deployed', chartVersion: release.version ?? '0.1.0', revision: (previous?.revision ?? 0) + 1, values: release.values };
    this.push(cluster, release, observed);
    this.applies.set(cluster, (this.applies.get(cluster) ?? 0) + 1);
    this.postRendered.set(cluster, release.postRender);
    this.requests.set(key(cluster, release), release);
    return observed;
  }

  async health(kubeconfig: string, release: ReleaseRef, revision: number): Promise<WorkloadHealth> {
    const cluster = this.reach(kubeconfig);
    this.healthReads.set(cluster, (this.healthReads.get(cluster) ?? 0) + 1);
    const current = this.release(cluster, release);
    if (current?.revision !== revision) return { ready: false, reason: `release is at revision ${current?.revision}, not ${revision}` };
    const reason = this.sick.get(cluster);
    return reason ? { ready: false, reason } : { ready: true };
  }

  /** As the adapter: a first install is uninstalled, a later revision goes back to the one before (as a new revision). */
  async rollback(kubeconfig: string, release: ReleaseRef, revision: number | undefined): Promise<ObservedRelease | undefined> {
    const cluster = this.reach(kubeconfig);
    this.rollbacks.set(cluster, (this.rollbacks.get(cluster) ?? 0) + 1);
    const history = this.releases.get(key(cluster, release)) ?? [];
    const latest = history.at(-1);
    if (!latest) return undefined;
    if (revision === undefined ? latest.status === 'deployed' : latest.revision !== revision) return latest;
    if (history.length === 1) {
      this.releases.delete(key(cluster, release));
      return undefined;
    }
    const back = { ...history.at(-2)!, revision: latest.revision + 1 };
    this.push(cluster, release, back);
    return back;
  }

  async status(kubeconfig: string, release: ReleaseRef): Promise<ObservedRelease | undefined> {
    return this.release(this.reach(kubeconfig), release);
  }

  /** A release that is not there counts as uninstalled, as with the real helm. */
  async uninstall(kubeconfig: string, release: ReleaseRef): Promise<void> {
    this.releases.delete(key(this.reach(kubeconfig), release));
  }

  /** Workloads on `cluster` that never become ready (the health gate's DEGRADED), or ready again. */
  unhealthy(cluster: string, reason: string | undefined): void {
    if (reason) this.sick.set(cluster, reason);
    else this.sick.delete(cluster);
  }

  async template(): Promise<string> {
    return '';
  }

  /** The release as the cluster has it, or undefined. */
  release(cluster: string, release: ReleaseRef): ObservedRelease | undefined {
    return this.releases.get(key(cluster, release))?.at(-1);
  }

  /** An upgrade by hand, outside Flotilla: drift. */
  tamper(cluster: string, release: ReleaseRef, values: Values): void {
    const observed = this.release(cluster, release);
    if (!observed) throw new Error(`no release ${release.name} on ${cluster}`);
    this.push(cluster, release, { ...observed, revision: observed.revision + 1, values });
  }

  private push(cluster: string, release: ReleaseRef, observed: ObservedRelease): void {
    this.releases.set(key(cluster, release), [...(this.releases.get(key(cluster, release)) ?? []), observed]);
  }

  unreachable(cluster: string, down = true): void {
    if (down) this.down.add(cluster);
    else this.down.delete(cluster);
  }

  private reach(kubeconfig: string): string {
    if (!kubeconfig.startsWith(KUBECONFIG_PREFIX)) throw new Error('not a kubeconfig of the fake helm');
    const cluster = kubeconfig.slice(KUBECONFIG_PREFIX.length);
    if (this.down.has(cluster)) {
      throw ApplicationFailure.create({ type: FailureType.clusterUnreachable, message: `cluster unreachable: dial ${cluster}: connection refused (fake helm)` });
    }
    return cluster;
  }
}

function key(cluster: string, release: ReleaseRef): string {
  return `${cluster}/${release.namespace}/${release.name}`;
}
