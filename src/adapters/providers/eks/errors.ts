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

/** At an activity's edge: client errors fail fast (non-retryable, with AWS's own message); anything else is retried. */
export function awsFailure(err: unknown): unknown {
  const name = errorName(err);
  return name && CLIENT_ERRORS.has(name) ? ApplicationFailure.nonRetryable(`${name}: ${(err as Error).message}`, FailureType.nonRetryableCloud) : err;
}

/** Runs a delete; "not found" counts as done. */
export async function deleted(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
