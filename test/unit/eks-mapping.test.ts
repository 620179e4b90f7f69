import { ApplicationFailure } from '@temporalio/common';
import { awsFailure, deleted } from '../../src/adapters/providers/eks/errors.js';
import { labelAndTaintChanges, scalingConfig } from '../../src/adapters/providers/eks/nodegroups.js';
import { FailureType } from '../../src/domain/problems.js';

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('EKS error mapping', () => {
  it('fails fast on client errors, with AWS’s own message', async () => {
    const err = awsFailure(awsError('InvalidParameterException', 'unsupported Kubernetes version 1.10'));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureType.nonRetryableCloud, nonRetryable: true, message: 'InvalidParameterException: unsupported Kubernetes version 1.10' });
  });

  it('leaves throttling and server errors to the retry policy', async () => {
    const throttled = awsError('ThrottlingException', 'Rate exceeded');
    expect(awsFailure(throttled)).toBe(throttled);
  });

  it('counts "not found" on delete as done', async () => {
    await expect(deleted(() => Promise.reject(awsError('ResourceNotFoundException', 'No cluster found')))).resolves.toBeUndefined();
    await expect(deleted(() => Promise.reject(awsError('InvalidVpcID.NotFound', 'gone')))).resolves.toBeUndefined();
    await expect(deleted(() => Promise.reject(awsError('ResourceInUseException', 'has node groups')))).rejects.toMatchObject({ name: 'ResourceInUseException' });
  });
});

describe('EKS node group mapping', () => {
  it('makes a fixed pool min = max = desired, and keeps max ≥ 1', () => {
    expect(scalingConfig({ name: 'a', instanceType: 'm5.large', count: 3 })).toEqual({ minSize: 3, maxSize: 3, desiredSize: 3 });
    expect(scalingConfig({ name: 'a', instanceType: 'm5.large', count: 0 })).toEqual({ minSize: 0, maxSize: 1, desiredSize: 0 });
    expect(scalingConfig({ name: 'a', instanceType: 'm5.large', count: 2, minCount: 1, maxCount: 5, autoscaling: true })).toEqual({ minSize: 1, maxSize: 5, desiredSize: 2 });
  });

  it('computes label and taint changes against what the node group has', () => {
    const changes = labelAndTaintChanges(
      { labels: { keep: '1', drop: '2', change: 'old' }, taints: [{ key: 'gone', effect: 'NO_SCHEDULE' }, { key: 'stay', value: 'v', effect: 'NO_EXECUTE' }] },
      { name: 'a', instanceType: 'm5.large', count: 1, labels: { keep: '1', change: 'new', add: '3' }, taints: [{ key: 'stay', value: 'v', effect: 'NoExecute' }, { key: 'new', effect: 'PreferNoSchedule' }] },
    );
    expect(changes).toEqual({
      labels: { addOrUpdateLabels: { change: 'new', add: '3' }, removeLabels: ['drop'] },
      taints: { addOrUpdateTaints: [{ key: 'new', effect: 'PREFER_NO_SCHEDULE' }], removeTaints: [{ key: 'gone', effect: 'NO_SCHEDULE' }] },
    });
    expect(labelAndTaintChanges({ labels: { a: '1' } }, { name: 'a', instanceType: 'm5.large', count: 1, labels: { a: '1' } })).toEqual({});
  });
});
