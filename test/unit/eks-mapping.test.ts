import { ApplicationFailure } from '@temporalio/common';
import { awsFailure, deleted } from '../../src/adapters/providers/eks/errors.js';
import { autoscalerTagChanges, labelAndTaintChanges, scalingConfig } from '../../src/adapters/providers/eks/nodegroups.js';
import { autoscalerTags } from '../../src/adapters/providers/eks/tags.js';
import { clusterAutoscalerChange } from '../../src/domain/cluster-autoscaler.js';
import type { ClusterSpec } from '../../src/domain/cluster.js';
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

  it('leaves an autoscaled node group at the size the autoscaler gave it, within the new bounds', () => {
    const pool = { name: 'a', instanceType: 'm5.large', count: 2, minCount: 1, maxCount: 5, autoscaling: true };
    expect(scalingConfig(pool, { minSize: 1, maxSize: 5, desiredSize: 4 })).toEqual({ minSize: 1, maxSize: 5, desiredSize: 4 });
    expect(scalingConfig({ ...pool, maxCount: 3 }, { minSize: 1, maxSize: 5, desiredSize: 4 })).toEqual({ minSize: 1, maxSize: 3, desiredSize: 3 });
    expect(scalingConfig({ ...pool, minCount: 2 }, { minSize: 0, maxSize: 5, desiredSize: 0 })).toEqual({ minSize: 2, maxSize: 5, desiredSize: 2 });
    // Autoscaling turned off: the requested count again.
    expect(scalingConfig({ ...pool, autoscaling: false }, { minSize: 1, maxSize: 5, desiredSize: 4 })).toEqual({ minSize: 2, maxSize: 2, desiredSize: 2 });
  });

  it('tags the node group of an autoscaled pool for the autoscaler’s auto-discovery, and untags it when it no longer is', () => {
    const wanted = autoscalerTags({ org: 'acme', name: 'prod' });
    expect(wanted).toEqual({ 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/acme-prod': 'owned' });
    const pool = { name: 'a', instanceType: 'm5.large', count: 1, minCount: 0, maxCount: 3, autoscaling: true };
    expect(autoscalerTagChanges({ tags: { 'flotilla.io/cluster': 'acme/prod' } }, pool, wanted)).toEqual({ add: wanted });
    expect(autoscalerTagChanges({ tags: { ...wanted, other: 'x' } }, pool, wanted)).toEqual({});
    expect(autoscalerTagChanges({ tags: { ...wanted, other: 'x' } }, { ...pool, autoscaling: false }, wanted)).toEqual({ remove: Object.keys(wanted) });
    expect(autoscalerTagChanges({ tags: { other: 'x' } }, { ...pool, autoscaling: false }, wanted)).toEqual({});
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

describe('the cluster-autoscaler Flotilla installs', () => {
  const spec = (provider: ClusterSpec['provider'], autoscaling: boolean[]): ClusterSpec => ({
    name: 'c',
    provider,
    region: 'r',
    kubernetesVersion: '1.35',
    nodePools: autoscaling.map((on, i) => ({ name: `p${i}`, instanceType: 'm5.large', count: 1, ...(on ? { minCount: 1, maxCount: 3, autoscaling: true } : {}) })),
  });

  it('comes with the first autoscaled pool of an EKS cluster and goes with the last', () => {
    expect(clusterAutoscalerChange(spec('eks', [false, true]), false)).toBe('install');
    expect(clusterAutoscalerChange(spec('eks', [true, true]), true)).toBeUndefined();
    expect(clusterAutoscalerChange(spec('eks', [false]), true)).toBe('remove');
    expect(clusterAutoscalerChange(spec('eks', []), false)).toBeUndefined();
  });

  it('is never installed where the cloud scales pools itself, or nothing does', () => {
    for (const provider of ['gke', 'aks', 'kwok', 'sim'] as const) expect(clusterAutoscalerChange(spec(provider, [true]), false)).toBeUndefined();
  });
});
