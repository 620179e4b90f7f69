import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/adapters/exec.js';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { isLoopback, processes, tcpListeners } from '../helpers/processes.js';
import { eventually } from '../helpers/stack.js';

// The control planes' listeners, found from the outside: each component's pid
// file, its sockets in /proc, the TCP ports they listen on. And how Flotilla's
// stop, without kwokctl or without Flotilla, leaves none of the processes.
const workdir = join(process.env.FLOTILLA_TEST_DIR!, 'kwok-loopback');
const tools = toolPaths();
const kwok = new KwokProvider(tools, workdir);
const env = { KWOK_WORKDIR: workdir, KWOK_KUBE_VERSION: tools.kubernetesVersion, KWOK_RUNTIME: 'binary' };

afterAll(async () => {
  for (const name of await kwok.kwokctl.names()) await kwok.kwokctl.delete(name).catch(() => undefined);
});

/** Each component of a cluster (etcd, kube-apiserver, …) with the addresses and ports it listens on. */
function listeners(cluster: string): Record<string, { address: string; port: number }[]> {
  const dir = join(workdir, 'clusters', cluster, 'pids');
  return Object.fromEntries(readdirSync(dir).map((file) => [file.replace(/\.pid$/, ''), tcpListeners(Number(readFileSync(join(dir, file), 'utf8')))]));
}

function expectLoopbackOnly(cluster: string): void {
  const found = listeners(cluster);
  expect(Object.keys(found).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller']);
  expect(found.etcd!.length).toBeGreaterThanOrEqual(2); // clients and peers
  expect(found['kube-apiserver']!.length).toBeGreaterThanOrEqual(1);
  const exposed = Object.entries(found).flatMap(([component, ls]) => ls.filter((l) => !isLoopback(l.address)).map((l) => `${component} ${l.address}:${l.port}`));
  expect(exposed).toEqual([]);
}

/** Processes run from a cluster's binaries (`clusters/<name>/bin/`). */
const controlPlaneProcesses = () => processes().filter((p) => p.args[0]?.startsWith(join(workdir, 'clusters') + '/'));

async function core(cluster: string): Promise<CoreV1Api> {
  const config = new KubeConfig();
  config.loadFromString(await kwok.kwokctl.kubeconfig(cluster));
  return config.makeApiClient(CoreV1Api);
}

describe('KWOK control planes listen on loopback only', () => {
  it('a cluster made now: every listener of every component', async () => {
    await kwok.kwokctl.create('fresh', tools.kubernetesReleases[0]!);
    expectLoopbackOnly('fresh');
  });

  it('a cluster made before (kwokctl’s 0.0.0.0) is moved to loopback by startAll, keeping its data', async () => {
    // How Flotilla made clusters until now.
    await run(
      tools.kwokctl,
      [
        'create', 'cluster', '--name', 'legacy', '--runtime', 'binary',
        '--kube-apiserver-binary', tools.kubeApiserver,
        '--kube-controller-manager-binary', tools.kubeControllerManager,
        '--kube-scheduler-binary', tools.kubeScheduler,
        '--kwok-controller-binary', tools.kwok,
        '--etcd-binary', tools.etcd,
        '--wait', '3m',
      ],
      { env, timeoutMs: 5 * 60_000 },
    );
    // What the check would catch.
    const before = listeners('legacy');
    expect(before.etcd!.some((l) => !isLoopback(l.address))).toBe(true);
    expect(before['kube-apiserver']!.some((l) => !isLoopback(l.address))).toBe(true);
    await (await core('legacy')).createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'kept' }, data: { a: '1' } } });

    const started: string[] = [];
    await kwok.startAll((m) => started.push(m));
    expect(started.sort()).toEqual(['starting KWOK control plane fresh', 'starting KWOK control plane legacy']);
    expectLoopbackOnly('legacy');
    expectLoopbackOnly('fresh');
    expect((await (await core('legacy')).readNamespacedConfigMap({ name: 'kept', namespace: 'default' })).data).toEqual({ a: '1' });
  });

  it('stopAll kills the processes without kwokctl and starts none after; the next startAll starts them again', async () => {
    expect(controlPlaneProcesses()).toHaveLength(10);
    const broken = new KwokProvider({ ...tools, kwokctl: join(workdir, 'no-kwokctl') }, workdir);
    await broken.stopAll();
    await eventually(async () => (controlPlaneProcesses().length === 0 ? true : undefined), 'no control-plane process');
    expect(['fresh', 'legacy'].flatMap((c) => readdirSync(join(workdir, 'clusters', c, 'pids')))).toEqual([]);
    await expect(broken.kwokctl.start('fresh')).rejects.toThrow(/Flotilla is stopping/);

    await kwok.startAll();
    expectLoopbackOnly('fresh');
    expectLoopbackOnly('legacy');
  });

  it('the watchdog stops them when the process that started it dies, however it dies', async () => {
    const script = `import { startWatchdog } from './src/adapters/providers/kwok/processes.ts';
      startWatchdog(${JSON.stringify(workdir)}); console.log('watching'); setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => owner.stdout!.once('data', resolve));
    expect(controlPlaneProcesses()).toHaveLength(10);
    owner.kill('SIGKILL');
    await eventually(async () => (controlPlaneProcesses().length === 0 ? true : undefined), 'no control-plane process');
    const watchdogs = () => processes().filter((p) => p.args.some((a) => a.endsWith('watchdog.ts')) && p.args.includes(workdir));
    await eventually(async () => (watchdogs().length === 0 ? true : undefined), 'the watchdog gone');
  });
});
