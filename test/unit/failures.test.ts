import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { causeChain, failureOfType, rootMessage } from '../../src/domain/failures.js';
import { FailureType } from '../../src/domain/problems.js';

// What Temporal hands a workflow when a child's activity failed: the child's failure around the activity's.
const cloud = ApplicationFailure.create({ type: FailureType.clusterUnreachable, message: 'cluster unreachable: connect ECONNREFUSED 127.0.0.1:1' });
const activity = new ActivityFailure('Activity task failed', 'helmApply', 'a1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker', cloud);
const step = ApplicationFailure.create({ type: FailureType.stepFailed, message: 'deploy failed', details: [[{ name: 'deploy' }]], cause: activity });
const child = new ChildWorkflowFailure('default', { workflowId: 'w', runId: 'r' }, 'provision', RetryState.NON_RETRYABLE_FAILURE, step);

describe('a failure cause chain', () => {
  it('is walked outermost first', () => {
    expect(causeChain(child)).toEqual([child, step, activity, cloud]);
    expect(causeChain('not an error')).toEqual([]);
  });

  it('ends in the innermost message: the cloud’s words', () => {
    expect(rootMessage(child)).toBe('cluster unreachable: connect ECONNREFUSED 127.0.0.1:1');
    expect(rootMessage(new Error('', { cause: new Error('') }))).toBe('Error');
    expect(rootMessage('plain')).toBe('plain');
  });

  it('finds a failure by its type wherever Temporal wrapped it', () => {
    expect(failureOfType(child, FailureType.clusterUnreachable)).toBe(cloud);
    expect(failureOfType(child, FailureType.stepFailed)?.details?.[0]).toEqual([{ name: 'deploy' }]);
    expect(failureOfType(activity, FailureType.stepFailed)).toBeUndefined();
    // Something else with a `type` (an express body-parser error) is no ApplicationFailure.
    expect(failureOfType(Object.assign(new Error('x'), { type: FailureType.stepFailed }), FailureType.stepFailed)).toBeUndefined();
  });

  it('stops on a cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as Error & { cause?: unknown }).cause = b;
    expect(causeChain(a).length).toBe(32);
  });
});
