import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import { postingCondition } from '../db/sql/posting-conditions.ts';
import type { PostingFilter } from '../domain/posting-filter.ts';
import { SqlParams } from '../db/sql/sql-params.ts';
import { postingColumns, readsObservation, type PostingRecord } from './posting-record.ts';

export type PostingOrderField = 'POSTED_AT' | 'SALARY' | 'TITLE';
export type Direction = 'ASC' | 'DESC';

export interface PostingOrder {
  field: PostingOrderField;
  direction: Direction;
}

/** One value of a list's sort key, as carried by a cursor. */
export type KeysetValue = string | number | null;

export interface PageRequest {
  first: number;
  /** Sort key of the item the page starts after (from a cursor); undefined for the first page. */
  after?: KeysetValue[];
  /** Count the whole list too: only when the query selects totalCount. */
  withTotal: boolean;
}

export interface Page<T> {
  items: T[];
  /** Sort key of each item, for its cursor. */
  keys: KeysetValue[][];
  hasNextPage: boolean;
  /** null when not asked for (PageRequest.withTotal false). */
  totalCount: number | null;
}

export const pageRequestKey = (page: PageRequest): string =>
  JSON.stringify([page.first, page.after ?? null, page.withTotal]);

/**
 * The keyset condition "after `after` in ORDER BY `column` `dir` NULLS LAST, `id` `dir`": a row
 * comparison the planner can start an index scan at. `cast` types the cursor's value.
 */
export function keysetCondition(
  column: string,
  id: string,
  dir: Direction,
  after: KeysetValue[],
  params: SqlParams,
  cast: string,
  nullable: boolean,
): string {
  const op = dir === 'ASC' ? '>' : '<';
  const [value, lastId] = after;
  const idParam = params.add(lastId, typeof lastId === 'number' ? '::int' : '::text');
  if (value === null) return nullable ? `(${column} IS NULL AND ${id} ${op} ${idParam})` : 'false';
  const valueParam = params.add(value, cast);
  return nullable
    ? `((${column}, ${id}) ${op} (${valueParam}, ${idParam}) OR ${column} IS NULL)`
    : `(${column}, ${id}) ${op} (${valueParam}, ${idParam})`;
}

// posted_at is NOT NULL: no NULLS LAST, so that ORDER BY matches a (role_id, posted_at, id) index scan.
// `observation`: the order reads the salary observation `o`, so a list must join it.
const ORDER_COLUMN: Record<PostingOrderField, { sql: string; cast: string; nullable: boolean; observation?: true }> = {
  POSTED_AT: { sql: 'p.posted_at', cast: '::timestamptz', nullable: false },
  SALARY: { sql: 'o.amount_usd', cast: '::float8', nullable: true, observation: true },
  TITLE: { sql: 'p.title', cast: '::text', nullable: true },
};

export async function postingsByIds(
  db: Queryable,
  ids: readonly number[],
  asOf: Date,
): Promise<(PostingRecord | null)[]> {
  const params = new SqlParams();
  const idList = params.add(ids, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const { rows } = await db.query<PostingRecord>(
    `SELECT ${postingColumns(at)} FROM posting p LEFT JOIN salary_observation o ON o.posting_id = p.id WHERE p.id = ANY(${idList})`,
    params.values,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** The postings of each group of duplicates (by its earliest posting's id), earliest first, in one statement. */
export async function postingsByGroups(
  db: Queryable,
  groupIds: readonly number[],
  asOf: Date,
): Promise<PostingRecord[][]> {
  const params = new SqlParams();
  const list = params.add(groupIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const { rows } = await db.query<PostingRecord>(
    `SELECT ${postingColumns(at)} FROM posting p LEFT JOIN salary_observation o ON o.posting_id = p.id
     WHERE p.group_id = ANY(${list}) ORDER BY p.group_id, p.posted_at, p.source COLLATE "C", p.external_id COLLATE "C"`,
    params.values,
  );
  const byGroup = new Map<number, PostingRecord[]>(groupIds.map((id) => [id, []]));
  for (const r of rows) if (r.groupId !== null) byGroup.get(r.groupId)?.push(r);
  return groupIds.map((id) => byGroup.get(id) ?? []);
}

/**
 * One page of postings for each owner (a role or an employer), in one statement: for each
 * owner, the first `first + 1` matching postings after the cursor's key in the requested order
 * (ties broken by id), read in index order (LATERAL ... ORDER BY ... LIMIT); the extra row tells
 * whether a next page exists. The count, when asked for, is a separate subquery per owner.
 */
export async function postingPages(
  db: Queryable,
  owner: 'role_id' | 'employer_id',
  ownerIds: readonly number[],
  filter: PostingFilter,
  order: PostingOrder,
  page: PageRequest,
  asOf: Date,
  fields?: readonly string[],
): Promise<Page<PostingRecord>[]> {
  const params = new SqlParams();
  const ids = params.add(ownerIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const dir = order.direction === 'ASC' ? 'ASC' : 'DESC';
  const column = ORDER_COLUMN[order.field];
  const orderBy = `${column.sql} ${dir}${column.nullable ? ' NULLS LAST' : ''}, p.id ${dir}`;
  const condition = postingCondition('p', filter, at, params);
  const total = page.withTotal
    ? `(SELECT count(*)::int FROM posting p WHERE p.${owner} = ids.owner AND ${condition})`
    : 'NULL::int';
  const limit = params.add(page.first + 1);
  const nulls = column.nullable ? ' NULLS LAST' : '';
  const { lead, rows } =
    owner === 'role_id' && order.field === 'SALARY'
      ? salaryOrderedRows(at, dir, condition, page.after, params, limit, fields)
      : {
          lead: '',
          rows: `SELECT ${postingColumns(at, fields)}, ${column.sql} AS sort_key
    FROM posting p${readsObservation(fields) || column.observation ? ' LEFT JOIN salary_observation o ON o.posting_id = p.id' : ''}
    WHERE p.${owner} = ids.owner AND ${condition}${
      page.after
        ? ` AND ${keysetCondition(column.sql, 'p.id', dir, page.after, params, column.cast, column.nullable)}`
        : ''
    }
    ORDER BY ${orderBy}
    LIMIT ${limit}`,
        };
  const sql = `
SELECT ids.owner AS page_owner, ${total} AS page_total, n.*
FROM unnest(${ids}) AS ids(owner)
LEFT JOIN LATERAL (
  ${lead}SELECT l.*, row_number() OVER (ORDER BY l.sort_key ${dir}${nulls}, l.id ${dir}) AS rn FROM (
    ${rows}
  ) l
) n ON true
ORDER BY ids.owner, n.rn`;
  type Row = PostingRecord & {
    page_owner: number;
    page_total: number | null;
    sort_key: Date | number | string | null;
    rn: number | null;
  };
  const { rows: found } = await hotQuery<Row>(db, sql, params.values);
  const pages = new Map<number, Page<PostingRecord>>(
    ownerIds.map((id) => [id, { items: [], keys: [], hasNextPage: false, totalCount: null }]),
  );
  for (const { page_owner: ownerId, page_total: totalCount, sort_key: sortKey, rn, ...posting } of found) {
    const target = pages.get(ownerId);
    if (!target) continue;
    target.totalCount = totalCount;
    if (rn === null) continue;
    if (rn <= page.first) {
      target.items.push(posting);
      target.keys.push([sortKey instanceof Date ? sortKey.toISOString() : sortKey, posting.id]);
    } else target.hasNextPage = true;
  }
  return ownerIds.map((id) => pages.get(id) as Page<PostingRecord>);
}

/**
 * The rows of a role's page in salary order (ids.owner is the role), read in the order of the
 * (role_id, amount_usd, posting_id) index of salary_observation instead of sorting every open
 * posting of the role (0.4-2 s for the largest role at 1M postings, under 1 ms now): first the
 * postings with a salary, from the index (`lead`, a CTE of the LATERAL subquery, so that it is
 * planned as the index walk it is and read once), then, only when those do not fill the page,
 * the postings without one (nulls last), by id. A posting's observation is filed under its role
 * (the import and the mutations keep it so, and the figures read it so too); one that is not
 * still appears, among the postings without a salary, rather than not at all.
 */
function salaryOrderedRows(
  at: string,
  dir: Direction,
  condition: string,
  after: KeysetValue[] | undefined,
  params: SqlParams,
  limit: string,
  fields?: readonly string[],
): { lead: string; rows: string } {
  const op = dir === 'ASC' ? '>' : '<';
  const [value, lastId] = after ?? [];
  let salaried = 'true';
  let unsalaried = 'true';
  if (after) {
    const idParam = params.add(lastId, typeof lastId === 'number' ? '::int' : '::text');
    if (value === null) {
      // The cursor is among the postings without a salary: none with one is left.
      salaried = 'false';
      unsalaried = `p.id ${op} ${idParam}`;
    } else salaried = `(o.amount_usd, o.posting_id) ${op} (${params.add(value, '::float8')}, ${idParam})`;
  }
  const lead = `WITH salaried AS MATERIALIZED (
    SELECT ${postingColumns(at, fields)}, o.amount_usd AS sort_key
    FROM salary_observation o JOIN posting p ON p.id = o.posting_id
    WHERE o.role_id = ids.owner AND o.amount_usd IS NOT NULL AND p.role_id = ids.owner AND ${condition} AND ${salaried}
    ORDER BY o.amount_usd ${dir}, o.posting_id ${dir}
    LIMIT ${limit}
  )
  `;
  // OFFSET 0: the role's postings through its index, then sorted; by the primary key alone the
  // scan would read the whole table to find a small role's postings.
  const rows = `SELECT * FROM salaried
    UNION ALL
    (SELECT ${postingColumns(at, fields)}, NULL::float8 AS sort_key
      FROM (
        SELECT p.* FROM posting p
        WHERE p.role_id = ids.owner AND ${condition} AND ${unsalaried}
          AND NOT EXISTS (SELECT 1 FROM salary_observation x WHERE x.posting_id = p.id AND x.role_id = ids.owner AND x.amount_usd IS NOT NULL)
          AND (SELECT count(*) FROM salaried) < ${limit}
        OFFSET 0
      ) p LEFT JOIN salary_observation o ON o.posting_id = p.id
      ORDER BY p.id ${dir}
      LIMIT ${limit})`;
  return { lead, rows };
}
