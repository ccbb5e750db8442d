import { normalizeEmployerName } from '../importer/normalize-employer.ts';
import { senioritySql, type Seniority } from './seniority.ts';
import type { SqlParams } from './sql-params.ts';

export type PostingStatus = 'OPEN' | 'CLOSED' | 'ANY';

/** Which postings a figure covers (docs/methodology.md, "Filters"). Values are already validated. */
export interface PostingFilter {
  status: PostingStatus;
  postedAfter?: Date;
  postedBefore?: Date;
  country?: string;
  remote?: boolean;
  source?: string;
  /** Employer name as given; compared after normalization. */
  employer?: string;
  seniority?: Seniority;
  /** City or region as given; compared by text_key (see its migration) on both sides. */
  location?: string;
}

export const OPEN_POSTINGS: PostingFilter = { status: 'OPEN' };

/** A stable key for a filter, so that DataLoader batches equal filters together. */
export function filterKey(filter: PostingFilter): string {
  return JSON.stringify([
    filter.status,
    filter.postedAfter?.toISOString() ?? null,
    filter.postedBefore?.toISOString() ?? null,
    filter.country ?? null,
    filter.remote ?? null,
    filter.source ?? null,
    filter.employer === undefined ? null : normalizeEmployerName(filter.employer),
    filter.seniority ?? null,
    filter.location ?? null,
  ]);
}

/** Whether salary reports, which have no employer, location, remote flag or seniority, can match the filter. */
export function reportsCanMatch(filter: PostingFilter): boolean {
  return filter.employer === undefined && filter.remote === undefined && filter.seniority === undefined && filter.location === undefined;
}

/** SQL condition on posting `alias` for the filter, as of the instant in `asOf` (a placeholder). */
export function postingCondition(alias: string, filter: PostingFilter, asOf: string, params: SqlParams, withStatus = true): string {
  const p = alias;
  const parts: string[] = [];
  if (withStatus) {
    if (filter.status === 'OPEN') parts.push(`${p}.posted_at <= ${asOf} AND (${p}.closed_at IS NULL OR ${p}.closed_at > ${asOf})`);
    else if (filter.status === 'CLOSED') parts.push(`${p}.posted_at <= ${asOf} AND ${p}.closed_at <= ${asOf}`);
    else parts.push(`${p}.posted_at <= ${asOf}`);
  }
  if (filter.postedAfter) parts.push(`${p}.posted_at >= ${params.add(filter.postedAfter, '::timestamptz')}`);
  if (filter.postedBefore) parts.push(`${p}.posted_at < ${params.add(filter.postedBefore, '::timestamptz')}`);
  if (filter.country !== undefined) parts.push(`${p}.country = ${params.add(filter.country)}`);
  if (filter.remote !== undefined) parts.push(`${p}.remote = ${params.add(filter.remote)}`);
  if (filter.source !== undefined) parts.push(`${p}.source = ${params.add(filter.source)}`);
  if (filter.employer !== undefined) {
    parts.push(`${p}.employer_id IN (SELECT id FROM employer WHERE normalized_name = ${params.add(normalizeEmployerName(filter.employer))})`);
  }
  if (filter.seniority !== undefined) parts.push(`${senioritySql(p)} = ${params.add(filter.seniority)}::"Seniority"`);
  if (filter.location !== undefined) parts.push(`text_key(${p}.location) = text_key(${params.add(filter.location)}::text)`);
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
