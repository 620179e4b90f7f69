import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A Flotilla entry point (`src/worker.ts`, `src/api/server.ts`) as its own
 * process: node itself with tsx's loader, so a SIGKILL kills it and not a
 * wrapper around it. Its output goes to `<name>.log` in the test run's folder.
 */
export function startFlotillaProcess(script: string, env: NodeJS.ProcessEnv, name: string): ChildProcess {
  const log = openSync(join(process.env.FLOTILLA_TEST_DIR!, `${name}.log`), 'a');
  try {
    return spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
}

/** Sends `signal` (SIGKILL unless told) and waits until the process is gone. */
export async function killProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** A process, from /proc, as the checks for leftover processes see it. */
export interface ProcessInfo {
  pid: number;
  pgid: number;
  cwd: string;
  args: string[];
}

/** Every process but zombies (which run nothing and listen on nothing), from /proc. */
export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      found.push({ pid: Number(entry), pgid: Number(pgid), cwd: readlinkSync(`/proc/${entry}/cwd`), args });
    } catch {
      // Exited while being read.
    }
  }
  return found;
}

/** The processes in a process group, or whose working directory or arguments are under `dir`. */
export function leftovers(pgid: number, dir: string): ProcessInfo[] {
  return processes().filter((p) => p.pgid === pgid || p.cwd.startsWith(dir) || p.args.some((a) => a.includes(dir)));
}

/** The TCP ports a process listens on, with their local addresses: its socket fds looked up in /proc/net/tcp and tcp6. */
export function tcpListeners(pid: number): { address: string; port: number }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = readlinkOrEmpty(`/proc/${pid}/fd/${fd}`);
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const listeners: { address: string; port: number }[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, , state] = [fields[1]!, fields[2], fields[3]];
      if (state !== '0A' || !inodes.has(fields[9]!)) continue; // 0A: LISTEN
      const [hex, port] = local.split(':') as [string, string];
      listeners.push({ address: hexAddress(hex), port: parseInt(port, 16) });
    }
  }
  return listeners;
}

/** /proc/net's address: 32-bit words in host (little-endian) order, IPv4 or IPv6. */
function hexAddress(hex: string): string {
  const bytes = hex.match(/.{8}/g)!.flatMap((word) => word.match(/../g)!.reverse()).map((b) => parseInt(b, 16));
  if (bytes.length === 4) return bytes.join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Whether an address from tcpListeners() is a loopback one: 127.0.0.0/8, ::1 or IPv4-mapped 127.x. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '0:0:0:0:0:0:0:1' || /^0:0:0:0:0:ffff:7f/.test(address);
}

function readlinkOrEmpty(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
