/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The .ts import specifiers stay as they are (Jest resolves them); only the build rewrites them to .js.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { rewriteRelativeImportExtensions: false } }] },
  testTimeout: 60_000,
  // Each test file starts its own database (a PGlite or a new database on the server).
  maxWorkers: 2,
};
