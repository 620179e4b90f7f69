import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { searchAttributeFlags } from '../../src/temporal/dev-server.js';
import { toolPaths } from '../../src/toolchain.js';
import { freePort } from '../helpers/ports.js';
import { killProcess } from '../helpers/processes.js';
import { eventually } from '../helpers/stack.js';

/**
 * A Temporal dev server of a test's own (the installed CLI, headless), on a
 * SQLite file in `dir`, with Flotilla's search attributes in every namespace:
 * one the test may kill and start again on the same file and port.
 */
export class TestTemporal {
  private child?: ChildProcess;

  private constructor(
    readonly address: string,
    private readonly args: string[],
    private readonly log: string,
  ) {}

  static async start(dir: string, namespaces: string[] = []): Promise<TestTemporal> {
    const port = await freePort();
    const args = [
      'server', 'start-dev', '--headless',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--db-filename', join(dir, 'temporal.db'),
      '--log-level', 'error',
      ...namespaces.flatMap((namespace) => ['--namespace', namespace]),
      ...searchAttributeFlags(),
      // One partition per task queue, as a small deployment has: no forwarding between partitions to wait on.
      '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
      '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
    ];
    const server = new TestTemporal(`127.0.0.1:${port}`, args, join(dir, 'temporal.log'));
    await server.restart();
    return server;
  }

  /** Starts the server (again) on the same file and port; resolves once it answers. */
  async restart(): Promise<void> {
    const log = openSync(this.log, 'a');
    try {
      this.child = spawn(toolPaths().temporal, this.args, { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    await eventually(async () => {
      const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return true;
    }, `Temporal on ${this.address}`);
  }

  /** SIGTERM: an orderly shutdown; SIGKILL: a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child) await killProcess(this.child, signal);
  }
}
