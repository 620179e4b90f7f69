import { manifestWorkloads, workloadVerdict } from '../../src/adapters/helm/workload-health.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import { targetStatus } from '../../src/domain/deployment.js';
import type { TargetRecord } from '../../src/domain/groups.js';
import { actionRefusal, resolveWaves, startProgress, withRecordedHealth } from '../../src/domain/rollout.js';

const ref = (name: string, labels?: Record<string, string>): ClusterRef => ({ org: 'acme', name, provider: 'kwok', region: 'local', kubernetesVersion: '1.35', ...(labels ? { labels } : {}) });
const names = (waves: ClusterRef[][]) => waves.map((w) => w.map((t) => t.name));

describe('waves', () => {
  const targets = ['e', 'd', 'c', 'b', 'a'].map((n) => ref(n, n === 'd' ? { tier: 'gold' } : undefined));

  it('places each target in the first wave that names, selects or takes it; the rest form a last wave', () => {
    const waves = resolveWaves({ waves: [{ clusters: ['c', 'zz'] }, { selector: { matchLabels: { tier: 'gold' } } }, { percent: 20 }] }, targets);
    expect(names(waves)).toEqual([['c'], ['d'], ['a'], ['b', 'e']]);
  });

  it('drops empty waves; a share rounds up to at least one target', () => {
    expect(names(resolveWaves({ waves: [{ clusters: ['zz'] }, { percent: 1 }, { percent: 50 }] }, targets))).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    expect(names(resolveWaves({ waves: [{ percent: 100 }, { clusters: ['a'] }] }, targets))).toEqual([['a', 'b', 'c', 'd', 'e']]);
  });

  it('refuses actions that do not apply to the rollout as it stands', () => {
    const progress = startProgress([[ref('a')], [ref('b')]]);
    expect(actionRefusal(undefined, 'pause')).toBe('no rollout is running');
    expect(actionRefusal(progress, 'approve')).toBe('the rollout is not waiting for approval');
    expect(actionRefusal(progress, 'resume')).toBe('the rollout is not paused');
    expect(actionRefusal(progress, 'pause')).toBeUndefined();
    expect(actionRefusal({ ...progress, aborted: true }, 'pause')).toBe('the rollout is being aborted');
  });
});

describe('health', () => {
  it('finds the workloads of a manifest, in their own namespace or the release one', () => {
    const manifest = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web',
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: jobs',
    ].join('\n---\n');
    expect(manifestWorkloads(manifest, 'apps')).toEqual([
      { kind: 'Deployment', name: 'web', namespace: 'apps' },
      { kind: 'Job', name: 'migrate', namespace: 'jobs' },
    ]);
  });

  it('judges workloads as helm --wait does: the new spec observed, replicas updated and available, jobs complete', () => {
    const deployment = (status: object, generation = 2) => workloadVerdict('Deployment', { metadata: { generation }, spec: { replicas: 2 }, status: { observedGeneration: 2, ...status } });
    expect(deployment({ updatedReplicas: 2, availableReplicas: 2 })).toEqual({ ready: true });
    expect(deployment({ updatedReplicas: 2, availableReplicas: 2 }, 3)).toEqual({ ready: false, reason: 'the new spec is not yet observed' });
    expect(deployment({ updatedReplicas: 1, availableReplicas: 2 })).toEqual({ ready: false, reason: '1 of 2 replicas updated' });
    // An upgrade whose new pods cannot run: the old ones still count as available, so those left over say it is not done.
    expect(deployment({ replicas: 3, updatedReplicas: 2, availableReplicas: 2 })).toEqual({ ready: false, reason: '1 old replicas pending termination' });
    expect(deployment({ conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet web-2 has timed out' }] })).toMatchObject({ failed: true });
    expect(deployment({ updatedReplicas: 2, availableReplicas: 1 })).toEqual({ ready: false, reason: '1 of 2 replicas available' });
    expect(workloadVerdict('StatefulSet', { spec: { replicas: 1 }, status: { updatedReplicas: 1, readyReplicas: 0 } })).toEqual({ ready: false, reason: '0 of 1 replicas available' });
    expect(workloadVerdict('DaemonSet', { status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } })).toEqual({ ready: true });
    expect(workloadVerdict('Job', { status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toEqual({ ready: true });
    expect(workloadVerdict('Job', { status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] } })).toEqual({ ready: false, failed: true, reason: 'failed: BackoffLimitExceeded' });
  });

  it("maps Helm's superseded, uninstalling and uninstalled states instead of reading them as deployed", () => {
    const observed = (status: string) => ({ status, chartVersion: '0.1.0', revision: 2, values: {} });
    expect(targetStatus(observed('uninstalling'), { values: {} }).status).toBe('UNINSTALLING');
    expect(targetStatus(observed('superseded'), { values: {} }).status).toBe('STALE');
    expect(targetStatus(observed('uninstalled'), { values: {} }).status).toBe('NOT_INSTALLED');
    expect(targetStatus(observed('deployed'), { values: {} }).status).toBe('DEPLOYED');
  });

  it('tells a live DEPLOYED read with the health the entity saw for that revision', () => {
    const record = (status: TargetRecord['status'], revision: number): TargetRecord => ({ clusterName: 'a', provider: 'kwok', status, stale: false, revision, lastCheckedAt: 't' });
    expect(withRecordedHealth(record('DEPLOYED', 2), { ...record('DEGRADED', 2), message: 'pod x FailedScheduling' })).toMatchObject({ status: 'DEGRADED', message: 'pod x FailedScheduling' });
    expect(withRecordedHealth(record('DEPLOYED', 3), record('DEGRADED', 2)).status).toBe('DEPLOYED');
    expect(withRecordedHealth(record('STALE', 2), record('PROGRESSING', 2)).status).toBe('STALE');
  });
});
