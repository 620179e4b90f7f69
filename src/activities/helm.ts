import { setTimeout as sleep } from 'node:timers/promises';
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
import { CLUSTER_AUTOSCALER_RELEASE, clusterAutoscalerRelease } from '../adapters/providers/eks/cluster-autoscaler.js';

/** How often the health gate reads a target again. */
const HEALTH_POLL_MS = 1_000;

/** The health gate's question: is `revision` of the release healthy by `deadline` (an ISO time fixed by the workflow, so a retried attempt keeps it)? */
export interface HealthGate {
  revision: number;
  deadline: string;
}

/** What the deployment workflows ask of Helm, per target cluster; served on the `helm` task queue. */
export interface HelmActivities {
  helmApply(target: ClusterRef, release: InstallRequest): Promise<TargetRecord>;
  helmRemove(target: ClusterRef, release: ReleaseRef): Promise<void>;
  helmCheck(target: ClusterRef, release: ReleaseRef, desired: DesiredRelease): Promise<TargetRecord>;
  /** A chart's pods' requests with these values, for POST /recommendations: rendered here, reaching no cluster. */
  helmWorkload(release: InstallRequest): Promise<ChartWorkload>;
  /** Polls until the release's workloads are ready (DEPLOYED) or the deadline passes (DEGRADED, with the reason). */
  helmAwaitHealthy(target: ClusterRef, release: ReleaseRef, gate: HealthGate): Promise<TargetRecord>;
  /** Undoes `revision` (undefined: the apply failed before naming one): the release as it is afterwards. */
  helmRollback(target: ClusterRef, release: ReleaseRef, revision: number | undefined, desired: DesiredRelease): Promise<TargetRecord>;
  /** Installs (or upgrades) the cluster-autoscaler's chart on an EKS cluster with autoscaled pools. */
  installClusterAutoscaler(target: ClusterRef): Promise<void>;
  /** Uninstalls it once no pool autoscales; one that is not there counts as uninstalled. */
  removeClusterAutoscaler(target: ClusterRef): Promise<void>;
}

export function helmActivities(helm: Helm, kubeconfigs: KubeconfigFetchers): HelmActivities {
  const kubeconfig = (target: ClusterRef) => kubeconfigOf(kubeconfigs, target);
  const record = (target: ClusterRef, fields: Omit<TargetRecord, 'clusterName' | 'provider' | 'lastCheckedAt'>): TargetRecord => ({
    clusterName: target.name,
    provider: target.provider,
    ...fields,
    lastCheckedAt: new Date().toISOString(),
  });
  // Heartbeats let Temporal notice a lost worker, or a completion lost while Temporal was down, within the heartbeat timeout.
  return {
    helmApply: (target, release) =>
      withHeartbeat(async (signal) => {
        const kc = await kubeconfig(target);
        const observed = await helm.upgradeInstall(kc, release, signal);
        // The upgrade is also a live drift's repair: what Helm's merge left differing is put back, and what still differs is said.
        const left = observed.manifest ? await helm.restoreLive(kc, observed.manifest, release.namespace, signal) : [];
        const status = targetStatus(observed, { values: release.values, ...(release.version ? { chartVersion: release.version } : {}) });
        return record(target, {
          ...(left.length && status.status === 'DEPLOYED' ? { status: 'STALE' as const, stale: true, message: driftReason(left) } : status),
          chartVersion: observed.chartVersion,
          revision: observed.revision,
        });
      }),
    helmRemove: (target, release) => withHeartbeat(async (signal) => helm.uninstall(await kubeconfig(target), release, signal)),
    installClusterAutoscaler: (target) =>
      withHeartbeat(async (signal) => {
        await helm.upgradeInstall(await kubeconfig(target), clusterAutoscalerRelease(target), signal);
      }),
    removeClusterAutoscaler: (target) => withHeartbeat(async (signal) => helm.uninstall(await kubeconfig(target), CLUSTER_AUTOSCALER_RELEASE, signal)),
    helmCheck: (target, release, desired) => withHeartbeat(async (signal) => checkTarget(helm, await kubeconfig(target), target, release, desired, signal)),
    helmWorkload: (release) => withHeartbeat((signal) => renderedWorkload(helm, release, signal)),
    helmAwaitHealthy: (target, release, { revision, deadline }) =>
      withHeartbeat(async (signal) => {
        const kc = await kubeconfig(target);
        for (;;) {
          const health = await helm.health(kc, release, revision, signal);
          if (health.ready) return record(target, { status: 'DEPLOYED', stale: false, revision });
          if (health.failed || Date.now() >= Date.parse(deadline)) {
            return record(target, { status: 'DEGRADED', stale: true, revision, message: `not healthy${health.failed ? '' : ` by ${deadline}`}: ${health.reason}` });
          }
          await sleep(HEALTH_POLL_MS, undefined, { signal });
        }
      }),
    helmRollback: (target, release, revision, desired) =>
      withHeartbeat(async (signal) => {
        const observed = await helm.rollback(await kubeconfig(target), release, revision, signal);
        if (!observed) return record(target, { status: 'NOT_INSTALLED', stale: true, message: 'rolled back: uninstalled (it was the first install)' });
        const status = targetStatus(observed, desired);
        return record(target, { status: status.status, stale: status.stale, chartVersion: observed.chartVersion, revision: observed.revision, message: `rolled back to revision ${observed.revision}` });
      }),
  };
}
