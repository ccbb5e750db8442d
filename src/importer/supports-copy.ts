import type pg from 'pg';

/**
 * Whether the server takes COPY FROM STDIN. The embedded PGlite, reached through its socket
 * server, loses protocol synchronization on COPY, so the importer falls back to unnest there.
 * PGlite announces itself in version().
 */
export async function supportsCopy(client: pg.ClientBase): Promise<boolean> {
  const result = await client.query<{ version: string }>('SELECT version() AS version');
  return !/PGlite/i.test(result.rows[0]?.version ?? '');
}
