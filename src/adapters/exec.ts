import { spawn } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
  input?: string;
}

/** Runs a command to completion; a non-zero exit rejects with the command's own error output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const name = command.split('/').pop();
      const why = (stderr.trim() || stdout.trim()).split('\n').slice(-5).join('\n');
      reject(new Error(`${name} ${args.slice(0, 3).join(' ')} ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${why}`));
    });
    // A child that exits without reading its input closes the pipe: its exit status tells what happened, not EPIPE.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(options.input ?? '');
  });
}
