/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The long attack and load suites run with `npm run test:stress` (jest.stress.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/stress/'],
  // The .ts import specifiers stay as they are (Jest resolves them); only the build rewrites them to .js.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { rewriteRelativeImportExtensions: false } }] },
  // Generous: the suite must pass on a small machine that something else keeps busy.
  testTimeout: 180_000,
  // Each test file starts its own database (a PGlite or a new database on the server).
  maxWorkers: 2,
};
