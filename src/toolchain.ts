import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const versions = JSON.parse(readFileSync(join(repoRoot, 'tools', 'versions.json'), 'utf8')) as Record<
  'temporal' | 'kwok' | 'helm' | 'kubernetes' | 'kubernetes-previous' | 'etcd' | 'temporal-server',
  string
>;

/** The Kubernetes releases built for KWOK clusters (tools/versions.json), newest first. */
export const KWOK_KUBERNETES_VERSIONS: readonly string[] = [versions.kubernetes, versions['kubernetes-previous']];

/** Where scripts/install-tools.sh caches the pinned tools, one folder per name and version. */
export function toolsDir(): string {
  return process.env.FLOTILLA_TOOLS ?? join(homedir(), '.cache', 'flotilla', 'tools');
}

export interface ToolPaths {
  temporal: string;
  kwok: string;
  kwokctl: string;
  helm: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubernetesVersion: string;
  /** The control planes built for KWOK clusters: the current minor (the fields above) and the one before it, newest first. */
  kubernetesReleases: KubernetesRelease[];
}

/** One Kubernetes release's control plane binaries. */
export interface KubernetesRelease {
  /** `v1.37.2`. */
  version: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
}

export function toolPaths(): ToolPaths {
  const dir = (name: keyof typeof versions) => join(toolsDir(), `${name}-${versions[name]}`);
  // Both are installed as kubernetes-<version>.
  const release = (version: string): KubernetesRelease => {
    const home = join(toolsDir(), `kubernetes-${version}`);
    return { version, kubeApiserver: join(home, 'kube-apiserver'), kubeControllerManager: join(home, 'kube-controller-manager'), kubeScheduler: join(home, 'kube-scheduler') };
  };
  return {
    temporal: join(dir('temporal'), 'temporal'),
    kwok: join(dir('kwok'), 'kwok'),
    kwokctl: join(dir('kwok'), 'kwokctl'),
    helm: join(dir('helm'), 'helm'),
    etcd: join(dir('etcd'), 'etcd'),
    kubeApiserver: join(dir('kubernetes'), 'kube-apiserver'),
    kubeControllerManager: join(dir('kubernetes'), 'kube-controller-manager'),
    kubeScheduler: join(dir('kubernetes'), 'kube-scheduler'),
    kubernetesVersion: versions.kubernetes,
    kubernetesReleases: KWOK_KUBERNETES_VERSIONS.map(release),
  };
}

/** The Temporal server and its SQL tool (`install-tools.sh temporal-server`; `npm test` installs it for its PostgreSQL stage). */
export function temporalServerPaths(): { server: string; sqlTool: string; postgresSchema: string; version: string } {
  const dir = join(toolsDir(), `temporal-server-${versions['temporal-server']}`);
  return {
    server: join(dir, 'temporal-server'),
    sqlTool: join(dir, 'temporal-sql-tool'),
    postgresSchema: join(dir, 'schema', 'postgresql', 'v12'),
    version: versions['temporal-server'],
  };
}

/** Runs the installer (instant when everything is cached), its progress on stderr. */
export function ensureTools(): Promise<ToolPaths> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'scripts', 'install-tools.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(toolPaths()) : reject(new Error(`scripts/install-tools.sh exited with ${code}`))));
  });
}
