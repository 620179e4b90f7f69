import base from './jest.config.js';

/** `npm run test:chaos`: the chaos suite (test/chaos), on the same setup as `npm test`, then the history scan of what it left (last, by the base's sequencer). */
export default {
  ...base,
  testMatch: ['<rootDir>/test/chaos/**/*.test.ts', '<rootDir>/test/zz-history/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
