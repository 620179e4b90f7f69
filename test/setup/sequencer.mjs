// Jest's own order (slowest and failed first), with the history scan
// (test/zz-history) moved to the end: it checks what every other suite left
// in the shared Temporal's histories. The main, chaos and PostgreSQL stages
// all end with it.
import sequencer from '@jest/test-sequencer';

const DefaultSequencer = sequencer.default ?? sequencer;
const runsLast = (test) => test.path.includes('/test/zz-history/');

export default class HistoryScanLast extends DefaultSequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    return [...sorted.filter((t) => !runsLast(t)), ...sorted.filter(runsLast)];
  }
}
