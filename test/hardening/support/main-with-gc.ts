// Test harness: src/main.ts with a way for the test to collect garbage before it reads the
// process's memory (SIGUSR2 → global.gc(), then "gc done" on stderr). Needs --expose-gc.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  process.stderr.write(gc ? 'gc done\n' : 'gc unavailable\n');
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../../src/main.ts');
