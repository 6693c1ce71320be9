/** Jest 30 + ts-jest in ESM mode (run under NODE_OPTIONS=--experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }]
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Own HOME, TMPDIR, RUNNER_TEMP and tool cache for the whole run, removed afterwards (test/hermetic/).
  globalSetup: '<rootDir>/test/hermetic/setup.mjs',
  globalTeardown: '<rootDir>/test/hermetic/teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2
};
