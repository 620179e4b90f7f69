import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

/**
 * Kills every control-plane process of the KWOK clusters under a work
 * directory, without kwokctl (which may be failing, or killed by the same
 * Ctrl-C). kwokctl starts them detached, in sessions of their own that a
 * Ctrl-C does not reach, from links to the binaries in `clusters/<name>/bin/`:
 * that path, in /proc, is what finds them (a pid file alone would not say
 * whether its pid was reused since); without /proc (not Linux) this does
 * nothing. Their pid files go too, lest a later `kwokctl start` take a reused
 * pid for a running component. Synchronous, for a process about to exit.
 * Returns the pids it killed.
 */
export function killControlPlanes(workdir: string): number[] {
  if (!existsSync('/proc/self')) return [];
  const clusters = join(workdir, 'clusters');
  const killed: number[] = [];
  for (const entry of readdirOrEmpty('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const argv0 = readOrEmpty(join('/proc', entry, 'cmdline')).split('\0')[0]!;
    if (!argv0.startsWith(`${clusters}/`)) continue;
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
 * Starts a watchdog that kills the control planes under `workdir` when this
 * process ends, however it ends: a crash, or a SIGKILL, which is what tsx
 * (`npm start`) sends its child when the child's event loop is too busy to
 * acknowledge a Ctrl-C within 60 ms. The watchdog has a session of its own,
 * out of the Ctrl-C's reach, and learns of the end from its stdin, a pipe from
 * this process, reaching end of file.
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

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
