import type { ClusterRef } from '../../domain/cluster.js';
import type { KubeconfigFetchers } from '../provider.js';
import { targetStatus, type DesiredRelease } from '../../domain/deployment.js';
import type { TargetRecord } from '../../domain/groups.js';
import { withHeartbeat } from '../heartbeat.js';
import type { Helm, InstallRequest, ReleaseRef } from './helm.js';

/** What the deployment workflows ask of Helm, per target cluster; served on the `helm` task queue. */
export interface HelmActivities {
  helmApply(target: ClusterRef, release: InstallRequest): Promise<TargetRecord>;
  helmRemove(target: ClusterRef, release: ReleaseRef): Promise<void>;
  helmCheck(target: ClusterRef, release: ReleaseRef, desired: DesiredRelease): Promise<TargetRecord>;
}

export function helmActivities(helm: Helm, kubeconfigs: KubeconfigFetchers): HelmActivities {
  const kubeconfig = async (target: ClusterRef) => {
    const fetch = kubeconfigs[target.provider];
    if (!fetch) throw new Error(`provider ${target.provider} has no kubeconfig to deploy with`);
    return fetch(target);
  };
  // Heartbeats let Temporal notice a lost worker, or a completion lost while Temporal was down, within the heartbeat timeout.
  return {
    helmApply: (target, release) =>
      withHeartbeat(async (signal) => {
        const observed = await helm.upgradeInstall(await kubeconfig(target), release, signal);
        return {
          clusterName: target.name,
          provider: target.provider,
          ...targetStatus(observed, { values: release.values, ...(release.version ? { chartVersion: release.version } : {}) }),
          chartVersion: observed.chartVersion,
          revision: observed.revision,
          lastCheckedAt: new Date().toISOString(),
        };
      }),
    helmRemove: (target, release) => withHeartbeat(async (signal) => helm.uninstall(await kubeconfig(target), release, signal)),
    helmCheck: (target, release, desired) => withHeartbeat(async (signal) => checkTarget(helm, await kubeconfig(target), target, release, desired, signal)),
  };
}

/** A target's live state of a release, compared with what it should be (also used by the API's live reads). */
export async function checkTarget(
  helm: Helm,
  kubeconfig: string,
  target: Pick<ClusterRef, 'name' | 'provider'>,
  release: ReleaseRef,
  desired: DesiredRelease,
  signal?: AbortSignal,
): Promise<TargetRecord> {
  const observed = await helm.status(kubeconfig, release, signal);
  const status = targetStatus(observed, desired);
  return {
    clusterName: target.name,
    provider: target.provider,
    status: status.status,
    stale: status.stale,
    ...(status.reason ? { message: status.reason } : {}),
    ...(observed ? { chartVersion: observed.chartVersion, revision: observed.revision } : {}),
    lastCheckedAt: new Date().toISOString(),
  };
}
