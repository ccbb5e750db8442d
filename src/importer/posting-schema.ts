import { z } from 'zod';
import {
  boolean,
  countryCode,
  crossFieldIssue,
  rowObject,
  isoDateTime,
  knownCurrency,
  LIMITS,
  optional,
  positiveNumber,
  required,
  runRowSchema,
  salaryPeriod,
  seniority,
  slug,
  text,
} from './field-rules.ts';
import type { RowValidation, ValidationContext } from './import-types.ts';

/** The fields of a postings file, in the order of the documented header. */
export const POSTING_FIELDS = [
  'externalId',
  'source',
  'role',
  'roleTitle',
  'title',
  'company',
  'location',
  'country',
  'remote',
  'salaryMin',
  'salaryMax',
  'salaryCurrency',
  'salaryPeriod',
  'degreeRequired',
  'seniority',
  'postedAt',
  'closedAt',
] as const;

export const POSTING_REQUIRED_FIELDS = ['externalId', 'role', 'company', 'postedAt'] as const;

/**
 * One posting row, validated and normalized. salaryCurrency and salaryPeriod default to USD and
 * YEAR only when the row states a salary; without one they are kept as given (or null).
 */
export function createPostingSchema(ctx: ValidationContext) {
  return rowObject({
      externalId: required(text(LIMITS.externalId)),
      source: optional(text(LIMITS.source), 'manual'),
      role: required(slug),
      roleTitle: optional(text(), null),
      title: optional(text(), null),
      company: required(text(LIMITS.company)),
      location: optional(text(), null),
      country: optional(countryCode, null),
      remote: optional(boolean, null),
      salaryMin: optional(positiveNumber, null),
      salaryMax: optional(positiveNumber, null),
      salaryCurrency: optional(knownCurrency(ctx.knownCurrencies), null),
      salaryPeriod: optional(salaryPeriod, null),
      degreeRequired: optional(boolean, null),
      seniority: optional(seniority, null),
      postedAt: required(isoDateTime),
      closedAt: optional(isoDateTime, null),
    })
    .superRefine((row, rctx) => {
      if (typeof row.salaryMin === 'number' && typeof row.salaryMax === 'number' && row.salaryMin > row.salaryMax) {
        crossFieldIssue(rctx, 'salaryMax', row.salaryMax, 'salaryRange', `must not be below salaryMin (${row.salaryMin})`);
      }
      if (row.closedAt instanceof Date && row.postedAt instanceof Date && row.closedAt.getTime() < row.postedAt.getTime()) {
        crossFieldIssue(rctx, 'closedAt', row.closedAt, 'closedBeforePosted', `must not be before postedAt (${row.postedAt.toISOString()})`);
      }
    }, { when: () => true })
    .transform((row) => {
      const hasSalary = row.salaryMin !== null || row.salaryMax !== null;
      return {
        ...row,
        salaryCurrency: row.salaryCurrency ?? (hasSalary ? 'USD' : null),
        salaryPeriod: row.salaryPeriod ?? (hasSalary ? ('YEAR' as const) : null),
      };
    });
}

export type PostingSchema = ReturnType<typeof createPostingSchema>;
export type PostingRecord = z.output<PostingSchema>;

const schemas = new WeakMap<Set<string>, PostingSchema>();

/** The schema for a context, built once per set of known currencies. */
export function postingSchemaFor(ctx: ValidationContext): PostingSchema {
  let schema = schemas.get(ctx.knownCurrencies);
  if (!schema) {
    schema = createPostingSchema(ctx);
    schemas.set(ctx.knownCurrencies, schema);
  }
  return schema;
}

/** Validates one raw posting row (CSV strings or JSON values) and returns the normalized record. */
export function validatePostingRow(raw: Record<string, unknown>, ctx: ValidationContext): RowValidation<PostingRecord> {
  return runRowSchema(postingSchemaFor(ctx), raw);
}
