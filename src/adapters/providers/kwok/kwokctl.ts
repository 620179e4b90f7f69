import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterRef } from '../../../domain/cluster.js';
import { parseAllDocuments } from 'yaml';
import type { KubernetesRelease, ToolPaths } from '../../../toolchain.js';
import { run } from '../../exec.js';
import { canKillDirectly, killControlPlanes } from './processes.js';

/**
 * Every listener of a cluster on loopback: kwokctl's default is 0.0.0.0, and
 * its etcd has no authentication. kwokctl derives each component's listen
 * addresses (and etcd's advertised URLs) from this one option.
 */
const LOOPBACK_CONFIG = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  bindAddress: 127.0.0.1
`;

/** 0.0.0.0 where kwok.yaml has it: `bindAddress: 0.0.0.0`, `--bind-address=0.0.0.0`, `--listen-client-urls=http://0.0.0.0:…` and the like. */
const ANY_ADDRESS = /(?<=[=/ ])0\.0\.0\.0\b/g;

/**
 * kwokctl with the binary runtime and our locally built control plane, every
 * cluster's files under one work directory (the data directory's `kwok/`).
 */
export class Kwokctl {
  /** kwokctl runs that start control planes, one at a time: concurrent ones stall each other for minutes. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly kubeconfigs = new Map<string, { stamp: string; text: string }>();
  /** Aborted by stopAll(): runs in flight end, new ones are refused. */
  private readonly closed = new AbortController();
  private readonly runs = new Set<Promise<string>>();

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

  create(name: string, release: KubernetesRelease, signal?: AbortSignal): Promise<string> {
    const t = this.tools;
    return this.serial(() => this.kwokctl(
      [
        'create', 'cluster', '--name', name, '--runtime', 'binary',
        '--kube-apiserver-binary', release.kubeApiserver,
        '--kube-controller-manager-binary', release.kubeControllerManager,
        '--kube-scheduler-binary', release.kubeScheduler,
        '--kwok-controller-binary', t.kwok,
        '--etcd-binary', t.etcd,
        '--config', '-',
        '--wait', '3m',
      ],
      signal,
      LOOPBACK_CONFIG,
      release.version,
    ));
  }

  /**
   * The control plane restarted at another release on the same etcd data: stopped, its saved
   * configuration (kwok.yaml, which `kwokctl start` runs the components from) pointed at the
   * release's kube-apiserver, kube-controller-manager and kube-scheduler, and started again.
   * etcd and the kwok controller stay as they are.
   */
  upgrade(name: string, release: KubernetesRelease, signal?: AbortSignal): Promise<string> {
    return this.serial(async () => {
      await this.kwokctl(['stop', 'cluster', '--name', name], signal);
      const dir = join(this.workdir, 'clusters', name);
      const file = join(dir, 'kwok.yaml');
      const binaries: Record<string, string> = {
        'kube-apiserver': release.kubeApiserver,
        'kube-controller-manager': release.kubeControllerManager,
        'kube-scheduler': release.kubeScheduler,
      };
      const documents = parseAllDocuments(await readFile(file, 'utf8'));
      for (const doc of documents) {
        if (doc.get('kind') !== 'KwokctlConfiguration') continue;
        const components = doc.get('components') as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] } | undefined;
        for (const component of components?.items ?? []) {
          const binary = binaries[String(component.get('name'))];
          if (!binary) continue;
          component.set('version', release.version.replace(/^v/, ''));
          // The component runs its bin/ link; the link is what moves to the release.
          const link = String(component.get('binary'));
          await rm(link, { force: true });
          await symlink(binary, link);
        }
        doc.setIn(['options', 'kubeVersion'], release.version);
        doc.setIn(['options', 'kubeApiserverBinary'], release.kubeApiserver);
        doc.setIn(['options', 'kubeControllerManagerBinary'], release.kubeControllerManager);
        doc.setIn(['options', 'kubeSchedulerBinary'], release.kubeScheduler);
      }
      await writeFile(file, documents.map((d) => d.toString()).join('---\n'));
      return this.kwokctl(['start', 'cluster', '--name', name, '--wait', '3m'], signal, undefined, release.version);
    });
  }

  start(name: string): Promise<string> {
    return this.serial(async () => {
      await this.moveToLoopback(name);
      return this.kwokctl(['start', 'cluster', '--name', name, '--wait', '3m']);
    });
  }

  /** Also after stopAll(): stopping starts nothing. */
  stop(name: string): Promise<string> {
    return this.exec(['stop', 'cluster', '--name', name]);
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

  /** The clusters' names from the work directory, which needs no kwokctl run. */
  async names(): Promise<string[]> {
    return readdir(join(this.workdir, 'clusters')).catch(() => []);
  }

  /**
   * Stops every control plane for good (Flotilla is stopping). First the
   * kwokctl runs in flight are ended and new ones refused, so that no
   * activity's `kwokctl create` or `start` starts one after this. Then the
   * processes are killed directly where /proc finds them (Linux): a kwokctl
   * run may fail, or be killed by a second Ctrl-C, and spawning one stalls
   * this process for up to a fifth of a second, long enough for tsx to take it
   * for hung. Elsewhere, `kwokctl stop` each.
   */
  async stopAll(log: (message: string) => void = () => {}): Promise<void> {
    this.closed.abort();
    await Promise.allSettled(this.runs);
    if (canKillDirectly) {
      killControlPlanes(this.workdir);
      return;
    }
    for (const name of await this.names()) {
      await this.stop(name).catch((err) => log(`could not stop KWOK control plane ${name}: ${err instanceof Error ? err.message : err}`));
    }
  }

  /**
   * `kwokctl start` runs the components with the arguments saved in the
   * cluster's kwok.yaml when it was made: a cluster made before Flotilla made
   * them loopback-only has 0.0.0.0 there. Stopped first (`start` leaves running
   * components alone), it gets 127.0.0.1 instead; its data stays.
   */
  private async moveToLoopback(name: string): Promise<void> {
    const file = join(this.workdir, 'clusters', name, 'kwok.yaml');
    const saved = await readFile(file, 'utf8');
    const loopback = saved.replaceAll(ANY_ADDRESS, '127.0.0.1');
    if (loopback === saved) return;
    await this.kwokctl(['stop', 'cluster', '--name', name]);
    await writeFile(file, loopback);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private kwokctl(args: string[], signal?: AbortSignal, input?: string, kubeVersion?: string): Promise<string> {
    if (this.closed.signal.aborted) return Promise.reject(new Error('kwokctl: Flotilla is stopping'));
    const run = this.exec(args, signal ? AbortSignal.any([signal, this.closed.signal]) : this.closed.signal, input, kubeVersion);
    this.runs.add(run);
    const forget = () => this.runs.delete(run);
    run.then(forget, forget);
    return run;
  }

  private exec(args: string[], signal?: AbortSignal, input?: string, kubeVersion = this.tools.kubernetesVersion): Promise<string> {
    return run(this.tools.kwokctl, args, {
      signal,
      input,
      timeoutMs: 5 * 60_000,
      env: { KWOK_WORKDIR: this.workdir, KWOK_KUBE_VERSION: kubeVersion, KWOK_RUNTIME: 'binary' },
    });
  }
}
