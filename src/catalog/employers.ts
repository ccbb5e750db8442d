import type { Queryable } from '../db/read-session.ts';
import { countedCondition, OPEN_POSTINGS, type PostingFilter } from '../stats/posting-filter.ts';
import { SqlParams } from '../stats/sql-params.ts';
import type { Page, PageRequest } from './postings.ts';

export interface EmployerRecord {
  id: number;
  name: string;
}

export interface EmployerCount {
  employer: EmployerRecord;
  postings: number;
}

export async function employersByIds(db: Queryable, ids: readonly number[]): Promise<(EmployerRecord | null)[]> {
  const { rows } = await db.query<EmployerRecord>('SELECT id, name FROM employer WHERE id = ANY($1::int[])', [ids]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Openings of each employer (all roles): open groups of duplicates, or open postings without dedupe, in one statement. */
export async function employerOpenings(db: Queryable, ids: readonly number[], asOf: Date, dedupe = true): Promise<number[]> {
  const params = new SqlParams();
  const list = params.add(ids, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const { rows } = await db.query<{ id: number; n: number }>(
    `SELECT p.employer_id AS id, count(*)::int AS n FROM posting p
     WHERE p.employer_id = ANY(${list}) AND ${countedCondition('p', { ...OPEN_POSTINGS, dedupe }, at, params)} GROUP BY 1`,
    params.values,
  );
  const byId = new Map(rows.map((r) => [r.id, r.n]));
  return ids.map((id) => byId.get(id) ?? 0);
}

/**
 * For each role, its employers ranked by matching postings (each group of duplicates once unless
 * filter.dedupe is false), then by name, one page each, in one statement.
 */
export async function topEmployerPages(
  db: Queryable,
  roleIds: readonly number[],
  filter: PostingFilter,
  page: PageRequest,
  asOf: Date,
): Promise<Page<EmployerCount>[]> {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const sql = `
WITH counted AS (
  SELECT p.role_id, p.employer_id, count(*)::int AS postings FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${countedCondition('p', filter, at, params)}
  GROUP BY p.role_id, p.employer_id
), ranked AS (
  SELECT c.role_id, c.employer_id, c.postings, e.name,
         row_number() OVER (PARTITION BY c.role_id ORDER BY c.postings DESC, e.normalized_name, e.id) AS rn,
         count(*) OVER (PARTITION BY c.role_id)::int AS total
  FROM counted c JOIN employer e ON e.id = c.employer_id
)
SELECT ids.role_id, r.employer_id, r.name, r.postings, r.rn, coalesce(t.total, 0) AS total
FROM unnest(${ids}) AS ids(role_id)
LEFT JOIN (SELECT role_id, max(total) AS total FROM ranked GROUP BY role_id) t ON t.role_id = ids.role_id
LEFT JOIN ranked r ON r.role_id = ids.role_id AND r.rn > ${params.add(page.offset)} AND r.rn <= ${params.add(page.offset + page.first + 1)}
ORDER BY ids.role_id, r.rn`;
  const { rows } = await db.query<{ role_id: number; employer_id: number | null; name: string | null; postings: number | null; rn: number | null; total: number }>(
    sql,
    params.values,
  );
  const pages = new Map<number, Page<EmployerCount>>(roleIds.map((id) => [id, { items: [], hasNextPage: false, totalCount: 0 }]));
  for (const r of rows) {
    const target = pages.get(r.role_id);
    if (!target) continue;
    target.totalCount = r.total;
    if (r.employer_id === null || r.rn === null || r.name === null || r.postings === null) continue;
    if (r.rn <= page.offset + page.first) target.items.push({ employer: { id: r.employer_id, name: r.name }, postings: r.postings });
    else target.hasNextPage = true;
  }
  return roleIds.map((id) => pages.get(id) as Page<EmployerCount>);
}
