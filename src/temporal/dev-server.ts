import { NativeConnection } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

export interface DevServer {
  address: string;
  uiUrl: string;
  /** The server's process, whose CPU and memory the benchmarks read. */
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL, at once (unless it has exited). */
  kill(): void;
}

/** The flags that register Flotilla's search attributes on a dev server. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}

/**
 * Starts the real Temporal dev server (CLI `temporal server start-dev`) with
 * its Web UI, persisting to a SQLite file in the data directory, and waits
 * until it answers.
 */
export async function startDevServer(options: {
  temporal: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The remote codec the Web UI decodes payloads with (Flotilla's API, /codec/...). */
  codecEndpoint?: string;
}): Promise<DevServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const log = openSync(join(options.dataDir, 'temporal.log'), 'a');
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--db-filename', join(options.dataDir, 'temporal.db'),
    '--namespace', options.namespace,
    '--log-level', 'warn',
    // WAL, synced at checkpoints: a commit no longer waits for the disk. An fsync per transaction halved the
    // throughput of provisioning sim clusters (bench/, BENCHMARKS.md). The file stays consistent; a crash of
    // the process loses nothing, a power loss at most the last commits.
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    ...searchAttributeFlags(),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  const child = spawn(options.temporal, args, { stdio: ['ignore', log, log] });
  const address = `127.0.0.1:${options.port}`;
  await waitUntilServing(address, child);
  return {
    address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    pid: child.pid!,
    stop: () => stopProcess(child),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function waitUntilServing(address: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null) throw new Error(`temporal dev server exited with ${exited}; see temporal.log in the data directory`);
    try {
      const connection = await NativeConnection.connect({ address });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`temporal dev server did not answer on ${address}: ${String(err)}`);
      await sleep(250);
    }
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timeout = sleep(15_000).then(() => child.kill('SIGKILL'));
  await Promise.race([exited, timeout]);
}
