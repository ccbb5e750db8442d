import { normalizeEmployerName } from '../../domain/normalize-employer.ts';
import { dedupes, reportsCanMatch, type PostingFilter } from '../../domain/posting-filter.ts';
import { senioritySql } from './seniority.ts';
import type { SqlParams } from './sql-params.ts';

/** SQL condition on posting `alias` for the filter, as of the instant in `asOf` (a placeholder). */
export function postingCondition(
  alias: string,
  filter: PostingFilter,
  asOf: string,
  params: SqlParams,
  withStatus = true,
): string {
  const p = alias;
  const parts: string[] = [];
  if (withStatus) {
    if (filter.status === 'OPEN')
      parts.push(`${p}.posted_at <= ${asOf} AND (${p}.closed_at IS NULL OR ${p}.closed_at > ${asOf})`);
    else if (filter.status === 'CLOSED') parts.push(`${p}.posted_at <= ${asOf} AND ${p}.closed_at <= ${asOf}`);
    else parts.push(`${p}.posted_at <= ${asOf}`);
  }
  if (filter.postedAfter) parts.push(`${p}.posted_at >= ${params.add(filter.postedAfter, '::timestamptz')}`);
  if (filter.postedBefore) parts.push(`${p}.posted_at < ${params.add(filter.postedBefore, '::timestamptz')}`);
  if (filter.country !== undefined) parts.push(`${p}.country = ${params.add(filter.country)}`);
  if (filter.remote !== undefined) parts.push(`${p}.remote = ${params.add(filter.remote)}`);
  if (filter.source !== undefined) parts.push(`${p}.source = ${params.add(filter.source)}`);
  if (filter.employer !== undefined) {
    parts.push(
      `${p}.employer_id IN (SELECT id FROM employer WHERE normalized_name = ${params.add(normalizeEmployerName(filter.employer))})`,
    );
  }
  if (filter.seniority !== undefined) parts.push(`${senioritySql(p)} = ${params.add(filter.seniority)}::"Seniority"`);
  if (filter.location !== undefined)
    parts.push(`text_key(${p}.location) = text_key(${params.add(filter.location)}::text)`);
  return parts.length ? parts.join(' AND ') : 'true';
}

/** SQL condition on standalone salary report `alias` (posting_id null) for the filter. */
export function reportCondition(alias: string, filter: PostingFilter, asOf: string, params: SqlParams): string {
  if (!reportsCanMatch(filter)) return 'false';
  const o = alias;
  const parts = [`${o}.posting_id IS NULL`, `${o}.observed_at <= ${asOf}`];
  if (filter.postedAfter) parts.push(`${o}.observed_at >= ${params.add(filter.postedAfter, '::timestamptz')}`);
  if (filter.postedBefore) parts.push(`${o}.observed_at < ${params.add(filter.postedBefore, '::timestamptz')}`);
  if (filter.country !== undefined) parts.push(`${o}.country = ${params.add(filter.country)}`);
  if (filter.source !== undefined) parts.push(`${o}.source = ${params.add(filter.source)}`);
  return parts.join(' AND ');
}

/** A posting `m` open as of `asOf`. */
const openSql = (m: string, asOf: string) =>
  `${m}.posted_at <= ${asOf} AND (${m}.closed_at IS NULL OR ${m}.closed_at > ${asOf})`;

/**
 * Whether the group whose earliest member is `p` is open: any member is. A group of one is
 * read from its own row; a larger one probes its members through the group_id index. A scalar
 * subquery, not EXISTS: PostgreSQL would turn an EXISTS into a hashed subplan that reads every
 * open posting of the table (1M rows at 1M postings) to answer for a role's few groups.
 */
export function groupOpenSql(p: string, asOf: string): string {
  return `(CASE WHEN ${p}.group_size = 1 THEN ${openSql(p, asOf)}
    ELSE (SELECT count(*) > 0 FROM posting gm WHERE gm.group_id = ${p}.id AND ${openSql('gm', asOf)}) END)`;
}

/**
 * The SQL condition on posting `alias` for what a figure counts under `filter`. With dedupe (the
 * default) the rows counted are the groups' earliest members, which carry the group's employer,
 * role, source, country, remote flag, seniority and posting date, so every condition but the
 * status is the member's own; the status is the group's (open when any member is open, closed
 * when started and none is). Without dedupe it is postingCondition: every posting counts.
 */
export function countedCondition(
  alias: string,
  filter: PostingFilter,
  asOf: string,
  params: SqlParams,
  withStatus = true,
): string {
  if (!dedupes(filter)) return postingCondition(alias, filter, asOf, params, withStatus);
  const p = alias;
  // A group of one has group_id null (src/importer/posting-groups.ts).
  const parts = [`(${p}.group_id = ${p}.id OR ${p}.group_id IS NULL)`];
  if (withStatus) {
    if (filter.status === 'OPEN') parts.push(`${p}.posted_at <= ${asOf} AND ${groupOpenSql(p, asOf)}`);
    else if (filter.status === 'CLOSED') parts.push(`${p}.posted_at <= ${asOf} AND NOT ${groupOpenSql(p, asOf)}`);
    else parts.push(`${p}.posted_at <= ${asOf}`);
  }
  parts.push(postingCondition(p, filter, asOf, params, false));
  return parts.join(' AND ');
}

/** The posting whose salary observation a counted row `alias` contributes: the group's earliest member with a salary, or itself. */
export const salaryPostingSql = (alias: string, filter: PostingFilter): string =>
  dedupes(filter)
    ? `(CASE WHEN ${alias}.group_id IS NULL THEN ${alias}.id ELSE ${alias}.group_salary_posting_id END)`
    : `${alias}.id`;

/** The degree requirement of a counted row `alias`: its group's (the earliest member whose requirement is known), or its own. */
export const degreeSql = (alias: string, filter: PostingFilter): string =>
  dedupes(filter)
    ? `(CASE WHEN ${alias}.group_id IS NULL THEN ${alias}.degree_required ELSE ${alias}.group_degree_required END)`
    : `${alias}.degree_required`;
