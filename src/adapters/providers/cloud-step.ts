import { Context } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { withHeartbeat } from '../heartbeat.js';

/**
 * One attempt of a cloud provider's activity, as GKE, AKS and EKS all run it
 * (docs/architecture.md, decision 3): it heartbeats with the progress the
 * adapter recorded (the cloud operation it waits on), hands the next attempt
 * that progress to resume on instead of calling the cloud again, and is
 * cancelled with the activity (a forced delete).
 */
export class CloudStep<Progress> {
  /** What the previous attempt recorded; undefined on a first attempt. */
  readonly resumed: Progress | undefined;
  private progress: Progress | undefined;

  constructor(
    readonly signal: AbortSignal,
    previous: Progress | undefined,
    private readonly beat: (progress: Progress | undefined) => void,
  ) {
    // Carried until replaced, so that a beat before the adapter resumes does not erase it.
    this.resumed = this.progress = previous;
  }

  /** Records progress, heartbeating at once: a crash right after the cloud call must not lose it. */
  record(progress: Progress | undefined): void {
    this.progress = progress;
    this.beat(progress);
  }

  current(): Progress | undefined {
    return this.progress;
  }

  /** Reads until `done`, every `intervalMs` (the first read is immediate); the step heartbeats meanwhile. */
  async until<T>(read: () => Promise<T>, done: (value: T) => boolean, intervalMs: number): Promise<T> {
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      await sleep(intervalMs, undefined, { signal: this.signal });
    }
  }
}

/**
 * Runs `body` as one attempt of a cloud activity; what escapes it goes through
 * `failure`, the cloud's own mapping to retryable and non-retryable failures.
 */
export async function cloudStep<Progress, T>(failure: (err: unknown) => unknown, body: (step: CloudStep<Progress>) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const step = new CloudStep<Progress>(ctx.cancellationSignal, ctx.info.heartbeatDetails as Progress | undefined, (progress) => ctx.heartbeat(progress));
  try {
    return await withHeartbeat(() => body(step), () => step.current());
  } catch (err) {
    throw failure(err);
  }
}
