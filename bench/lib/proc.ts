import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** Linux /proc readings of the processes under test: peak memory and CPU time. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function statusField(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(line.split(/\s+/)[1]) * 1024; // kB
}

/** Peak resident set size (VmHWM) in bytes since the process started or since resetPeakRss. */
export function peakRss(pid: number): number {
  try {
    return statusField(pid, 'VmHWM');
  } catch {
    return Number.NaN; // the process is gone
  }
}

export function rss(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** Starts a new peak: writing 5 to clear_refs resets VmHWM to the current RSS. */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // the process is gone: its successor starts with a fresh peak anyway
  }
}

/**
 * CPU seconds the process has used, user and system, including the children
 * it has waited for (a worker's helm and kwokctl processes).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: the numeric fields start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return (utime! + stime! + cutime! + cstime!) / TICKS_PER_SECOND;
}

/** Busy and total CPU time of the whole machine (all cores), to show how loaded it was while we measured. */
export function machineCpu(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = values.map(Number);
  const idle = n[3]! + n[4]!; // idle + iowait
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** CPU use of a set of processes (and of the machine) over one phase of a benchmark. */
export class CpuMeter {
  private readonly start: { at: number; pids: Map<number, number>; machine: { busy: number; total: number } };

  constructor(private readonly pids: Record<string, number>) {
    this.start = { at: performance.now(), pids: new Map(Object.values(pids).map((p) => [p, cpuSeconds(p)])), machine: machineCpu() };
  }

  /** A process that is gone (a worker that died) has no figure: NaN, not a crash of the benchmark. */
  private used(pid: number): number {
    try {
      return cpuSeconds(pid) - this.start.pids.get(pid)!;
    } catch {
      return Number.NaN;
    }
  }

  /** Per process: CPU seconds used and the share of one core over the phase; `machine`: share of all cores busy. */
  read(): { wallSeconds: number; cpuSeconds: Record<string, number>; coreShare: Record<string, number>; machineBusy: number } {
    const wallSeconds = (performance.now() - this.start.at) / 1000;
    const used: Record<string, number> = {};
    const share: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      used[name] = this.used(pid);
      share[name] = used[name] / wallSeconds;
    }
    const m = machineCpu();
    return { wallSeconds, cpuSeconds: used, coreShare: share, machineBusy: (m.busy - this.start.machine.busy) / (m.total - this.start.machine.total) };
  }
}

/** What the report says about the machine it ran on. */
export function machine(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    commit: git(['rev-parse', '--short', 'HEAD']),
    /** Files changed but not committed when the run started (others at work in the same checkout). */
    uncommitted: git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean).length,
  };
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', cwd: new URL('../..', import.meta.url) }).trim();
  } catch {
    return '';
  }
}
