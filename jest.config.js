/** Jest, ESM, TypeScript through SWC; one Temporal dev server for the whole run (test/setup). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    // keepImportAttributes: Jest's ESM loader wants `with { type: 'json' }` (the catalogue's data files).
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' }, experimental: { keepImportAttributes: true } }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Crashes and restarts take minutes: `npm run test:chaos` runs them (jest.chaos.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/'],
  // The history scan runs after every other suite (test/setup/sequencer.mjs).
  testSequencer: '<rootDir>/test/setup/sequencer.mjs',
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  // Tests reach loopback only: a connection anywhere else throws (test/setup/loopback-only.cjs).
  setupFiles: ['<rootDir>/test/setup/loopback-only.cjs'],
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  // `npm test` ends with every stage's counts (test/setup/tally-reporter.cjs).
  reporters: ['default', '<rootDir>/test/setup/tally-reporter.cjs'],
  testTimeout: 180_000,
  // Suites share one dev server and start workers on the same task queues: one at a time.
  maxWorkers: 1,
};
