/** Which postings a figure or a list covers: the filter value and the rules on it that need no SQL. */
import type { Seniority } from './field-rules.ts';
import { normalizeEmployerName } from './normalize-employer.ts';

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
  /**
   * Whether figures count each group of duplicates once, by its earliest member (the default,
   * also when undefined), or every posting (false). Lists of postings ignore it.
   */
  dedupe?: boolean;
  /** City or region as given; compared by text_key (see its migration) on both sides. */
  location?: string;
}

/** Whether figures over `filter` count groups of duplicates once (docs/methodology.md, "Duplicates across sources"). */
export const dedupes = (filter: PostingFilter): boolean => filter.dedupe !== false;

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
    dedupes(filter),
    filter.location ?? null,
  ]);
}

/** Whether salary reports, which have no employer, location, remote flag or seniority, can match the filter. */
export function reportsCanMatch(filter: PostingFilter): boolean {
  return (
    filter.employer === undefined &&
    filter.remote === undefined &&
    filter.seniority === undefined &&
    filter.location === undefined
  );
}
