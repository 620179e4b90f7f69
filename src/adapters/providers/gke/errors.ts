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

const CODES_BY_NAME = new Map<string, number>(Object.entries(Code));

/** Google's HTTP mapping of gRPC codes, read backwards, for an HTTP error whose body names none. */
const HTTP_CODES = new Map<number, number>([
  [400, Code.INVALID_ARGUMENT],
  [401, Code.UNAUTHENTICATED],
  [403, Code.PERMISSION_DENIED],
  [404, Code.NOT_FOUND],
  [409, Code.ABORTED],
  [429, Code.RESOURCE_EXHAUSTED],
  [499, Code.CANCELLED],
  [500, Code.INTERNAL],
  [501, Code.UNIMPLEMENTED],
  [503, Code.UNAVAILABLE],
  [504, Code.DEADLINE_EXCEEDED],
]);

/**
 * A failed call's gRPC code and Google's message. The REST transport reports
 * them two ways: decoded by google-gax (`code` a gRPC code), or, when requests
 * go through google-auth-library's AuthClient.fetch as they do with a
 * service-account key, as the GaxiosError that fetch throws on an HTTP error
 * before google-gax can decode it: `code` the HTTP status and `message`
 * Google's JSON body, whose `error.status` names the gRPC code
 * (googleapis/gax-nodejs#1803).
 */
export function googleError(err: unknown): { code: number; message: string } | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'number') return undefined;
  const message = (err as Error).message ?? '';
  if (code < 100) return { code, message };
  let body: { status?: string; message?: string } | undefined;
  try {
    body = JSON.parse(message).error;
  } catch {
    // not Google's JSON: the HTTP status is all there is
  }
  return { code: CODES_BY_NAME.get(body?.status ?? '') ?? HTTP_CODES.get(code) ?? Code.UNKNOWN, message: body?.message ?? message };
}

export function googleCode(err: unknown): number | undefined {
  return googleError(err)?.code;
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
  const error = googleError(err);
  return (error?.code === Code.FAILED_PRECONDITION || error?.code === Code.ABORTED) && /operation/i.test(error.message);
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
  const error = googleError(err);
  if (!error) return err;
  // Google's message stands in for the transport's chain, which ends in the raw response (a GaxiosError
  // thrown by the auth client, or the cause google-gax keeps of it): the innermost cause is what a
  // cluster's ERROR shows.
  return gkeFailure(error.code, error.message, action, new Error(error.message));
}

/** A GKE resource that is not in a state Flotilla can use, and will not get there by waiting. */
export function rejected(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: FailureType.nonRetryableCloud, nonRetryable: true });
}
