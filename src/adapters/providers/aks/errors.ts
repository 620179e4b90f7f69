import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../../../domain/problems.js';

/**
 * Which Azure errors Temporal should retry. Throttling (429), conflicts with an
 * operation still running (409) and server errors (5xx) pass with time; a
 * request Azure rejects as invalid (400: unknown VM size, unsupported
 * Kubernetes version, quota) or refuses to authorise fails the same way every
 * time, so it fails the workflow step at once with Azure's own code and message.
 */

/** An HTTP error from either Azure SDK (both throw a `RestError`, from different packages). */
interface AzureRestError extends Error {
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

function asRestError(err: unknown): AzureRestError | undefined {
  return err instanceof Error && err.name === 'RestError' ? (err as AzureRestError) : undefined;
}

export function statusOf(err: unknown): number | undefined {
  return asRestError(err)?.statusCode;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 405, 413, 422]);

/** Identity errors that no retry mends: wrong tenant, client or secret; no credential configured. */
const NON_RETRYABLE_CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationRequiredError']);

/** `err` with each of `values` cut out of its message and stack, for an error that may quote what was sent. */
export function withoutValues(err: unknown, values: readonly string[]): unknown {
  if (!(err instanceof Error)) return err;
  const cut = (text: string) => values.reduce((out, value) => out.split(value).join('***'), text);
  err.message = cut(err.message);
  if (err.stack) err.stack = cut(err.stack);
  return err;
}

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return err;
  // A cancelled activity must surface as the cancellation, not as a cloud error.
  if (err.name === 'AbortError') return err;

  const rest = asRestError(err);
  if (rest?.statusCode !== undefined) {
    const code = rest.code ?? `HTTP${rest.statusCode}`;
    const message = `Azure: ${code}: ${rest.message}`;
    const details = [{ statusCode: rest.statusCode, code }];
    if (NON_RETRYABLE_STATUSES.has(rest.statusCode)) {
      return ApplicationFailure.create({ message, type: FailureType.nonRetryableCloud, nonRetryable: true, details, cause: err });
    }
    const retryAfterMs = retryAfter(rest);
    return ApplicationFailure.create({
      message,
      type: `Azure.${code}`,
      nonRetryable: false,
      details,
      cause: err,
      // Throttled: wait as long as Azure asks rather than Temporal's backoff.
      ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
    });
  }
  if (NON_RETRYABLE_CREDENTIAL_ERRORS.has(err.name) || (err.name === 'AuthenticationError' && isClientAuthFailure(err))) {
    return ApplicationFailure.create({ message: `Azure credentials: ${err.message}`, type: FailureType.nonRetryableCloud, nonRetryable: true, cause: err });
  }
  return err;
}

/** Retry-After in seconds (ARM sends seconds, not dates), as milliseconds. */
function retryAfter(err: AzureRestError): number | undefined {
  const header = err.response?.headers?.get('retry-after');
  const seconds = header !== undefined ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** An `AuthenticationError` from Entra ID with a 4xx: a bad secret or client, not an outage. */
function isClientAuthFailure(err: Error): boolean {
  const status = (err as Error & { statusCode?: number }).statusCode;
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
}
