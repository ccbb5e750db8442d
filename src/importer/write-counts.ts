import type pg from 'pg';

/** What one batch's upsert did: rows inserted and rows updated (the rest of the batch was unchanged). */
export interface WriteCounts {
  inserted: number;
  updated: number;
}

/**
 * Sends a batch's statements (without parameters) as ONE simple query, so that a batch costs one
 * round trip however many statements it has, and reads the counts from the result that has them.
 */
export async function runBatchStatements(client: pg.ClientBase, statements: readonly string[]): Promise<WriteCounts> {
  const raw = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
  const results = Array.isArray(raw) ? raw : [raw];
  for (const result of results) {
    const row = result.rows?.[0] as Partial<WriteCounts> | undefined;
    if (row && typeof row.inserted === 'number' && typeof row.updated === 'number') return { inserted: row.inserted, updated: row.updated };
  }
  return { inserted: 0, updated: 0 };
}
