import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import { countedCondition } from '../db/sql/posting-conditions.ts';
import { OPEN_POSTINGS, type PostingFilter } from '../domain/posting-filter.ts';
import { SqlParams } from '../db/sql/sql-params.ts';
import type { EmployerRecord } from '../domain/employer.ts';
import type { Page, PageRequest } from './postings.ts';

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
export async function employerOpenings(
  db: Queryable,
  ids: readonly number[],
  asOf: Date,
  dedupe = true,
): Promise<number[]> {
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
 * filter.dedupe is false), then by normalized name and id, one page each after the cursor's key
 * (postings, normalized name, id), in one statement; the count of employers only when asked for.
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
  const condition = countedCondition('p', filter, at, params);
  let keyset = '';
  if (page.after) {
    const [postings, name, id] = page.after;
    const n = params.add(postings, '::int');
    keyset = `WHERE c.postings < ${n} OR (c.postings = ${n} AND (e.normalized_name, e.id) > (${params.add(name, '::text')}, ${params.add(id, '::int')}))`;
  }
  const total = page.withTotal
    ? `(SELECT count(DISTINCT p.employer_id)::int FROM posting p WHERE p.role_id = ids.role_id AND ${condition})`
    : 'NULL::int';
  const sql = `
SELECT ids.role_id, ${total} AS total, r.*
FROM unnest(${ids}) AS ids(role_id)
LEFT JOIN LATERAL (
  SELECT x.*, row_number() OVER (ORDER BY x.postings DESC, x.normalized_name, x.employer_id) AS rn FROM (
    SELECT c.employer_id, c.postings, e.name, e.normalized_name
    FROM (SELECT p.employer_id, count(*)::int AS postings FROM posting p
          WHERE p.role_id = ids.role_id AND ${condition} GROUP BY p.employer_id) c
    JOIN employer e ON e.id = c.employer_id
    ${keyset}
    ORDER BY c.postings DESC, e.normalized_name, e.id
    LIMIT ${params.add(page.first + 1)}
  ) x
) r ON true
ORDER BY ids.role_id, r.rn`;
  const { rows } = await hotQuery<{
    role_id: number;
    employer_id: number | null;
    name: string | null;
    normalized_name: string | null;
    postings: number | null;
    rn: number | null;
    total: number | null;
  }>(db, sql, params.values);
  const pages = new Map<number, Page<EmployerCount>>(
    roleIds.map((id) => [id, { items: [], keys: [], hasNextPage: false, totalCount: null }]),
  );
  for (const r of rows) {
    const target = pages.get(r.role_id);
    if (!target) continue;
    target.totalCount = r.total;
    if (r.employer_id === null || r.rn === null || r.name === null || r.postings === null) continue;
    if (r.rn <= page.first) {
      target.items.push({ employer: { id: r.employer_id, name: r.name }, postings: r.postings });
      target.keys.push([r.postings, r.normalized_name, r.employer_id]);
    } else target.hasNextPage = true;
  }
  return roleIds.map((id) => pages.get(id) as Page<EmployerCount>);
}
