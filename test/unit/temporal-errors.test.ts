import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { askTemporal, fromTemporal } from '../../src/api/temporal-errors.js';
import { FailureType } from '../../src/domain/problems.js';

/** An error as @grpc/grpc-js rejects a call with. */
function grpcError(code: GrpcStatus): Error {
  return Object.assign(new Error(`grpc ${code}`), { code, details: `grpc ${code}`, metadata: new Metadata() });
}

const refused = (type: FailureType, details: unknown[] = []) =>
  new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type, message: 'refused by the entity', details, nonRetryable: true }));

const answer = (err: unknown) => {
  const http = fromTemporal(err, "cluster 'web'");
  return http && { status: http.status, code: http.code, message: http.message, details: http.details };
};

describe('fromTemporal', () => {
  it("keeps an entity's refusal of an update: invalid with the fields at fault, not found, conflict", () => {
    const problems = [{ path: ['nodePools', 0, 'count'], message: 'must be at least 0' }];
    expect(answer(refused(FailureType.invalid, [problems]))).toEqual({
      status: 400,
      code: 'invalid_request',
      message: 'refused by the entity: nodePools[0].count: must be at least 0',
      details: [{ field: 'nodePools[0].count', path: ['nodePools', 0, 'count'], message: 'must be at least 0' }],
    });
    expect(answer(refused(FailureType.notFound))).toMatchObject({ status: 404, code: 'not_found', message: 'refused by the entity' });
    expect(answer(refused(FailureType.conflict))).toMatchObject({ status: 409, code: 'conflict', message: 'refused by the entity' });
  });

  it('names the resource for an absent workflow, a taken ID and an update to a finished one', () => {
    expect(answer(new WorkflowNotFoundError('not found', 'cluster/acme/web', undefined))).toMatchObject({ status: 404, message: "cluster 'web' not found" });
    expect(answer(new WorkflowExecutionAlreadyStartedError('started', 'cluster/acme/web', 'clusterWorkflow'))).toMatchObject({ status: 409, message: "cluster 'web' already exists" });
    expect(answer(new ServiceError('update failed', { cause: grpcError(GrpcStatus.NOT_FOUND) }))).toMatchObject({ status: 404 });
  });

  it('answers 503 for an unreachable or busy Temporal, wrapped by the SDK or raw from gRPC', () => {
    expect(answer(new ServiceError('unavailable', { cause: grpcError(GrpcStatus.UNAVAILABLE) }))).toMatchObject({ status: 503, code: 'unavailable' });
    expect(answer(grpcError(GrpcStatus.UNAVAILABLE))).toMatchObject({ status: 503, code: 'unavailable' });
    expect(answer(grpcError(GrpcStatus.DEADLINE_EXCEEDED))).toMatchObject({ status: 503, message: expect.stringContaining("cluster 'web' did not answer in time") });
  });

  it('leaves everything else to the caller', () => {
    expect(fromTemporal(new Error('a bug'), 'x')).toBeUndefined();
    expect(fromTemporal(grpcError(GrpcStatus.INTERNAL), 'x')).toBeUndefined();
    expect(fromTemporal(refused(FailureType.stepFailed), 'x')).toBeUndefined();
  });
});

describe('askTemporal', () => {
  it("passes the answer through, maps Temporal's errors and rethrows others as they are", async () => {
    await expect(askTemporal('x', async () => 42)).resolves.toBe(42);
    await expect(askTemporal("cluster 'web'", () => Promise.reject(new WorkflowNotFoundError('nf', 'w', undefined)))).rejects.toMatchObject({ status: 404 });
    const bug = new TypeError('a bug');
    await expect(askTemporal('x', () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
