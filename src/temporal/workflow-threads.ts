import workerThreads from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/** Loaded into the SDK's workflow threads before its own code: their v8.promiseHooks.createHook fails. */
const NO_PROMISE_HOOKS = fileURLToPath(new URL('./no-promise-hooks.cjs', import.meta.url));

/**
 * Creates a Temporal worker (`create`) whose workflow threads run without the
 * SDK's stack-trace promise hook. The SDK (1.24) records, for every promise a
 * workflow makes, the stack that made it, so that the `__stack_trace` query
 * (the Web UI's "Stack Trace" tab) can show where each run waits; it has no
 * option to turn that off, but turns it off itself where Node lacks
 * v8.promiseHooks.createHook. The hook was a fifth of the workflow thread's
 * time in the orchestration bench (BENCHMARKS.md §2), so the threads the SDK
 * starts meanwhile get a preload that takes createHook away (they are its
 * only users there). The query then fails with "Workflow stack traces are not
 * enabled on this worker"; workflows' progress shows in their current details
 * instead (src/workflows/steps.ts). Errors' stack traces are kept.
 */
export async function withoutStackTraceHook<T>(create: () => Promise<T>): Promise<T> {
  // Workers may be created at once (several per task queue): the class is swapped by the first and put back by the last.
  if (creating++ === 0) workerThreads.Worker = WorkerWithoutPromiseHooks;
  try {
    return await create();
  } finally {
    if (--creating === 0) workerThreads.Worker = SdkWorker;
  }
}

const SdkWorker = workerThreads.Worker;
let creating = 0;

class WorkerWithoutPromiseHooks extends SdkWorker {
  constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
    super(filename, { ...options, execArgv: [...(options?.execArgv ?? process.execArgv), '--require', NO_PROMISE_HOOKS] });
  }
}
