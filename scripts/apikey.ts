/**
 * npm run apikey -- create NAME | revoke PREFIX|NAME | list [--json]
 *
 * API keys for the GraphQL mutations (docs/mutations.md). Exit status: 0 done, 2 usage error
 * (or nothing to revoke) or unusable environment (configuration, database).
 */
import { Command, CommanderError } from 'commander';
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKeys, type ApiKeyInfo } from '../src/auth/api-keys.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { markKeysRevoked } from '../src/shared-state/api-key-cache.ts';
import { openSharedState } from '../src/shared-state/index.ts';
import { runCli, UsageError } from './cli.ts';

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase({
    url: config.DATABASE_URL,
    pgliteDir: config.pgliteDir,
    migrate: true,
    embeddedRole: 'cli',
  });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/**
 * With REDIS_URL, running instances remember which keys are valid in Redis: mark the revoked
 * ones invalid there at once. The revocation itself is stored already; without Redis at hand
 * the instances forget the key within a minute, which is said as a warning.
 */
async function evictFromSharedState(hashes: string[]): Promise<void> {
  const config = loadConfig();
  if (!config.REDIS_URL) return;
  const shared = openSharedState({ url: config.REDIS_URL, prefix: config.REDIS_KEY_PREFIX });
  try {
    if (!(await shared.ready(3000))) throw new Error('Redis did not answer within 3 s');
    await markKeysRevoked(shared, hashes);
  } catch (error) {
    process.stderr.write(
      `warning: the key is revoked, but Redis could not be told (${(error as Error).message}); running instances may count it as a key for up to a minute (mutations reject it at once)\n`,
    );
  } finally {
    await shared.close();
  }
}

const day = (d: Date | null): string => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(keys: ApiKeyInfo[]): string {
  const header = ['PREFIX', 'NAME', 'CREATED', 'LAST USED', 'REVOKED'];
  const rows = [header, ...keys.map((k) => [k.prefix, k.name, day(k.createdAt), day(k.lastUsedAt), day(k.revokedAt)])];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function buildProgram(): Command {
  const program = new Command('apikey')
    .description(
      'Creates, revokes and lists the API keys that the GraphQL mutations require (Authorization: Bearer <key>).',
    )
    .addHelpText(
      'after',
      '\nUses DATABASE_URL, or the embedded database in PGLITE_DIR when it is unset. Keys are stored as SHA-256 hashes.',
    )
    .exitOverride();
  program
    .command('create')
    .description('create a key; the key is printed once, alone on standard output, and cannot be shown again')
    .argument('<name>', 'what the key is for, e.g. "ci" or "alice"')
    .action(async (name: string) => {
      const created = await withDatabase((db) => createApiKey(db.pool, name));
      process.stderr.write(
        `Created API key "${created.name}" (prefix ${created.prefix}). Copy it now: only its hash is stored.\n` +
          'Send it as the header  Authorization: Bearer <key>\n',
      );
      process.stdout.write(`${created.key}\n`);
    });
  program
    .command('revoke')
    .description('revoke the key with this prefix, or every active key with this name')
    .argument('<prefix-or-name>', 'the prefix shown by list (or the whole key), or the name')
    .action(async (target: string) => {
      const revoked = await withDatabase((db) => revokeApiKeys(db.pool, target, { onRevoked: evictFromSharedState }));
      if (revoked.length === 0)
        throw new UsageError(`no active API key has the prefix or name ${JSON.stringify(target)}`);
      for (const k of revoked) process.stdout.write(`Revoked API key "${k.name}" (prefix ${k.prefix}).\n`);
    });
  program
    .command('list')
    .description('list every key: prefix, name, created, last used (to the minute), revoked; never the key or its hash')
    .option('--json', 'print a JSON array')
    .action(async (options: { json?: boolean }) => {
      const keys = await withDatabase((db) => listApiKeys(db.pool));
      process.stdout.write(
        options.json ? `${JSON.stringify(keys, null, 2)}\n` : keys.length === 0 ? 'No API keys.\n' : table(keys),
      );
    });
  for (const command of program.commands) command.exitOverride();
  return program;
}

runCli(async () => {
  try {
    await buildProgram().parseAsync();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof ApiKeyError) throw new UsageError(error.message);
    throw error;
  }
});
