import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

/** Whether killControlPlanes can find the processes: it needs /proc (Linux). */
export const canKillDirectly = existsSync('/proc/self');

/**
 * Kills every control-plane process of the KWOK clusters under a work
 * directory, without kwokctl. kwokctl starts them detached, in sessions of
 * their own that a Ctrl-C does not reach, in the cluster's directory, from
 * links to the binaries in `clusters/<name>/bin/`: that, read from /proc, is
 * what finds them (a pid file alone would not say whether its pid was reused
 * since). The working directory first: reading a busy process's command line
 * can take a tenth of a second. Their pid files go too, lest a later
 * `kwokctl start` take a reused pid for a running component. Synchronous, for
 * a process about to exit. Returns the pids it killed.
 */
export function killControlPlanes(workdir: string): number[] {
  const clusters = `${join(workdir, 'clusters')}/`;
  const killed: number[] = [];
  for (const entry of readdirOrEmpty('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (!`${readlinkOrEmpty(join('/proc', entry, 'cwd'))}/`.startsWith(clusters)) continue;
    if (!readOrEmpty(join('/proc', entry, 'cmdline')).startsWith(clusters)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone already.
    }
  }
  for (const cluster of readdirOrEmpty(clusters)) {
    const pids = join(clusters, cluster, 'pids');
    for (const file of readdirOrEmpty(pids)) rmSync(join(pids, file), { force: true });
  }
  return killed;
}

/**
 * Starts a watchdog that stops the control planes under `workdir` when this
 * process ends, however it ends: a crash, or a SIGKILL, which is what tsx
 * (`npm start`) sends its child when the child's event loop does not get to a
 * Ctrl-C within 60 ms. The watchdog has a session of its own, out of the
 * Ctrl-C's reach, and learns of the end from its stdin, a pipe from this
 * process, reaching end of file.
 */
export function startWatchdog(workdir: string): void {
  const script = fileURLToPath(new URL('./watchdog.ts', import.meta.url));
  spawn(process.execPath, ['--import', 'tsx', script, workdir], { cwd: repoRoot, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readlinkOrEmpty(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
