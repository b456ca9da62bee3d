/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  // Node's, printing what a test's apps logged only when the test fails.
  testEnvironment: '<rootDir>/test/print-logs-on-failure.environment.ts',
  roots: [
    '<rootDir>/apps',
    '<rootDir>/libs',
    '<rootDir>/migrations',
    '<rootDir>/test',
    '<rootDir>/docker',
  ],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  moduleNameMapper: {
    '^@app/mle(|/.*)$': '<rootDir>/libs/mle/src$1',
    // A plug-in is imported by its folder's name only (its public face).
    '^@app/([^/]+)$': '<rootDir>/libs/$1/src',
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
