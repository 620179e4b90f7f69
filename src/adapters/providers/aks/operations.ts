import { log } from '@temporalio/activity';
import { cloudStep, type CloudStep } from '../cloud-step.js';
import { toActivityFailure } from './errors.js';

/**
 * Long-running ARM operations that survive a worker restart.
 *
 * An AKS create or delete runs for minutes. If the worker dies meanwhile,
 * Temporal retries the activity elsewhere; sending the PUT again would be
 * answered with 409 (another operation is in progress), and starting a new
 * DELETE loses track of the first. So every attempt records its poller's state
 * as its progress (cloud-step.ts), and the next attempt resumes that poller instead.
 */

/** A poller, enough to wait on it and to save it. */
export interface Lro<T> {
  /** The poller's serialized state, after the initial request was answered. */
  save(): Promise<string>;
  wait(signal: AbortSignal): Promise<T>;
}

/** A poller of the modular Azure SDKs (@azure/arm-containerservice ≥ 22, @azure/arm-resources ≥ 8): `PollerLike` from @azure/core-lro 3. */
export interface ModularPoller<T> {
  submitted(): Promise<void>;
  serialize(): Promise<string>;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
}

// The modular SDK's poller is a thenable: returning it from an async function
// would await it. Wrapping it here keeps the `then` out of reach.
export function fromModular<T>(poller: ModularPoller<T>): Lro<T> {
  return {
    save: async () => {
      await poller.submitted();
      return poller.serialize();
    },
    wait: (signal) => poller.pollUntilDone({ abortSignal: signal }),
  };
}

/** The progress an AKS activity records. */
export interface SavedOperation {
  /** Which operation the state belongs to, e.g. `PUT agentPool rg/cluster/pool`. */
  operation: string;
  state: string;
}

function asSavedOperation(details: unknown): SavedOperation | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { operation, state } = details as Partial<SavedOperation>;
  return typeof operation === 'string' && typeof state === 'string' ? { operation, state } : undefined;
}

export class OperationTracker {
  constructor(private readonly step: CloudStep<SavedOperation>) {}

  /**
   * Waits for the operation an earlier attempt started, if it saved one under
   * this name. Returns undefined when there is none, or when it cannot be
   * resumed (expired, or it failed): the caller then looks at the resource and
   * starts again, as a first attempt would.
   */
  async resume<T>(operation: string, restore: (state: string) => Lro<T> | Promise<Lro<T>>): Promise<{ result: T } | undefined> {
    const saved = asSavedOperation(this.step.current());
    if (saved?.operation !== operation) return undefined;
    try {
      log.info('resuming Azure operation from the last heartbeat', { operation });
      return { result: await (await restore(saved.state)).wait(this.step.signal) };
    } catch (err) {
      if (this.step.signal.aborted) throw err;
      log.warn('could not resume Azure operation; checking the resource instead', { operation, error: String(err) });
      this.step.record(undefined);
      return undefined;
    }
  }

  /** Records the started operation's state (heartbeat at once, then with every beat) and waits for it. */
  async track<T>(operation: string, lro: Lro<T>): Promise<T> {
    this.step.record({ operation, state: await lro.save() });
    return lro.wait(this.step.signal);
  }
}

/** Runs one AKS activity: its progress the operation's saved state, Azure errors made retryable or not. */
export function azureActivity<T>(fn: (ops: OperationTracker, signal: AbortSignal) => Promise<T>): Promise<T> {
  return cloudStep<SavedOperation, T>(toActivityFailure, (step) => fn(new OperationTracker(step), step.signal));
}
