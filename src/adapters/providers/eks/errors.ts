import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../../../domain/problems.js';

// Errors AWS answers that retrying cannot fix: bad input, limits, unsupported choices.
const CLIENT_ERRORS = new Set([
  'InvalidParameterException',
  'InvalidRequestException',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'UnsupportedAvailabilityZoneException',
  'ResourceLimitExceededException',
  'LimitExceededException',
  'MalformedPolicyDocument',
  'AccessDeniedException',
  'UnauthorizedOperation',
]);

export function errorName(err: unknown): string | undefined {
  return (err as { name?: string; Code?: string } | undefined)?.name;
}

export function isNotFound(err: unknown): boolean {
  const name = errorName(err) ?? '';
  return name === 'ResourceNotFoundException' || name === 'NoSuchEntity' || name === 'NoSuchEntityException' || /\.NotFound$|NotFound$/.test(name);
}

/** Fails fast (non-retryable, with AWS's own message) on client errors; anything else is retried. */
export async function aws<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const name = errorName(err);
    if (name && CLIENT_ERRORS.has(name)) {
      throw ApplicationFailure.nonRetryable(`${name}: ${(err as Error).message}`, FailureType.nonRetryableCloud);
    }
    throw err;
  }
}

/** Runs a delete; "not found" counts as done. */
export async function deleted(call: () => Promise<unknown>): Promise<void> {
  try {
    await aws(call);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
