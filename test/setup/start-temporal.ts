import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgresTemporal } from '../../scripts/temporal-postgres.js';
import { newCodecKeyEntry } from '../../src/temporal/codec.js';
import { writeWorkflowBundle } from '../../src/temporal/workflow-bundle.js';
import { toolPaths } from '../../src/toolchain.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';

/**
 * One real Temporal for every suite — the dev server (the installed CLI, never
 * a download), or with FLOTILLA_TEMPORAL=postgres the Temporal server on
 * PostgreSQL — and one workflow bundle; their whereabouts pass to the suites
 * through the environment.
 */
export async function startTemporal(): Promise<void> {
  const temporal = process.env.FLOTILLA_TEMPORAL === 'postgres' ? await startOnPostgres() : await startCliDevServer();
  (globalThis as { stopTemporal?: () => Promise<void> }).stopTemporal = temporal.stop;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  // The whole suite encrypts its payloads, worker processes it spawns too; the last test checks the histories for it.
  // Two keys, as after a rotation: `suite` encrypts; the codec test plays the run before it with `previous`.
  process.env.FLOTILLA_CODEC_KEYS ??= `${newCodecKeyEntry('previous')},${newCodecKeyEntry('suite')}`;

  const dir = mkdtempSync(join(tmpdir(), 'flotilla-test-'));
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundlePath);
  process.env.FLOTILLA_TEST_DIR = dir;
  process.env.FLOTILLA_WORKFLOW_BUNDLE = bundlePath;
}

async function startCliDevServer(): Promise<{ address: string; stop(): Promise<void> }> {
  const tools = toolPaths(); // installed by `npm run test:suite` (scripts/install-tools.sh) before jest starts
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: tools.temporal },
      searchAttributes: SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
    },
  });
  return { address: env.address, stop: () => env.teardown() };
}

/** Installed by `npm run test:postgres` (scripts/install-tools.sh temporal-server postgresql). */
async function startOnPostgres(): Promise<{ address: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-temporal-postgres-'));
  const server = await startPostgresTemporal({ dir, progress: (message) => console.log(`[temporal-postgres] ${message}`) });
  return {
    address: server.address,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
