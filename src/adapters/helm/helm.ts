import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { ObservedRelease } from '../../domain/deployment.js';
import { FailureType } from '../../domain/problems.js';
import type { PostRenderRules } from '../../domain/profiles.js';
import type { Values } from '../../domain/values.js';
import { run } from '../exec.js';
import { probeVersion } from '../kube/client.js';
import { chartPathProblem, isLocalChart } from './chart-roots.js';
import { observed, readRelease, type HelmRelease } from './release-record.js';
import { liveDrift, restoreLive } from './live-objects.js';
import type { ObjectDrift } from '../../domain/live-drift.js';
import { releaseHealth, type WorkloadHealth } from './workload-health.js';
import type { Egress } from '../egress/egress.js';
import { RemoteCharts } from './remote-charts.js';
import { POST_RENDERER } from './post-renderer.js';
import { PROJECT_CHARTS } from './project-charts.js';

export interface ReleaseRef {
  name: string;
  namespace: string;
}

export interface InstallRequest extends ReleaseRef {
  chart: string;
  /** The chart repository's URL, when `chart` is a name in it. */
  repo?: string;
  version?: string;
  values: Values;
  /** The target's provider profiles, applied to the rendered manifests by our post-renderer. */
  postRender?: PostRenderRules;
}

/**
 * Helm's flags that run our post-renderer with the rules in `rulesFile`: the project's own Node
 * and the launcher, as a program and its arguments (helm starts it without a shell).
 */
export function postRendererArgs(rulesFile: string): string[] {
  return ['--post-renderer', POST_RENDERER.node, '--post-renderer-args', POST_RENDERER.launcher, '--post-renderer-args', rulesFile];
}

/**
 * The real `helm` CLI. Each call gets the target's kubeconfig in a temporary
 * file of its own (mode 0600), removed when the call ends; Helm's own state
 * lives under `home`. Charts from repositories and registries are fetched
 * through `egress` and given to helm as packages (kept under `home`). With
 * `chartRoots`, local charts outside them are refused here too, not only by the API.
 */
export class Helm {
  private readonly remote: RemoteCharts;

  constructor(
    private readonly binary: string,
    private readonly home: string,
    egress: Egress,
    private readonly chartRoots?: readonly string[],
  ) {
    this.remote = new RemoteCharts(egress, join(home, 'charts'));
  }

  async upgradeInstall(kubeconfig: string, release: InstallRequest, signal?: AbortSignal): Promise<ObservedRelease> {
    const chart = await this.chart(release, signal);
    return this.reaching(kubeconfig, signal, () => this.withFiles(kubeconfig, release, async (kc, values, postRender) => {
      const out = await this.helm(
        [
          'upgrade', '--install', release.name, chart,
          '--namespace', release.namespace, '--create-namespace',
          '--values', values, '--reset-values', ...postRender,
          '--kubeconfig', kc, '--timeout', '5m', '--output', 'json',
          // The API server validates every object anyway; helm's own check first downloads and parses
          // the server's whole OpenAPI document, the largest share of its CPU per target.
          '--disable-openapi-validation',
        ],
        signal,
      );
      // The release as stored, printed by the same process: no second and third helm to read it back.
      return observed(JSON.parse(out) as HelmRelease);
    }));
  }

  /** The release on the cluster, or undefined when it is not installed: read from Helm's storage, without a helm process. */
  async status(kubeconfig: string, release: ReleaseRef, signal?: AbortSignal): Promise<ObservedRelease | undefined> {
    return this.reaching(kubeconfig, signal, () => readRelease(kubeconfig, release, signal));
  }

  /** How the release's live objects differ from the manifest Helm applied: read per kind, not per object. */
  async liveDrift(kubeconfig: string, manifest: string, namespace: string, signal?: AbortSignal): Promise<ObjectDrift[]> {
    return this.reaching(kubeconfig, signal, () => liveDrift(kubeconfig, manifest, namespace, signal));
  }

  /** Puts the release's live objects back as the manifest says where they differ (see restoreLive); answers what still differs. */
  async restoreLive(kubeconfig: string, manifest: string, namespace: string, signal?: AbortSignal): Promise<ObjectDrift[]> {
    return this.reaching(kubeconfig, signal, () => restoreLive(kubeconfig, manifest, namespace, signal));
  }

  /** Uninstalls; a release that is not there counts as uninstalled. */
  async uninstall(kubeconfig: string, release: ReleaseRef, signal?: AbortSignal): Promise<void> {
    await this.reaching(kubeconfig, signal, () =>
      this.withFiles(kubeconfig, undefined, async (kc) => {
        try {
          await this.helm(['uninstall', release.name, '--namespace', release.namespace, '--kubeconfig', kc, '--wait', '--timeout', '5m'], signal);
        } catch (err) {
          if (!/not found/i.test((err as Error).message)) throw err;
        }
      }),
    );
  }

  /** Whether the release is deployed at `revision` with its workloads ready (the rollouts' health gate). */
  async health(kubeconfig: string, release: ReleaseRef, revision: number, signal?: AbortSignal): Promise<WorkloadHealth> {
    return this.reaching(kubeconfig, signal, () => releaseHealth(kubeconfig, release, revision));
  }

  /**
   * Undoes `revision` (`helm rollback` to the one before it), or uninstalls when it was the first
   * install: what the release is afterwards, undefined when uninstalled. Without a revision (the
   * apply failed before saying which), only a latest revision that is not deployed is undone; a
   * release already past `revision` is left alone.
   */
  async rollback(kubeconfig: string, release: ReleaseRef, revision: number | undefined, signal?: AbortSignal): Promise<ObservedRelease | undefined> {
    const latest = await this.reaching(kubeconfig, signal, () => readRelease(kubeconfig, release, signal));
    if (!latest) return undefined;
    if (revision === undefined ? latest.status === 'deployed' : latest.revision !== revision) return latest;
    if (latest.revision <= 1) {
      await this.uninstall(kubeconfig, release, signal);
      return undefined;
    }
    return this.reaching(kubeconfig, signal, () =>
      this.withFiles(kubeconfig, undefined, async (kc) => {
        // No revision: the one before the latest. No --wait: the rollout reports the wave's failure, not the old revision's health.
        await this.helm(['rollback', release.name, '--namespace', release.namespace, '--kubeconfig', kc, '--timeout', '5m'], signal);
        return readRelease(kubeconfig, release, signal);
      }),
    );
  }

  /**
   * The chart rendered with the values (a dry run's check, a chart's sizing): helm in client-only
   * mode, whose `lookup` finds nothing and whose DNS functions answer nothing. Its kubeconfig is a
   * file that does not exist and its proxy a closed loopback port, so neither the worker's own
   * cluster nor the network is in reach should a chart find a way to ask.
   */
  async template(release: InstallRequest, signal?: AbortSignal): Promise<string> {
    const chart = await this.chart(release, signal);
    return this.withFiles(undefined, release, async (kc, values, postRender) =>
      this.helm(['template', release.name, chart, '--namespace', release.namespace, '--values', values, ...postRender, '--kubeconfig', kc], signal, NO_NETWORK),
    );
  }

  /** The chart as a path helm reads: a local one checked against the chart roots, a remote one downloaded. */
  private async chart(release: InstallRequest, signal?: AbortSignal): Promise<string> {
    if (release.repo || !isLocalChart(release.chart)) return this.remote.fetch(release, signal);
    const problem = this.chartRoots && (await chartPathProblem(release.chart, [...this.chartRoots, PROJECT_CHARTS]));
    if (problem) throw ApplicationFailure.nonRetryable(`chart '${release.chart}': ${problem}`, FailureType.chartOutsideRoots);
    return release.chart;
  }

  /**
   * Runs a call that reaches the cluster. When it fails, the cluster's API server is asked for its
   * version, through the same kubeconfig (and so the same egress guard): no answer makes the
   * failure FailureType.clusterUnreachable, whatever helm or the Kubernetes client said. The one
   * place that tells an unreachable cluster (a deployment's UNKNOWN) from a failed release (FAILED).
   */
  private async reaching<T>(kubeconfig: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ApplicationFailure || signal?.aborted || (await answers(kubeconfig))) throw err;
      throw ApplicationFailure.create({ type: FailureType.clusterUnreachable, message: `cluster unreachable: ${(err as Error).message}` });
    }
  }

  /** Runs `fn` with the kubeconfig, the values and the post-renderer's rules in files of their own, and helm's flags for the rules (none without them). */
  private async withFiles<T>(
    kubeconfig: string | undefined,
    release: Pick<InstallRequest, 'values' | 'postRender'> | undefined,
    fn: (kubeconfig: string, values: string, postRender: string[]) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-helm-'));
    try {
      const kc = join(dir, 'kubeconfig');
      const vf = join(dir, 'values.json');
      const rf = join(dir, 'post-render.json');
      if (kubeconfig !== undefined) await writeFile(kc, kubeconfig, { mode: 0o600 });
      if (release !== undefined) await writeFile(vf, JSON.stringify(release.values), { mode: 0o600 });
      if (release?.postRender) await writeFile(rf, JSON.stringify(release.postRender), { mode: 0o600 });
      return await fn(kc, vf, release?.postRender ? postRendererArgs(rf) : []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private helm(args: string[], signal?: AbortSignal, env: NodeJS.ProcessEnv = {}): Promise<string> {
    return run(this.binary, args, {
      ...(signal ? { signal } : {}),
      timeoutMs: 6 * 60_000,
      env: {
        HELM_CACHE_HOME: join(this.home, 'cache'),
        HELM_CONFIG_HOME: join(this.home, 'config'),
        HELM_DATA_HOME: join(this.home, 'data'),
        // Releases live in Secrets, where readRelease finds them.
        HELM_DRIVER: 'secret',
        ...env,
      },
    });
  }
}

/** Every proxy variable Go reads, pointing at loopback port 9 (discard, not served here): a dial out is refused, not made. */
const NO_NETWORK: NodeJS.ProcessEnv = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', NO_PROXY: '', no_proxy: '' };

/** Whether the cluster's API server answers at all. */
async function answers(kubeconfig: string): Promise<boolean> {
  return probeVersion(kubeconfig).then(
    () => true,
    () => false,
  );
}
