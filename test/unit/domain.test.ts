import { clusterView, type ClusterState } from '../../src/domain/cluster-state.js';
import { PROVIDERS, withDefaults, type ClusterRef, type NodePoolSpec } from '../../src/domain/cluster.js';
import { sameTargets } from '../../src/domain/deployment.js';
import { clusterOperationId, clusterWorkflowId, handedOverOperationId, nodePoolWorkflowId, parseOperationId, REQUEST_ID_PATTERN } from '../../src/domain/ids.js';
import { dnsLabelProblem, labelKeyProblem, labelValueProblem } from '../../src/domain/names.js';
import { formatPath } from '../../src/domain/problems.js';
import { applyNodePoolChanges, clusterRequestProblems, nodePoolProblems } from '../../src/domain/validation.js';
import { toolPaths } from '../../src/toolchain.js';

const pool = (over: Partial<NodePoolSpec> = {}): NodePoolSpec => ({ name: 'web', instanceType: 'standard-2', count: 2, ...over });
const paths = (problems: { path: (string | number)[] }[]) => problems.map((p) => formatPath(p.path));

describe('names', () => {
  it.each(['a', 'web-1', 'x'.repeat(63)])('accepts DNS label %s', (name) => expect(dnsLabelProblem(name)).toBeUndefined());
  it.each(['', 'Web', '-a', 'a-', 'a_b', 'a.b', 'x'.repeat(64), '../etc'])('rejects %j', (name) => expect(dnsLabelProblem(name)).toBeDefined());

  it('checks label keys with and without a prefix', () => {
    expect(labelKeyProblem('app.kubernetes.io/name')).toBeUndefined();
    expect(labelKeyProblem('team')).toBeUndefined();
    expect(labelKeyProblem('Bad_Prefix/x')).toBeDefined();
    expect(labelKeyProblem('a/')).toBeDefined();
    expect(labelKeyProblem('-x')).toBeDefined();
  });

  it('checks label values', () => {
    expect(labelValueProblem('')).toBeUndefined();
    expect(labelValueProblem('v1.2_3')).toBeUndefined();
    expect(labelValueProblem('with space')).toBeDefined();
    expect(labelValueProblem('x'.repeat(64))).toBeDefined();
  });
});

describe('node pool validation', () => {
  it('accepts a valid pool', () => {
    expect(nodePoolProblems(pool({ minCount: 1, maxCount: 3, autoscaling: true, labels: { tier: 'web' } }), 'kwok')).toEqual([]);
  });

  it('names each problem by its field', () => {
    const problems = nodePoolProblems(
      pool({ name: 'Web', instanceType: 'm5.huge', count: 5, maxCount: 3, labels: { 'bad key!': 'v' }, taints: [{ key: 'ok', value: 'bad value', effect: 'NoSchedule' }] }),
      'kwok',
      ['nodePools', 1],
    );
    expect(paths(problems)).toEqual([
      'nodePools[1].name',
      'nodePools[1].count',
      'nodePools[1].labels["bad key!"]',
      'nodePools[1].taints[0].value',
    ]);
    expect(problems[1]!.message).toMatch(/within \[minCount, maxCount\]/);
  });

  it('needs bounds for autoscaling and orders them', () => {
    expect(paths(nodePoolProblems(pool({ autoscaling: true }), 'kwok'))).toEqual(['autoscaling']);
    expect(paths(nodePoolProblems(pool({ minCount: 4, maxCount: 3 }), 'kwok'))).toEqual(['minCount']);
    expect(paths(nodePoolProblems(pool({ count: 1, minCount: 2 }), 'kwok'))).toEqual(['count']);
  });

  it('caps pool size per provider', () => {
    expect(paths(nodePoolProblems(pool({ count: 101 }), 'kwok'))).toEqual(['count']);
    expect(nodePoolProblems(pool({ count: 101 }), 'sim')).toEqual([]);
  });

  it('keeps names a provider reserves for itself', () => {
    expect(paths(nodePoolProblems(pool({ name: 'flotilla-system', instanceType: 'e2-standard-2' }), 'gke'))).toEqual(['name']);
    expect(nodePoolProblems(pool({ name: 'flotilla-system' }), 'kwok')).toEqual([]);
  });

  it('finds duplicate pools in a cluster request', () => {
    const problems = clusterRequestProblems({ name: 'c1', provider: 'kwok', nodePools: [pool(), pool()] });
    expect(paths(problems)).toEqual(['nodePools[1].name']);
  });

  it('applies changes field by field, replacing labels and taints whole', () => {
    const before = pool({ labels: { a: '1', b: '2' }, minCount: 1, maxCount: 5 });
    const after = applyNodePoolChanges(before, { count: 4, labels: { c: '3' } });
    expect(after).toEqual({ ...before, count: 4, labels: { c: '3' } });
    expect(before.count).toBe(2);
  });
});

describe('ids', () => {
  it('makes readable workflow IDs', () => {
    expect(clusterWorkflowId('acme', 'prod')).toBe('cluster/acme/prod');
    expect(nodePoolWorkflowId('acme', 'prod', 'web', 'update', 'r1')).toBe('cluster/acme/prod/nodepool/web/update/r1');
  });

  it('round-trips operation IDs and rejects others', () => {
    expect(parseOperationId(clusterOperationId('prod-eu', 12))).toEqual({ kind: 'cluster', name: 'prod-eu' });
    expect(parseOperationId(handedOverOperationId('prod-eu', 'Scale:web.4'))).toEqual({ kind: 'cluster', name: 'prod-eu' });
    for (const bad of ['cluster.prod', 'cluster.Prod.1', 'cluster.prod.0', 'deployment.x.1', 'cluster.a.b.1', 'cluster.a.r.', 'cluster.a.r.-x', 'cluster.a.r.a/b', '../x']) {
      expect(parseOperationId(bad)).toBeUndefined();
    }
  });

  it('keeps idempotency keys tame', () => {
    expect(REQUEST_ID_PATTERN.test('9b2f0c2e-aaaa-4bbb-8ccc-123456789abc')).toBe(true);
    expect(REQUEST_ID_PATTERN.test('a/b')).toBe(false);
    expect(REQUEST_ID_PATTERN.test('x'.repeat(129))).toBe(false);
  });
});

describe('cluster view', () => {
  it('shows desired and current counts and the running operation', () => {
    const spec = withDefaults({ name: 'c1', provider: 'kwok', nodePools: [pool(), pool({ name: 'gpu', instanceType: 'gpu-8', count: 1 })] });
    expect(spec.region).toBe('local');
    const state: ClusterState = {
      org: 'acme',
      spec,
      status: 'UPDATING',
      currentCounts: { web: 1 },
      operations: [
        { id: 'cluster.c1.1', type: 'provision', state: 'SUCCEEDED', requestId: 'r1', workflowId: 'w1', steps: [], createdAt: 't' },
        {
          id: 'cluster.c1.2', type: 'updateNodePool', nodePool: pool(), state: 'RUNNING', requestId: 'r2', workflowId: 'w2', createdAt: 't',
          steps: [{ name: 'update node pool web', state: 'RUNNING', startedAt: 't' }],
        },
        { id: 'cluster.c1.3', type: 'removeNodePool', nodePool: { name: 'gpu' }, state: 'QUEUED', requestId: 'r3', workflowId: 'w3', steps: [], createdAt: 't' },
      ],
      nextSeq: 4,
      requests: {},
      createRequestId: 'r1',
      createdAt: 't',
      updatedAt: 't',
    };
    const view = clusterView(state);
    expect(view.nodePools.map((p) => [p.name, p.desiredCount, p.currentCount])).toEqual([['web', 2, 1], ['gpu', 1, null]]);
    expect(view.operation).toEqual({ id: 'cluster.c1.2', type: 'updateNodePool', state: 'RUNNING', workflowId: 'w2', currentStep: 'update node pool web' });
    expect(view.queuedOperations).toBe(1);
  });
});

describe('default Kubernetes versions', () => {
  it("KWOK's is the minor of the control plane it runs", () => {
    expect(toolPaths().kubernetesVersion).toMatch(new RegExp(`^v${PROVIDERS.kwok.defaultKubernetesVersion.replace('.', '\\.')}\\.`));
  });
});

describe('deployment targets', () => {
  const ref = (name: string, region = 'local'): ClusterRef => ({ org: 'acme', name, provider: 'kwok', region, kubernetesVersion: '1.32' });
  it('are the same in any order and with keys in any order', () => {
    const { org, ...rest } = ref('b');
    expect(sameTargets([ref('a'), ref('b')], [{ ...rest, org }, ref('a')])).toBe(true);
  });
  it('differ when a cluster joins, leaves or is described differently', () => {
    expect(sameTargets([ref('a')], [ref('a'), ref('b')])).toBe(false);
    expect(sameTargets([ref('a'), ref('b')], [ref('a')])).toBe(false);
    expect(sameTargets([ref('a')], [ref('a', 'eu-west-1')])).toBe(false);
  });
});
