import { renderTemplates, templateProblems, type TemplateCluster } from '../../src/domain/value-templates.js';

const cluster: TemplateCluster = {
  name: 'east-1',
  provider: 'kwok',
  region: 'local',
  kubernetesVersion: '1.37.2',
  labels: { tier: 'gold', 'topology.kubernetes.io/zone': 'a' },
};

describe('templated values', () => {
  test('fills every placeholder per cluster, in strings at any depth, keys untouched', () => {
    const values = {
      conf: { join: '${cluster.name}.${cluster.region}.svc', version: 'v${cluster.kubernetesVersion}' },
      args: ['--provider=${cluster.provider}', '--tier=${cluster.labels.tier}', 7, true, null],
      zone: '${cluster.labels.topology.kubernetes.io/zone}',
      '${cluster.name}': 'the key stays',
    };
    expect(renderTemplates(values, cluster)).toEqual({
      values: {
        conf: { join: 'east-1.local.svc', version: 'v1.37.2' },
        args: ['--provider=kwok', '--tier=gold', 7, true, null],
        zone: 'a',
        '${cluster.name}': 'the key stays',
      },
    });
    expect(templateProblems(values, ['values'])).toEqual([]);
  });

  test("leaves Helm's {{ }} alone and writes $${ as a literal ${", () => {
    const values = { tpl: '{{ .Release.Name }}-${cluster.name}', shell: 'echo $${HOME} for ${cluster.name}' };
    expect(renderTemplates(values, cluster)).toEqual({ values: { tpl: '{{ .Release.Name }}-east-1', shell: 'echo ${HOME} for east-1' } });
    expect(templateProblems(values, ['values'])).toEqual([]);
  });

  test('an unknown placeholder is a problem at its path, never an empty string', () => {
    const values = { a: { b: ['ok', 'x-${cluster.nmae}'] }, c: '${process.env.HOME}', d: '${cluster.labels.}', e: 'open ${cluster.name' };
    expect(templateProblems(values, ['values'])).toEqual([
      { path: ['values', 'a', 'b', 1], message: expect.stringContaining('unknown placeholder ${cluster.nmae}') },
      { path: ['values', 'c'], message: expect.stringContaining('unknown placeholder ${process.env.HOME}') },
      { path: ['values', 'd'], message: expect.stringContaining('unknown placeholder ${cluster.labels.}') },
      { path: ['values', 'e'], message: 'a ${ without its closing }' },
    ]);
  });

  test('a label the target lacks fails that target, naming the cluster and the label', () => {
    expect(renderTemplates({ team: '${cluster.labels.team}' }, cluster)).toEqual({
      problems: [{ path: ['team'], message: 'cluster east-1 has no label team' }],
    });
  });

  test('the inputs are not changed', () => {
    const values = { name: '${cluster.name}' };
    renderTemplates(values, cluster);
    expect(values).toEqual({ name: '${cluster.name}' });
  });
});
