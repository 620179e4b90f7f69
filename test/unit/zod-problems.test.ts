import { zodProblems } from '../../src/api/errors.js';
import { Rollout } from '../../src/api/schemas.js';

// A 400 names the field that is wrong. A rollout wave is a union of three forms; a value none of
// them takes is named by the form it is closest to, not as the whole wave.
const problemsOf = (waves: unknown[]) => {
  const parsed = Rollout.safeParse({ waves });
  if (parsed.success) throw new Error(`${JSON.stringify(waves)} was taken`);
  return zodProblems(parsed.error, 'rollout').map((p) => p.path.join('.'));
};

it.each([
  [[{ clusters: [null] }], ['rollout.waves.0.clusters.0']],
  [[{}], ['rollout.waves.0.clusters']],
  [[{ percent: 500 }], ['rollout.waves.0.percent']],
  [[{ selector: { matchLabels: { 'bad key': 'x' } } }], ['rollout.waves.0.selector.matchLabels.bad key']],
  [[{ clusters: ['east'], percent: 5 }], ['rollout.waves.0']],
  [[42], ['rollout.waves.0']],
])('%j is named at %j', (waves, paths) => {
  expect(problemsOf(waves)).toEqual(paths);
});
