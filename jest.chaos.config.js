import base from './jest.config.js';

/** `npm run test:chaos`: the chaos suite alone (test/chaos), on the same setup as `npm test`. */
export default {
  ...base,
  testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
