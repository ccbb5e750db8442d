import type { Queryable } from '../db/read-session.ts';
import { postingCondition, type PostingFilter } from '../stats/posting-filter.ts';
import { SqlParams } from '../stats/sql-params.ts';
import { postingColumns, type PostingRecord } from './posting-record.ts';

export type PostingOrderField = 'POSTED_AT' | 'SALARY' | 'TITLE';
export type Direction = 'ASC' | 'DESC';

export interface PostingOrder {
  field: PostingOrderField;
  direction: Direction;
}

export interface PageRequest {
  first: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  totalCount: number;
}

const ORDER_COLUMN: Record<PostingOrderField, string> = { POSTED_AT: 'p.posted_at', SALARY: 'o.amount_usd', TITLE: 'p.title' };

export async function postingsByIds(db: Queryable, ids: readonly number[], asOf: Date): Promise<(PostingRecord | null)[]> {
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
export async function postingsByGroups(db: Queryable, groupIds: readonly number[], asOf: Date): Promise<PostingRecord[][]> {
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
 * One page of postings for each owner (a role or an employer), in one statement: the
 * postings are numbered per owner in the requested order (ties broken by id) and the window
 * [offset, offset + first] is kept, one extra row telling whether a next page exists.
 */
export async function postingPages(
  db: Queryable,
  owner: 'role_id' | 'employer_id',
  ownerIds: readonly number[],
  filter: PostingFilter,
  order: PostingOrder,
  page: PageRequest,
  asOf: Date,
): Promise<Page<PostingRecord>[]> {
  const params = new SqlParams();
  const ids = params.add(ownerIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const dir = order.direction === 'ASC' ? 'ASC' : 'DESC';
  const orderBy = `${ORDER_COLUMN[order.field]} ${dir} NULLS LAST, p.id ${dir}`;
  const sql = `
WITH numbered AS (
  SELECT ${postingColumns(at)}, p.${owner} AS owner,
         row_number() OVER (PARTITION BY p.${owner} ORDER BY ${orderBy}) AS rn,
         count(*) OVER (PARTITION BY p.${owner})::int AS total
  FROM posting p LEFT JOIN salary_observation o ON o.posting_id = p.id
  WHERE p.${owner} = ANY(${ids}) AND ${postingCondition('p', filter, at, params)}
)
SELECT ids.owner AS page_owner, coalesce(t.total, 0) AS page_total, n.*
FROM unnest(${ids}) AS ids(owner)
LEFT JOIN (SELECT owner, max(total) AS total FROM numbered GROUP BY owner) t ON t.owner = ids.owner
LEFT JOIN numbered n ON n.owner = ids.owner AND n.rn > ${params.add(page.offset)} AND n.rn <= ${params.add(page.offset + page.first + 1)}
ORDER BY ids.owner, n.rn`;
  type Row = PostingRecord & { page_owner: number; page_total: number; owner: number | null; rn: number | null; total: number | null };
  const { rows } = await db.query<Row>(sql, params.values);
  const pages = new Map<number, Page<PostingRecord>>(ownerIds.map((id) => [id, { items: [], hasNextPage: false, totalCount: 0 }]));
  for (const { page_owner: ownerId, page_total: totalCount, owner: _owner, rn, total: _total, ...posting } of rows) {
    const target = pages.get(ownerId);
    if (!target) continue;
    target.totalCount = totalCount;
    if (rn === null) continue;
    if (rn <= page.offset + page.first) target.items.push(posting);
    else target.hasNextPage = true;
  }
  return ownerIds.map((id) => pages.get(id) as Page<PostingRecord>);
}
