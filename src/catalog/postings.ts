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
  const keyset = page.after
    ? ` AND ${keysetCondition(column.sql, 'p.id', dir, page.after, params, column.cast, column.nullable)}`
    : '';
  const total = page.withTotal
    ? `(SELECT count(*)::int FROM posting p WHERE p.${owner} = ids.owner AND ${condition})`
    : 'NULL::int';
  const sql = `
SELECT ids.owner AS page_owner, ${total} AS page_total, n.*
FROM unnest(${ids}) AS ids(owner)
LEFT JOIN LATERAL (
  SELECT l.*, row_number() OVER (ORDER BY l.sort_key ${dir}${column.nullable ? ' NULLS LAST' : ''}, l.id ${dir}) AS rn FROM (
    SELECT ${postingColumns(at, fields)}, ${column.sql} AS sort_key
    FROM posting p${readsObservation(fields) || column.observation ? ' LEFT JOIN salary_observation o ON o.posting_id = p.id' : ''}
    WHERE p.${owner} = ids.owner AND ${condition}${keyset}
    ORDER BY ${orderBy}
    LIMIT ${params.add(page.first + 1)}
  ) l
) n ON true
ORDER BY ids.owner, n.rn`;
  type Row = PostingRecord & {
    page_owner: number;
    page_total: number | null;
    sort_key: Date | number | string | null;
    rn: number | null;
  };
  const { rows } = await hotQuery<Row>(db, sql, params.values);
  const pages = new Map<number, Page<PostingRecord>>(
    ownerIds.map((id) => [id, { items: [], keys: [], hasNextPage: false, totalCount: null }]),
  );
  for (const { page_owner: ownerId, page_total: totalCount, sort_key: sortKey, rn, ...posting } of rows) {
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
