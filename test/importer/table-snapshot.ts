import type pg from 'pg';

/**
 * The full content of the tables the importer writes, without ids and timestamps: foreign keys
 * are replaced by natural keys (role slug, employer normalized name, posting source/external id,
 * also for the groups of duplicates),
 * rows sorted. Two databases with equal snapshots hold the same data.
 */
export async function snapshotImportTables(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const role = await pool.query('SELECT slug, title FROM role ORDER BY slug');
  const employer = await pool.query('SELECT name, normalized_name FROM employer ORDER BY normalized_name');
  const posting = await pool.query(
    `SELECT p.source, p.external_id, r.slug AS role, e.normalized_name AS employer, p.title, p.location, p.country,
            p.remote, p.salary_min, p.salary_max, p.salary_currency, p.salary_period, p.degree_required, p.seniority,
            p.posted_at, p.closed_at, p.dedupe_key, g.source AS group_source, g.external_id AS group_external_id, p.group_size,
            gs.source AS group_salary_source, gs.external_id AS group_salary_external_id, p.group_degree_required
     FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id
     LEFT JOIN posting g ON g.id = p.group_id LEFT JOIN posting gs ON gs.id = p.group_salary_posting_id
     ORDER BY p.source, p.external_id`,
  );
  const observation = await pool.query(
    `SELECT o.source, o.external_id, p.source AS posting_source, p.external_id AS posting_external_id, r.slug AS role,
            o.amount, o.currency, o.period, o.amount_usd, o.observed_at, o.country
     FROM salary_observation o JOIN role r ON r.id = o.role_id LEFT JOIN posting p ON p.id = o.posting_id
     ORDER BY o.source, o.external_id NULLS FIRST, p.source, p.external_id`,
  );
  const rate = await pool.query(
    'SELECT currency, as_of::text, usd_per_unit FROM exchange_rate ORDER BY currency, as_of',
  );
  return {
    role: role.rows,
    employer: employer.rows,
    posting: posting.rows,
    observation: observation.rows,
    rate: rate.rows,
  };
}

/** Row count and an order-independent digest of each table of snapshotImportTables, computed in SQL. */
export async function digestImportTables(pool: pg.Pool): Promise<Record<string, { rows: number; md5: string }>> {
  const queries: Record<string, string> = {
    role: 'SELECT slug, title FROM role',
    employer: 'SELECT name, normalized_name FROM employer',
    posting: `SELECT p.source, p.external_id, r.slug AS role, e.normalized_name AS employer, p.title, p.location, p.country,
                     p.remote, p.salary_min, p.salary_max, p.salary_currency, p.salary_period, p.degree_required, p.seniority,
                     p.posted_at, p.closed_at, p.dedupe_key, g.source AS group_source, g.external_id AS group_external_id, p.group_size,
                     gs.source AS group_salary_source, gs.external_id AS group_salary_external_id, p.group_degree_required
              FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id
              LEFT JOIN posting g ON g.id = p.group_id LEFT JOIN posting gs ON gs.id = p.group_salary_posting_id`,
    observation: `SELECT o.source, o.external_id, p.source AS posting_source, p.external_id AS posting_external_id, r.slug AS role,
                         o.amount, o.currency, o.period, o.amount_usd, o.observed_at, o.country
                  FROM salary_observation o JOIN role r ON r.id = o.role_id LEFT JOIN posting p ON p.id = o.posting_id`,
  };
  const digest: Record<string, { rows: number; md5: string }> = {};
  for (const [table, query] of Object.entries(queries)) {
    const result = await pool.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM (${query}) t`,
    );
    digest[table] = result.rows[0] as { rows: number; md5: string };
  }
  return digest;
}
