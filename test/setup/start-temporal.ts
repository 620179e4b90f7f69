import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolPaths } from '../../src/toolchain.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';

/**
 * One real Temporal dev server (the installed CLI, never a download) and one
 * workflow bundle for every suite; their whereabouts pass to the suites
 * through the environment.
 */
export async function startTemporal(): Promise<void> {
  const tools = toolPaths(); // installed by `npm test` (scripts/install-tools.sh) before jest starts
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: tools.temporal },
      searchAttributes: SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
    },
  });
  (globalThis as { temporalEnv?: TestWorkflowEnvironment }).temporalEnv = env;
  process.env.TEMPORAL_ADDRESS = env.address;

  const dir = mkdtempSync(join(tmpdir(), 'flotilla-test-'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: console.warn, error: console.error } as never,
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.FLOTILLA_TEST_DIR = dir;
  process.env.FLOTILLA_WORKFLOW_BUNDLE = bundlePath;
}
