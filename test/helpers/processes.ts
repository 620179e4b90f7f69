import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
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
