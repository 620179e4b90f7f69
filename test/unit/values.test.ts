import { mergeValues } from '../../src/domain/values.js';

describe('mergeValues', () => {
  it('merges maps recursively; scalars and lists replace', () => {
    const base = { image: { repository: 'nginx', tag: '1.25' }, replicas: 2, ports: [80, 443], env: { A: '1' } };
    const override = { image: { tag: '1.27' }, ports: [8080], env: { B: '2' }, extra: { on: true } };
    expect(mergeValues(base, override)).toEqual({
      image: { repository: 'nginx', tag: '1.27' },
      replicas: 2,
      ports: [8080],
      env: { A: '1', B: '2' },
      extra: { on: true },
    });
  });

  it('lets an override replace a map with a scalar and the other way round', () => {
    expect(mergeValues({ a: { b: 1 } }, { a: 'flat' })).toEqual({ a: 'flat' });
    expect(mergeValues({ a: 'flat' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(mergeValues({ a: 1 }, { a: null })).toEqual({ a: null });
  });

  it('changes neither input', () => {
    const base = { a: { b: { c: 1 } } };
    const override = { a: { b: { d: [1] } } };
    const merged = mergeValues(base, override);
    (merged.a as any).b.d.push(2);
    expect(base).toEqual({ a: { b: { c: 1 } } });
    expect(override).toEqual({ a: { b: { d: [1] } } });
    expect(mergeValues(base, undefined)).toEqual(base);
  });
});
