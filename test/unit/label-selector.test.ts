import { formatRequirement, matches, parseSelector, selectorRequirements, type Requirement } from '../../src/domain/label-selector.js';

function parsed(text: string): Requirement[] {
  const result = parseSelector(text);
  if ('problem' in result) throw new Error(`${text}: ${result.problem}`);
  return result.requirements;
}

function problem(text: string): string {
  const result = parseSelector(text);
  if (!('problem' in result)) throw new Error(`${text} parsed as ${JSON.stringify(result.requirements)}`);
  return result.problem;
}

describe('label selectors in kubectl syntax', () => {
  test('reads every requirement form Kubernetes has for labels', () => {
    expect(parsed('tier=gold, env in (prod, stage),!canary,team,zone!=b,app==web,x notin (a)')).toEqual([
      { key: 'tier', operator: 'In', values: ['gold'] },
      { key: 'env', operator: 'In', values: ['prod', 'stage'] },
      { key: 'canary', operator: 'DoesNotExist', values: [] },
      { key: 'team', operator: 'Exists', values: [] },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
      { key: 'app', operator: 'In', values: ['web'] },
      { key: 'x', operator: 'NotIn', values: ['a'] },
    ]);
    expect(parsed('flotilla.io/provider=kwok')).toEqual([{ key: 'flotilla.io/provider', operator: 'In', values: ['kwok'] }]);
    expect(parsed('env=')).toEqual([{ key: 'env', operator: 'In', values: [''] }]);
    expect(parsed('')).toEqual([]);
  });

  test('matches as Kubernetes does: != and notin select clusters without the key', () => {
    const gold = { tier: 'gold', env: 'prod' };
    const bare = {};
    expect(matches(gold, parsed('tier=gold,env in (prod,stage)'))).toBe(true);
    expect(matches(gold, parsed('tier=gold,env in (stage)'))).toBe(false);
    expect(matches(gold, parsed('!canary'))).toBe(true);
    expect(matches({ ...gold, canary: '' }, parsed('!canary'))).toBe(false);
    expect(matches(bare, parsed('tier!=gold'))).toBe(true);
    expect(matches(gold, parsed('tier!=gold'))).toBe(false);
    expect(matches(bare, parsed('env notin (prod)'))).toBe(true);
    expect(matches(bare, parsed('tier'))).toBe(false);
    expect(matches(bare, parsed(''))).toBe(true);
  });

  test.each([
    ['tier=gold,', 'a selector cannot end with a comma'],
    ['tier=gold env=prod', "expected ',' between requirements"],
    ['env in (prod', "expected ',' or ')' in the set of env"],
    ['env in ()', 'In needs at least one value'],
    ['!', "'!' must be followed by a label key"],
    ['-bad=x', 'label key name must be'],
    ['tier=gold!', "expected ',' between requirements"],
    ['tier>3', 'the comparison tier > … is not supported'],
    ['tier=(gold)', "expected ',' between requirements, found \"(\""],
  ])('%j is refused: %s', (text, message) => {
    expect(problem(text)).toContain(message);
  });

  test('the string form round-trips through formatRequirement', () => {
    const text = 'tier=gold,env in (prod,stage),!canary,team,zone!=b,x notin (a,b)';
    expect(parsed(text).map(formatRequirement).join(',')).toBe(text);
  });
});

describe('label selector objects', () => {
  test('matchLabels and matchExpressions become one list of requirements', () => {
    expect(selectorRequirements({ matchLabels: { tier: 'gold' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] })).toEqual({
      requirements: [
        { key: 'tier', operator: 'In', values: ['gold'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
      ],
    });
  });

  test('problems name the field', () => {
    const result = selectorRequirements(
      {
        matchLabels: { 'bad key': 'x' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: [] },
          { key: 'team', operator: 'Exists', values: ['x'] },
          { key: 'zone', operator: 'In', values: ['not valid!'] },
        ],
      },
      ['selector'],
    );
    expect(result).toEqual({
      problems: [
        { path: ['selector', 'matchLabels', 'bad key'], message: expect.stringContaining('label key name') },
        { path: ['selector', 'matchExpressions', 0, 'values'], message: 'In needs at least one value' },
        { path: ['selector', 'matchExpressions', 1, 'values'], message: 'Exists takes no values' },
        { path: ['selector', 'matchExpressions', 2, 'values', 0], message: expect.stringContaining('label value') },
      ],
    });
  });
});
