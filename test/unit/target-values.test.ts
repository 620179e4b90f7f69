import { DeploymentCreate, DeploymentEdit } from '../../src/api/schemas.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import { formatPath } from '../../src/domain/problems.js';
import { mergedValuesFor, specValuesProblems, targetValues, type ValuesSpec } from '../../src/domain/target-values.js';

const east: ClusterRef = { org: 'acme', name: 'east', provider: 'eks', region: 'us-east-1', kubernetesVersion: '1.35', labels: { tier: 'gold', env: 'prod' } };
const west: ClusterRef = { org: 'acme', name: 'west', provider: 'gke', region: 'us-central1', kubernetesVersion: '1.34', labels: { tier: 'silver' } };

describe('a target’s values: values, then selector overrides in order, then the per-name override, then templates', () => {
  const spec: ValuesSpec = {
    values: { message: 'base', layer: ['values'], image: { tag: '1.0', pull: 'Always' } },
    valueOverridesBySelector: [
      { selector: { matchLabels: { tier: 'gold' } }, values: { message: 'gold', layer: ['gold'], image: { tag: '2.0' } } },
      { selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, values: { message: 'prod', layer: ['prod'] } },
      { selector: { matchLabels: { 'flotilla.io/provider': 'gke' } }, values: { message: 'on gke' } },
    ],
    valueOverrides: { east: { message: 'east by name' }, mars: { message: 'not a member yet' } },
  };

  it('applies every matching selector override in order, the name override after them', () => {
    expect(mergedValuesFor(spec, east)).toEqual({ message: 'east by name', layer: ['prod'], image: { tag: '2.0', pull: 'Always' } });
    // west: only the provider selector (a system label) matches; no name override.
    expect(mergedValuesFor(spec, west)).toEqual({ message: 'on gke', layer: ['values'], image: { tag: '1.0', pull: 'Always' } });
    // Later selector overrides win over earlier ones.
    expect(mergedValuesFor({ ...spec, valueOverrides: {} }, east).message).toBe('prod');
  });

  it('a per-name override for a cluster that is not a member yet applies when it joins', () => {
    const mars: ClusterRef = { org: 'acme', name: 'mars', provider: 'kwok', region: 'local', kubernetesVersion: '1.37' };
    expect(mergedValuesFor(spec, mars).message).toBe('not a member yet');
  });

  it('fills placeholders after merging, with each cluster’s own name, provider, region, version and labels', () => {
    const templated: ValuesSpec = {
      values: { join: '${cluster.name}.db.svc', where: '${cluster.provider}/${cluster.region}', k8s: '${cluster.kubernetesVersion}', tpl: '{{ .Release.Name }}', literal: '$${cluster.name}' },
      valueOverridesBySelector: [{ selector: { matchLabels: { tier: 'gold' } }, values: { tier: 'gold:${cluster.labels.tier}' } }],
      valueOverrides: { west: { tier: '${cluster.labels.tier} (${cluster.labels.flotilla.io/name})' } },
    };
    expect(targetValues(templated, east)).toEqual({
      values: { join: 'east.db.svc', where: 'eks/us-east-1', k8s: '1.35', tpl: '{{ .Release.Name }}', literal: '${cluster.name}', tier: 'gold:gold' },
    });
    expect(targetValues(templated, west)).toEqual({
      values: { join: 'west.db.svc', where: 'gke/us-central1', k8s: '1.34', tpl: '{{ .Release.Name }}', literal: '${cluster.name}', tier: 'silver (west)' },
    });
  });

  it('a label the cluster lacks is the target’s problem, never an empty string', () => {
    const result = targetValues({ values: { zone: '${cluster.labels.zone}' }, valueOverrides: {} }, east);
    expect(result).toEqual({ problems: [{ path: ['zone'], message: 'cluster east has no label zone' }] });
  });
});

describe('unknown placeholders and bad selectors are refused with their field paths', () => {
  const base = { chart: '/charts/hello', values: {}, valueOverrides: {} };
  const fields = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => result.error?.issues.map((i) => formatPath(i.path)).sort();

  it('in the domain rule the workflow validator runs', () => {
    const problems = specValuesProblems({
      values: { a: { b: ['ok ${cluster.name}', '${cluster.zone}'] } },
      valueOverridesBySelector: [{ selector: { matchLabels: { tier: 'gold' } }, values: { c: '${cluster.labels.}' } }],
      valueOverrides: { east: { d: '${oops' } },
    });
    expect(problems.map((p) => formatPath(p.path)).sort()).toEqual(['valueOverrides.east.d', 'valueOverridesBySelector[0].values.c', 'values.a.b[1]']);
  });

  it('at create', () => {
    const result = DeploymentCreate.safeParse({ ...base, values: { host: '${cluster.hostname}' }, valueOverrides: { east: { x: { y: '${cluster.labels.zone} ${nope}' } } } });
    expect(fields(result)).toEqual(['valueOverrides.east.x.y', 'values.host']);
    expect(result.error!.issues.find((i) => i.path[0] === 'values')!.message).toMatch(/^unknown placeholder \$\{cluster\.hostname\}/);
  });

  it('at edit, in selector overrides too', () => {
    const result = DeploymentEdit.safeParse({
      ...base,
      valueOverridesBySelector: [
        { selector: { matchLabels: { tier: 'gold' } }, values: { ok: '${cluster.labels.tier}' } },
        { selector: { matchLabels: { 'bad key!': 'x' } }, values: { no: '${cluster}' } },
        { selector: { matchExpressions: [{ key: 'env', operator: 'In', values: [] }] }, values: {} },
      ],
    });
    expect(fields(result)).toEqual(['valueOverridesBySelector[1].selector.matchLabels["bad key!"]', 'valueOverridesBySelector[1].values.no', 'valueOverridesBySelector[2].selector.matchExpressions[0].values']);
  });

  it('accepts Helm’s own {{ … }} and the $${ escape', () => {
    expect(DeploymentCreate.safeParse({ ...base, values: { a: '{{ include "x" . }}', b: '$${literal}' } }).success).toBe(true);
  });
});
