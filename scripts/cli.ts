import { ConfigError } from '../src/config.ts';
import { DatabaseUnavailableError } from '../src/db/database.ts';

/** A mistake in how a command was called: one line on stderr and exit status 2. */
export class UsageError extends Error {}

/**
 * Runs a command-line script: expected failures (bad arguments, environment, database) print
 * one clear line and exit 2; anything else prints its stack and exits 1.
 */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof UsageError || error instanceof ConfigError || error instanceof DatabaseUnavailableError) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
