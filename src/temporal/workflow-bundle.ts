import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * What the workflow bundle is made of, for the worker that bundles at start
 * and for whoever prebuilds it (tests, benchmarks): the workflows and their
 * OpenTelemetry interceptors. The interceptors are in the bundle whether
 * tracing is on or not, so turning tracing on or off never changes the code
 * workflows replay; with tracing off new runs are not traced
 * (src/workflows/tracing-switch.ts).
 */
export function workflowBundleOptions(): { workflowsPath: string; workflowInterceptorModules: string[] } {
  return {
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    workflowInterceptorModules: [fileURLToPath(new URL('../workflows/tracing-interceptors.ts', import.meta.url))],
  };
}

/**
 * Bundles the workflows once and writes the bundle to `path`: what
 * FLOTILLA_WORKFLOW_BUNDLE points a worker at (the image builds it; the tests
 * and benchmarks build it for their workers). Only the bundler's warnings and
 * errors are printed.
 */
export async function writeWorkflowBundle(path: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: console.warn, error: console.error } as never,
  });
  writeFileSync(path, code);
}
