import type { ClusterRef } from '../domain/cluster.js';
import { kubeconfigOf, type KubeconfigFetchers } from '../adapters/providers/provider.js';
import { targetStatus, type DesiredRelease } from '../domain/deployment.js';
import { checkTarget } from '../adapters/helm/check-target.js';
import { driftReason } from '../domain/live-drift.js';
import type { TargetRecord } from '../domain/groups.js';
import { withHeartbeat } from '../adapters/heartbeat.js';
import type { Helm, InstallRequest, ReleaseRef } from '../adapters/helm/helm.js';
import { renderedWorkload } from '../adapters/helm/chart-workload.js';
import type { ChartWorkload } from '../domain/recommend/workload.js';

/** What the deployment workflows ask of Helm, per target cluster; served on the `helm` task queue. */
export interface HelmActivities {
  helmApply(target: ClusterRef, release: InstallRequest): Promise<TargetRecord>;
  helmRemove(target: ClusterRef, release: ReleaseRef): Promise<void>;
  helmCheck(target: ClusterRef, release: ReleaseRef, desired: DesiredRelease): Promise<TargetRecord>;
  /** A chart's pods' requests with these values, for POST /recommendations: rendered here, reaching no cluster. */
  helmWorkload(release: InstallRequest): Promise<ChartWorkload>;
}

export function helmActivities(helm: Helm, kubeconfigs: KubeconfigFetchers): HelmActivities {
  const kubeconfig = (target: ClusterRef) => kubeconfigOf(kubeconfigs, target);
  // Heartbeats let Temporal notice a lost worker, or a completion lost while Temporal was down, within the heartbeat timeout.
  return {
    helmApply: (target, release) =>
      withHeartbeat(async (signal) => {
        const kc = await kubeconfig(target);
        const observed = await helm.upgradeInstall(kc, release, signal);
        // The upgrade is also a live drift's repair: what Helm's merge left differing is put back, and what still differs is said.
        const left = observed.manifest ? await helm.restoreLive(kc, observed.manifest, release.namespace, signal) : [];
        const status = targetStatus(observed, { values: release.values, ...(release.version ? { chartVersion: release.version } : {}) });
        return {
          clusterName: target.name,
          provider: target.provider,
          ...(left.length && status.status === 'DEPLOYED' ? { status: 'STALE' as const, stale: true, message: driftReason(left) } : status),
          chartVersion: observed.chartVersion,
          revision: observed.revision,
          lastCheckedAt: new Date().toISOString(),
        };
      }),
    helmRemove: (target, release) => withHeartbeat(async (signal) => helm.uninstall(await kubeconfig(target), release, signal)),
    helmCheck: (target, release, desired) => withHeartbeat(async (signal) => checkTarget(helm, await kubeconfig(target), target, release, desired, signal)),
    helmWorkload: (release) => withHeartbeat((signal) => renderedWorkload(helm, release, signal)),
  };
}
