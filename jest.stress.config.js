/**
 * `npm run test:stress`: the long attack and load suites under test/stress/, kept out of
 * `npm test` so that it stays short on a busy machine. `.ci/run` runs both.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/stress'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 900_000,
  // One suite at a time: each of them loads the machine on its own.
  maxWorkers: 1,
};
