import { ApplicationFailure } from '@temporalio/workflow';
import type { FailureType, Problem } from '../domain/problems.js';

/**
 * A request a workflow refuses: typed and never retried, its problems (when it names fields) in the
 * details, which the API answers as a 4xx naming them (src/api/temporal-errors.ts).
 */
export function refused(type: FailureType, message: string, problems: Problem[] = []): ApplicationFailure {
  return ApplicationFailure.create({ type, message, details: problems.length ? [problems] : [], nonRetryable: true });
}
