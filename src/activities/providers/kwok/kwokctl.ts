import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterRef } from '../../../domain/cluster.js';
import type { ToolPaths } from '../../../toolchain.js';
import { run } from '../../exec.js';

/**
 * kwokctl with the binary runtime and our locally built control plane, every
 * cluster's files under one work directory (the data directory's `kwok/`).
 */
export class Kwokctl {
  /** kwokctl runs that start control planes, one at a time: concurrent ones stall each other for minutes. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly kubeconfigs = new Map<string, { stamp: string; text: string }>();

  constructor(
    private readonly tools: ToolPaths,
    private readonly workdir: string,
  ) {}

  /** kwokctl names are global to the work directory; a hash keeps org/name pairs apart. */
  static clusterName(ref: Pick<ClusterRef, 'org' | 'name'>): string {
    const hash = createHash('sha256').update(`${ref.org}/${ref.name}`).digest('hex').slice(0, 8);
    return `${ref.name.slice(0, 40)}-${hash}`;
  }

  async list(): Promise<string[]> {
    const out = await this.kwokctl(['get', 'clusters']);
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  async exists(name: string): Promise<boolean> {
    return (await this.list()).includes(name);
  }

  create(name: string, signal?: AbortSignal): Promise<string> {
    const t = this.tools;
    return this.serial(() => this.kwokctl(
      [
        'create', 'cluster', '--name', name, '--runtime', 'binary',
        '--kube-apiserver-binary', t.kubeApiserver,
        '--kube-controller-manager-binary', t.kubeControllerManager,
        '--kube-scheduler-binary', t.kubeScheduler,
        '--kwok-controller-binary', t.kwok,
        '--etcd-binary', t.etcd,
        '--wait', '3m',
      ],
      signal,
    ));
  }

  start(name: string): Promise<string> {
    return this.serial(() => this.kwokctl(['start', 'cluster', '--name', name, '--wait', '3m']));
  }

  stop(name: string): Promise<string> {
    return this.kwokctl(['stop', 'cluster', '--name', name]);
  }

  delete(name: string, signal?: AbortSignal): Promise<string> {
    return this.kwokctl(['delete', 'cluster', '--name', name], signal);
  }

  /**
   * `kwokctl get kubeconfig`, run once per cluster: its answer changes only
   * when the cluster is made again, which rewrites the cluster's kubeconfig
   * file — the file's identity and time say whether the copy kept is current.
   * (A process per helm activity was a fifth of its time.)
   */
  async kubeconfig(name: string): Promise<string> {
    const file = join(this.workdir, 'clusters', name, 'kubeconfig.yaml');
    const stamp = await stat(file).then((s) => `${s.ino}:${s.mtimeMs}`, () => undefined);
    const kept = this.kubeconfigs.get(name);
    if (stamp && kept?.stamp === stamp) return kept.text;
    const text = await this.kwokctl(['get', 'kubeconfig', '--name', name]);
    if (stamp) this.kubeconfigs.set(name, { stamp, text });
    return text;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private kwokctl(args: string[], signal?: AbortSignal): Promise<string> {
    return run(this.tools.kwokctl, args, {
      signal,
      timeoutMs: 5 * 60_000,
      env: { KWOK_WORKDIR: this.workdir, KWOK_KUBE_VERSION: this.tools.kubernetesVersion, KWOK_RUNTIME: 'binary' },
    });
  }
}
