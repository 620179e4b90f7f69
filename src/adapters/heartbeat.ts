import { Context } from '@temporalio/activity';

/**
 * Heartbeats while a long call runs, so a crashed worker is noticed within the
 * heartbeat timeout and a cancellation (a forced delete) reaches the call.
 */
export async function withHeartbeat<T>(fn: (signal: AbortSignal) => Promise<T>, progress?: () => unknown): Promise<T> {
  const ctx = Context.current();
  const beat = () => ctx.heartbeat(progress?.());
  beat();
  const timer = setInterval(beat, 5_000);
  try {
    return await fn(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
