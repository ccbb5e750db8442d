import pg from 'pg';
import { redactUrl } from '../config.ts';
import { DatabaseUnavailableError } from './database.ts';

/** The database a connection string names (libpq's default: the user name, else `postgres`). */
function databaseName(url: URL): string {
  const fromPath = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return (
    fromPath || url.searchParams.get('dbname') || decodeURIComponent(url.username) || process.env.PGUSER || 'postgres'
  );
}

async function connectOnce(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Makes sure the database of `serverUrl` exists: when the server answers that it does not
 * (SQLSTATE 3D000), creates it through the server's maintenance database (`postgres`, else
 * `template1`), as `createdb` would. Returns the name when it was created. A role without the
 * right to create databases gets one line saying who can do it; any other failure is left to
 * the caller's connection attempt, which reports it.
 */
export async function createDatabaseIfMissing(serverUrl: string): Promise<string | undefined> {
  try {
    const client = await connectOnce(serverUrl);
    await client.end();
    return undefined;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') return undefined;
  }
  const url = new URL(serverUrl);
  const name = databaseName(url);
  let lastError: unknown;
  for (const maintenance of ['postgres', 'template1']) {
    const target = new URL(serverUrl);
    target.pathname = `/${maintenance}`;
    target.searchParams.delete('dbname');
    let client: pg.Client;
    try {
      client = await connectOnce(target.toString());
    } catch (error) {
      lastError = error;
      continue;
    }
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      return name;
    } catch (error) {
      const err = error as { code?: string; message: string };
      if (err.code === '42P04') return undefined; // created meanwhile by someone else
      if (err.code === '42501') {
        const user = decodeURIComponent(url.username) || process.env.PGUSER || 'the connecting role';
        throw new DatabaseUnavailableError(
          `database "${name}" does not exist on ${redactUrl(serverUrl)} and ${user} may not create it (${err.message}): ` +
            `have a superuser run \`createdb -O ${user} ${name}\` (or grant CREATEDB), then run npm run db:deploy again`,
        );
      }
      throw new DatabaseUnavailableError(
        `database "${name}" does not exist on ${redactUrl(serverUrl)} and creating it failed: ${err.message}`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new DatabaseUnavailableError(
    `database "${name}" does not exist on ${redactUrl(serverUrl)}, and no maintenance database (postgres, template1) was reachable to create it ` +
      `(${(lastError as Error | undefined)?.message ?? 'unknown error'}): create it with \`createdb ${name}\``,
  );
}
