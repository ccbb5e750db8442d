import { Broken, countryCode, LIMITS } from '../domain/field-rules.ts';
import type { GraphQLResolveInfo } from 'graphql';
import type { PageRequest, PostingOrder } from '../catalog/postings.ts';
import { OPTIONAL_POSTING_FIELDS } from '../catalog/posting-record.ts';
import type { PostingFilter } from '../domain/posting-filter.ts';
import { MAX_DIMENSIONS, type BreakdownOrderField, type Dimension } from '../stats/breakdown.ts';
import { type HistogramSpec, type SalarySource, type SalarySpec } from '../stats/salary-stats.ts';
import { badUserInput } from './errors.ts';
import type {
  PostingFilter as PostingFilterInput,
  PostingOrder as PostingOrderInput,
} from './generated/resolvers-types.ts';
import { checkFirst, decodeCursor, selectedFieldNames, selectsField, type KeyKind } from './pagination.ts';

/** Turns a `filter` argument into a validated PostingFilter; a bad value names `filter.<field>`. */
export function toPostingFilter(input: PostingFilterInput | null | undefined, argument = 'filter'): PostingFilter {
  const filter: PostingFilter = { status: input?.status ?? 'OPEN' };
  if (!input) return filter;
  if (input.postedAfter) filter.postedAfter = input.postedAfter;
  if (input.postedBefore) filter.postedBefore = input.postedBefore;
  if (filter.postedAfter && filter.postedBefore && filter.postedAfter >= filter.postedBefore) {
    throw badUserInput(`${argument}.postedBefore`, filter.postedBefore.toISOString(), 'must be later than postedAfter');
  }
  if (input.country !== null && input.country !== undefined) {
    const code = countryCode(input.country.trim());
    if (code instanceof Broken) throw badUserInput(`${argument}.country`, input.country, code.message);
    filter.country = code;
  }
  if (input.remote !== null && input.remote !== undefined) filter.remote = input.remote;
  if (input.source !== null && input.source !== undefined) {
    if (input.source.length === 0 || input.source.length > LIMITS.source) {
      throw badUserInput(`${argument}.source`, input.source, `must be 1 to ${LIMITS.source} characters`);
    }
    filter.source = input.source;
  }
  if (input.employer !== null && input.employer !== undefined) {
    if (input.employer.trim().length === 0 || input.employer.length > LIMITS.company) {
      throw badUserInput(`${argument}.employer`, input.employer, `must be 1 to ${LIMITS.company} characters`);
    }
    filter.employer = input.employer;
  }
  if (input.seniority) filter.seniority = input.seniority;
  if (input.location !== null && input.location !== undefined) {
    // text_key keeps letters and digits only (less punctuation and spaces): without one nothing could match.
    if (input.location.length > 200 || !/[\p{L}\p{N}]/u.test(input.location)) {
      throw badUserInput(
        `${argument}.location`,
        input.location,
        'must be at most 200 characters with at least one letter or digit',
      );
    }
    filter.location = input.location;
  }
  return filter;
}

/** Kinds of a postings cursor's (sort value, id) in each order. */
export const POSTING_KEY_KINDS: Record<PostingOrder['field'], readonly KeyKind[]> = {
  POSTED_AT: ['instant', 'int'],
  SALARY: ['number?', 'int'],
  TITLE: ['text?', 'int'],
};

/** Kinds of a roles cursor's (sort value, slug) in each order. */
export const ROLE_KEY_KINDS: Record<
  'SLUG' | 'TITLE' | 'OPENINGS' | 'MEAN_SALARY' | 'MEDIAN_SALARY' | 'EMPLOYER_DEGREE_SHARE',
  readonly KeyKind[]
> = {
  SLUG: ['text', 'text'],
  TITLE: ['text', 'text'],
  OPENINGS: ['int', 'text'],
  MEAN_SALARY: ['number?', 'text'],
  MEDIAN_SALARY: ['number?', 'text'],
  EMPLOYER_DEGREE_SHARE: ['number?', 'text'],
};

/** Kinds of a top-employers cursor's (postings, normalized name, employer id). */
export const TOP_EMPLOYER_KEY_KINDS: readonly KeyKind[] = ['int', 'text', 'int'];

export function toPostingOrder(input: PostingOrderInput | null | undefined): PostingOrder {
  return { field: input?.field ?? 'POSTED_AT', direction: input?.direction ?? 'DESC' };
}

/**
 * `first` (1..100) and `after` (a keyset cursor of the same list and order, holding a sort key
 * of values of `kinds`); `withTotal` when the query selects the connection's totalCount.
 */
export function toPageRequest(
  list: string,
  order: string,
  kinds: readonly KeyKind[],
  args: { first?: number | null; after?: string | null },
  info: GraphQLResolveInfo,
  fallback = 20,
): PageRequest {
  const first = checkFirst(args.first, fallback);
  const after = decodeCursor(list, order, kinds, args.after);
  return { first, ...(after ? { after } : {}), withTotal: selectsField(info, 'totalCount') };
}

const CURRENCY = /^[A-Za-z]{3}$/;

export function toSalarySpec(
  filter: PostingFilter,
  args: { source: SalarySource; currency: string; excludeOutliers: boolean },
): SalarySpec {
  if (!CURRENCY.test(args.currency))
    throw badUserInput('currency', args.currency, 'must be an ISO 4217 code such as USD or EUR');
  return { filter, source: args.source, currency: args.currency.toUpperCase(), excludeOutliers: args.excludeOutliers };
}

export function checkMinSampleSize(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000)
    throw badUserInput('minSampleSize', value, 'must be between 1 and 1000000');
  return value;
}

export function toHistogramSpec(buckets: number, bucketWidth: number | null | undefined): HistogramSpec {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 100)
    throw badUserInput('buckets', buckets, 'must be between 1 and 100');
  if (bucketWidth === null || bucketWidth === undefined) return { buckets };
  if (!(bucketWidth > 0) || !Number.isFinite(bucketWidth))
    throw badUserInput('bucketWidth', bucketWidth, 'must be a positive number');
  return { buckets, bucketWidth };
}

export function toDimensions(by: readonly Dimension[]): Dimension[] {
  if (by.length < 1 || by.length > MAX_DIMENSIONS) {
    throw badUserInput(
      'by',
      by,
      `must name one or ${MAX_DIMENSIONS} dimensions (a breakdown by a pair of dimensions at most)`,
    );
  }
  if (new Set(by).size !== by.length) throw badUserInput('by', by, 'must not name a dimension twice');
  return [...by];
}

export function toBreakdownOrder(
  input: { field: BreakdownOrderField; direction?: 'ASC' | 'DESC' | null } | null | undefined,
) {
  const field = input?.field ?? 'OPENINGS';
  return { field, direction: input?.direction ?? (field === 'KEY' ? 'ASC' : 'DESC') } as const;
}

/** The Posting fields that a connection's nodes select and that cost columns of their own (postingColumns reads only those). */
export function postingFieldsOf(info: GraphQLResolveInfo): string[] {
  return selectedFieldNames(info, ['edges', 'node']).filter((f) => OPTIONAL_POSTING_FIELDS.has(f));
}
