import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  isGrpcServiceError,
  ServiceError,
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type Problem } from '../domain/problems.js';
import type { Refusal } from '../domain/change-refusals.js';
import { HttpError, invalid, notFound } from './errors.js';

const STATUS_OF_FAILURE: Partial<Record<string, [number, string]>> = {
  [FailureType.invalid]: [400, 'invalid_request'],
  [FailureType.notFound]: [404, 'not_found'],
  [FailureType.conflict]: [409, 'conflict'],
};

/**
 * What Temporal said, as the API answers it: an entity's rejection of an
 * update keeps its 4xx, an absent workflow is a 404, an unreachable or busy
 * Temporal a 503. Undefined for anything else (a 500 for the caller).
 * `what` names the resource in the message, e.g. "cluster 'web'".
 */
export function fromTemporal(err: unknown, what: string): HttpError | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && STATUS_OF_FAILURE[err.cause.type ?? '']) {
    return refusalAnswer({ type: err.cause.type as FailureType, message: err.cause.message, problems: (err.cause.details?.[0] as Problem[] | undefined) ?? [] });
  }
  if (err instanceof WorkflowNotFoundError) return notFound(what);
  // An update whose workflow task did not come in time: the SDK wraps the deadline in an error of its own.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return busy(what);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new HttpError(409, 'conflict', `${what} already exists`);
  const code = err instanceof ServiceError ? (err.cause as { code?: number } | undefined)?.code : isGrpcServiceError(err) ? err.code : undefined;
  switch (code) {
    case GrpcStatus.NOT_FOUND: // e.g. an update to an entity that has finished
      return notFound(what);
    case GrpcStatus.UNAVAILABLE:
      return new HttpError(503, 'unavailable', 'Temporal is not reachable; try again');
    case GrpcStatus.DEADLINE_EXCEEDED: // a query or update waits for a worker: under load it may not come in time
      return busy(what);
    default:
      return undefined;
  }
}

function busy(what: string): HttpError {
  return new HttpError(503, 'unavailable', `${what} did not answer in time (Temporal or its workers are busy); try again`);
}

/** An entity's refusal (from its validator, or the same check made by the API) as the 4xx it answers. */
export function refusalAnswer(refusal: Refusal): HttpError {
  const [status, code] = STATUS_OF_FAILURE[refusal.type] ?? [409, 'conflict'];
  return refusal.problems.length && status === 400 ? invalid(refusal.problems, refusal.message) : new HttpError(status, code, refusal.message);
}

/** A call to Temporal whose failures reach the route as HttpErrors (see fromTemporal); other errors pass as they are. */
export async function askTemporal<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw fromTemporal(err, what) ?? err;
  }
}

/** The memo of an org's store workflow (`helmrepos/<org>`, `profiles/<org>`), or an empty one when the org never made it. */
export async function storeMemo(client: Client, workflowId: string, what: string): Promise<Record<string, unknown>> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).memo ?? {};
  } catch (err) {
    const mapped = fromTemporal(err, what);
    if (mapped?.status === 404) return {};
    throw mapped ?? err;
  }
}
