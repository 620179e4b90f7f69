import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { FailureType } from '../../../domain/problems.js';

/**
 * gRPC status codes, as the SDK reports them on errors (`err.code`) and as GKE
 * reports them on failed operations (`operation.error.code`). The REST
 * transport maps Google's `{ error: { status } }` onto these.
 */
export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const CODE_NAMES = new Map<number, string>(Object.entries(Code).map(([name, code]) => [code, name]));

/**
 * What retrying cannot fix: a request GKE refuses as it stands (bad machine
 * type, unsupported version, a name in use by a cluster we don't own) or
 * credentials that may not do it. Throttling (RESOURCE_EXHAUSTED, HTTP 429),
 * 5xx and "another operation is running" are retried.
 */
const NOT_RETRYABLE = new Set<number>([Code.INVALID_ARGUMENT, Code.OUT_OF_RANGE, Code.PERMISSION_DENIED, Code.UNAUTHENTICATED, Code.UNIMPLEMENTED]);

export function googleCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return googleCode(err) === Code.NOT_FOUND;
}

export function isAlreadyExists(err: unknown): boolean {
  return googleCode(err) === Code.ALREADY_EXISTS;
}

/**
 * GKE runs one operation at a time on much of a cluster and refuses a second
 * with FAILED_PRECONDITION ("Cluster is running incompatible operation …",
 * "… Please wait and try again once it is done."). Flotilla creates a
 * cluster's pools in parallel, so this is an ordinary wait, not a failure.
 */
export function isBusy(err: unknown): boolean {
  const code = googleCode(err);
  return (code === Code.FAILED_PRECONDITION || code === Code.ABORTED) && /operation/i.test((err as Error).message ?? '');
}

/** Turns a failure of a GKE call (or operation) into the ApplicationFailure Temporal's retry policy acts on. */
export function gkeFailure(code: number | undefined, message: string, action: string, cause?: Error): ApplicationFailure {
  const text = `${action}: ${message}`;
  const type = (code !== undefined && CODE_NAMES.get(code)) || 'GkeError';
  if (code !== undefined && NOT_RETRYABLE.has(code)) {
    return ApplicationFailure.create({ message: text, type: FailureType.nonRetryableCloud, nonRetryable: true, details: [type], cause });
  }
  return ApplicationFailure.create({ message: text, type, nonRetryable: false, cause });
}

/**
 * At an activity's edge: Google errors become ApplicationFailures carrying
 * Google's message; our own failures and cancellation pass unchanged; other
 * errors (a refused connection, a bug) stay as they are and are retried.
 */
export function asFailure(err: unknown, action: string): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  const code = googleCode(err);
  if (code === undefined) return err;
  return gkeFailure(code, (err as Error).message, action, err as Error);
}

/** A GKE resource that is not in a state Flotilla can use, and will not get there by waiting. */
export function rejected(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: FailureType.nonRetryableCloud, nonRetryable: true });
}
