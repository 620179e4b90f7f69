import { readStatus, targetStatus, valuesDigest, type ReleaseRead } from '../../src/domain/deployment.js';

// A reconcile pass reads each cluster once and hands every deployment digests, not values: the
// verdicts must be those of a per-target read (targetStatus) of the same release.
describe('a pass read per cluster', () => {
  const read = (values: Record<string, unknown>, extra: Partial<ReleaseRead> = {}): ReleaseRead => ({ status: 'deployed', chartVersion: '0.1.0', revision: 3, valuesDigest: valuesDigest(values), ...extra });

  it('digests values equal exactly when they are the same values, whatever the key order', () => {
    expect(valuesDigest({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(valuesDigest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(valuesDigest({ a: 1 })).not.toBe(valuesDigest({ a: '1' }));
    expect(valuesDigest({ list: [1, 2] })).not.toBe(valuesDigest({ list: [2, 1] }));
    expect(valuesDigest({})).not.toBe(valuesDigest({ a: null }));
    // Close strings differ: the digest is over the whole canonical text.
    expect(valuesDigest({ message: 'rel-001' })).not.toBe(valuesDigest({ message: 'rel-010' }));
  });

  it('gives the verdict a per-target read gives', () => {
    const desired = { values: { message: 'hi' }, chartVersion: '0.1.0' };
    const cases: [ReleaseRead | null, Parameters<typeof targetStatus>[0]][] = [
      [read({ message: 'hi' }), { status: 'deployed', chartVersion: '0.1.0', revision: 3, values: { message: 'hi' } }],
      [read({ message: 'by hand' }), { status: 'deployed', chartVersion: '0.1.0', revision: 3, values: { message: 'by hand' } }],
      [read({ message: 'hi' }, { chartVersion: '0.2.0' }), { status: 'deployed', chartVersion: '0.2.0', revision: 3, values: { message: 'hi' } }],
      [read({ message: 'hi' }, { status: 'failed' }), { status: 'failed', chartVersion: '0.1.0', revision: 3, values: { message: 'hi' } }],
      [read({ message: 'hi' }, { status: 'pending-upgrade' }), { status: 'pending-upgrade', chartVersion: '0.1.0', revision: 3, values: { message: 'hi' } }],
      [null, undefined],
    ];
    for (const [byCluster, byTarget] of cases) expect(readStatus(byCluster, desired)).toEqual(targetStatus(byTarget, desired));
  });

  it('makes a release whose live objects drifted STALE with the reason, once Helm’s record is as it should be', () => {
    const desired = { values: { message: 'hi' } };
    expect(readStatus(read({ message: 'hi' }, { liveDrift: 'ConfigMap apps/web-config deleted' }), desired)).toEqual({ status: 'STALE', stale: true, reason: 'ConfigMap apps/web-config deleted' });
    expect(readStatus(read({ message: 'other' }, { liveDrift: 'ConfigMap apps/web-config deleted' }), desired).reason).toBe('values differ from the desired values');
  });
});
