/** `npm run test:stress`: the long load suites of test/stress (not part of `npm test`). */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/stress/**/*.test.ts'],
  testTimeout: 900_000,
  // One suite at a time: each loads the machine on its own.
  maxWorkers: 1,
};
