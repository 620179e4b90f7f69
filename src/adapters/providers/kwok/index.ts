import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import { sameVersion } from '../../../domain/kubernetes-versions.js';
import type { KubernetesRelease, ToolPaths } from '../../../toolchain.js';
import { coreApi, probeVersion } from '../../kube/client.js';
import { withHeartbeat } from '../../heartbeat.js';
import type { ProviderActivities } from '../provider.js';
import { Kwokctl } from './kwokctl.js';
import { kwokVersions } from './versions.js';
import { deletePoolNodes, ensurePoolNodes, upgradePoolNodes } from './nodes.js';

/**
 * The embedded default provider: a real Kubernetes control plane per cluster
 * (kwokctl, binary runtime) whose nodes are simulated by the kwok controller.
 */
export class KwokProvider {
  readonly kwokctl: Kwokctl;

  constructor(
    private readonly tools: ToolPaths,
    workdir: string,
  ) {
    this.kwokctl = new Kwokctl(tools, workdir);
  }

  /** The Kubernetes versions KWOK clusters can run: the control planes built for them (tools/versions.json), newest first. */
  versions(): string[] {
    return this.tools.kubernetesReleases.map((r) => r.version);
  }

  /** The built release a cluster's version names (`1.36` or `v1.36.3`); a version none is built for is the tenant's mistake. */
  private release(version: string): KubernetesRelease {
    const release = this.tools.kubernetesReleases.find((r) => sameVersion(r.version, version));
    if (!release) {
      throw ApplicationFailure.nonRetryable(`KWOK clusters run Kubernetes ${this.versions().join(' or ')}, not ${version}`, FailureType.nonRetryableCloud);
    }
    return release;
  }

  async kubeconfig(ref: Pick<ClusterRef, 'org' | 'name'>): Promise<string> {
    return this.kwokctl.kubeconfig(Kwokctl.clusterName(ref));
  }

  /** Starts every control plane in the work directory again (after a restart of Flotilla). */
  async startAll(log: (message: string) => void = () => {}): Promise<void> {
    for (const name of await this.kwokctl.list()) {
      log(`starting KWOK control plane ${name}`);
      await this.kwokctl.start(name);
    }
  }

  /** Stops every control plane for good: Flotilla is stopping. */
  stopAll(log?: (message: string) => void): Promise<void> {
    return this.kwokctl.stopAll(log);
  }

  activities(): ProviderActivities {
    const api = async (ref: ClusterRef) => coreApi(await this.kubeconfig(ref));
    const noControlPlane = async (ref: ClusterRef) => !(await this.kwokctl.exists(Kwokctl.clusterName(ref)));

    return {
      // A local cluster has no network of its own to make.
      ensureNetwork: async () => {},
      deleteNetwork: async () => {},

      createControlPlane: (ref) =>
        withHeartbeat(async (signal) => {
          const name = Kwokctl.clusterName(ref);
          if (await this.kwokctl.exists(name)) {
            // Made by an earlier attempt: keep it if it answers, else it was half-made by a crash.
            try {
              await this.kwokctl.start(name);
              await (await api(ref)).readNamespace({ name: 'default' });
              return;
            } catch {
              await this.kwokctl.delete(name, signal);
            }
          }
          await this.kwokctl.create(name, this.release(ref.kubernetesVersion), signal);
        }),

      awaitControlPlane: (ref) => withHeartbeat((signal) => this.serving(ref, signal)),

      kubernetesVersions: async () => kwokVersions(this.versions()),

      upgradeControlPlane: (ref, version) =>
        withHeartbeat(async (signal) => {
          const release = this.release(version);
          const kubeconfig = await this.kubeconfig(ref);
          if ((await probeVersion(kubeconfig, 30_000)) !== release.version) await this.kwokctl.upgrade(Kwokctl.clusterName(ref), release, signal);
          await this.serving(ref, signal);
        }),

      upgradeNodePool: (ref, pool, version, drain) =>
        withHeartbeat(async (signal) =>
          upgradePoolNodes(coreApi(await this.kubeconfig(ref)), ref, pool, this.release(version).version, drain.timeoutSeconds, signal),
        ),

      createNodePool: (ref, pool) => this.ensurePool(ref, pool),
      updateNodePool: (ref, pool) => this.ensurePool(ref, pool),

      deleteNodePool: async (ref, poolName) => {
        if (await noControlPlane(ref)) return;
        await deletePoolNodes(await api(ref), poolName);
      },

      deleteControlPlane: (ref) =>
        withHeartbeat(async (signal) => {
          if (await noControlPlane(ref)) return;
          await this.kwokctl.delete(Kwokctl.clusterName(ref), signal);
        }),
    };
  }

  /** Waits until the control plane serves pods: they need the default service account, which the controller manager creates. */
  private async serving(ref: ClusterRef, signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      try {
        await coreApi(await this.kubeconfig(ref)).readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return;
      } catch {
        await sleep(1_000, undefined, { signal });
      }
    }
  }

  private async ensurePool(ref: ClusterRef, pool: NodePoolSpec): Promise<number> {
    if (!(await this.kwokctl.exists(Kwokctl.clusterName(ref)))) {
      throw ApplicationFailure.nonRetryable(`KWOK cluster ${ref.org}/${ref.name} has no control plane`, FailureType.nonRetryableCloud);
    }
    const { version } = this.release(ref.kubernetesVersion);
    return withHeartbeat(async () => ensurePoolNodes(coreApi(await this.kubeconfig(ref)), ref, pool, version));
  }
}
