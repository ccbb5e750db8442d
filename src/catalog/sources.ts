import type { Queryable } from '../db/read-session.ts';

export interface SourceRecord {
  name: string;
  postings: number;
  lastImportedAt: Date | null;
}

/**
 * Import sources with their posting counts and freshness (the latest created_at/updated_at of
 * their postings), for every role at once (`roleIds` null: over all roles), in one statement.
 */
export async function sourcesOf(
  db: Queryable,
  roleIds: readonly number[] | null,
): Promise<(SourceRecord & { roleId: number | null })[]> {
  const { rows } = await db.query<SourceRecord & { roleId: number | null }>(
    `SELECT ${roleIds ? 'role_id' : 'NULL::int'} AS "roleId", source AS name, count(*)::int AS postings,
            max(greatest(created_at, updated_at)) AS "lastImportedAt"
     FROM posting ${roleIds ? 'WHERE role_id = ANY($1::int[])' : ''}
     GROUP BY 1, source ORDER BY 1, source`,
    roleIds ? [roleIds] : [],
  );
  return rows;
}
