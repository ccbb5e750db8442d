import type { z } from 'zod';
import {
  boolean,
  countryCode,
  crossFieldIssue,
  fastRow,
  rowObject,
  isoDateTime,
  knownCurrency,
  LIMITS,
  optional,
  salaryAmount,
  required,
  runRowSchema,
  salaryPeriod,
  seniority,
  slug,
  text,
} from '../domain/field-rules.ts';
import type { RowValidation } from '../domain/field-rules.ts';
import type { ValidationContext } from './import-types.ts';
import { degreeRequiredOf, educationOf } from '../domain/education.ts';
import { descriptionText, looksLikeHtml } from '../domain/html-text.ts';
import { parseSalaryText } from './raw/salary-text.ts';

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
  'employmentType',
  'postedAt',
  'closedAt',
  'salaryText',
  'salaryEstimated',
  'description',
  'educationRequirements',
  'employmentType',
  'url',
] as const;

/**
 * Columns a postings file must have. externalId (a stable hash stands in, see raw-postings.ts)
 * and role (title rules classify the row) may be absent.
 */
export const POSTING_REQUIRED_FIELDS = ['company', 'postedAt'] as const;

/** Longest description kept (characters, after HTML is read as text). */
export const DESCRIPTION_MAX = 100_000;

function postingFields(ctx: ValidationContext) {
  return {
    externalId: required(text(LIMITS.externalId)),
    source: optional(text(LIMITS.source), 'manual'),
    role: required(slug),
    roleTitle: optional(text(), null),
    title: optional(text(), null),
    company: required(text(LIMITS.company)),
    location: optional(text(), null),
    country: optional(countryCode, null),
    remote: optional(boolean, null),
    salaryMin: optional(salaryAmount, null),
    salaryMax: optional(salaryAmount, null),
    salaryCurrency: optional(knownCurrency(ctx.knownCurrencies), null),
    salaryPeriod: optional(salaryPeriod, null),
    degreeRequired: optional(boolean, null),
    seniority: optional(seniority, null),
    postedAt: required(isoDateTime),
    closedAt: optional(isoDateTime, null),
    salaryText: optional(text(), null),
    salaryEstimated: optional(boolean, null),
    description: optional(text(DESCRIPTION_MAX), null),
    educationRequirements: optional(text(), null),
    employmentType: optional(text(200), null),
    url: optional(text(), null),
  };
}

type PostingFields = { [K in keyof ReturnType<typeof postingFields>]: z.output<ReturnType<typeof postingFields>[K]> };

/** The cross-field rules, on the fields as far as they are valid; each broken one as [field, raw value, rule, message]. */
function crossFieldProblems(row: Partial<PostingFields>): [string, unknown, string, string][] | null {
  let problems: [string, unknown, string, string][] | null = null;
  if (typeof row.salaryMin === 'number' && typeof row.salaryMax === 'number' && row.salaryMin > row.salaryMax) {
    (problems ??= []).push([
      'salaryMax',
      row.salaryMax,
      'salaryRange',
      `must not be below salaryMin (${row.salaryMin})`,
    ]);
  }
  if (row.closedAt instanceof Date && row.postedAt instanceof Date && row.closedAt.getTime() < row.postedAt.getTime()) {
    (problems ??= []).push([
      'closedAt',
      row.closedAt,
      'closedBeforePosted',
      `must not be before postedAt (${row.postedAt.toISOString()})`,
    ]);
  }
  return problems;
}

/**
 * The normalized record:
 * - without explicit salaryMin/salaryMax, salaryText is read (src/importer/raw/salary-text.ts);
 *   text that cannot be read leaves the salary empty and names the reason in salaryTextProblem;
 * - salaryCurrency and salaryPeriod default to USD and YEAR only when the row has a salary;
 * - salaryOrigin: STATED with salaryMin/salaryMax, TEXT when the salary is read from salaryText
 *   (readable or not), null with neither;
 * - education is derived (src/domain/education.ts) and degreeRequired follows it
 *   (REQUIRED: true, UNKNOWN: null, otherwise false).
 */
function finishPosting(row: PostingFields, ctx: ValidationContext) {
  let { salaryMin, salaryMax, salaryCurrency, salaryPeriod } = row;
  let estimated: boolean | null = row.salaryEstimated;
  let salaryTextProblem: string | null = null;
  let salaryFromText = false;
  if (row.salaryText !== null) {
    const parsed = parseSalaryText(row.salaryText, salaryCurrency);
    if (salaryMin === null && salaryMax === null) {
      if (!parsed.ok) salaryTextProblem = parsed.reason;
      else if (parsed.salary.currency !== 'USD' && !ctx.knownCurrencies.has(parsed.salary.currency))
        salaryTextProblem = 'currencyWithoutRate';
      else {
        ({ min: salaryMin, max: salaryMax, currency: salaryCurrency, period: salaryPeriod } = parsed.salary);
        estimated ??= parsed.salary.estimated;
        salaryFromText = true;
      }
    } else if (parsed.ok) estimated ??= parsed.salary.estimated;
  }
  const hasSalary = salaryMin !== null || salaryMax !== null;
  // Recorded so that npm run reprocess reads a salary again from its text (and only such a one) after the parser changed.
  const salaryOrigin: 'STATED' | 'TEXT' | null =
    row.salaryMin !== null || row.salaryMax !== null ? 'STATED' : row.salaryText !== null ? 'TEXT' : null;
  // A CSV's or NDJSON's description may be HTML as a JobPosting's is (docs/import-format.md): read as text, once.
  const description =
    row.description !== null && looksLikeHtml(row.description) ? descriptionText(row.description) : row.description;
  const education = educationOf({
    degreeRequired: row.degreeRequired,
    educationRequirements: row.educationRequirements,
    description,
  });
  return {
    ...row,
    description,
    salaryMin,
    salaryMax,
    salaryCurrency: salaryCurrency ?? (hasSalary ? 'USD' : null),
    salaryPeriod: salaryPeriod ?? (hasSalary ? ('YEAR' as const) : null),
    salaryEstimated: estimated,
    salaryTextProblem,
    salaryFromText,
    salaryOrigin,
    // The title rules set TITLE (raw-postings.ts, finish).
    roleOrigin: 'STATED' as 'STATED' | 'TITLE',
    degreeRequired: degreeRequiredOf(education.requirement),
    educationRequirement: education.requirement,
    educationLevel: education.level,
    educationEvidence: education.evidence,
    educationOrigin: education.origin,
  };
}

/**
 * One posting row, validated and normalized. salaryCurrency and salaryPeriod default to USD and
 * YEAR only when the row states a salary; without one they are kept as given (or null).
 */
export function createPostingSchema(ctx: ValidationContext) {
  return rowObject(postingFields(ctx))
    .superRefine(
      (row, rctx) => {
        for (const [field, raw, rule, message] of crossFieldProblems(row) ?? [])
          crossFieldIssue(rctx, field, raw, rule, message);
      },
      { when: () => true },
    )
    .transform((row) => finishPosting(row, ctx));
}

/**
 * The fast path of the schema for rows that break no rule: the same field functions, cross-field
 * rules and normalization, without zod's bookkeeping; undefined when some rule breaks (the
 * schema then reports them all).
 */
function createFastPosting(ctx: ValidationContext): (raw: Record<string, unknown>) => PostingImportRow | undefined {
  const fields = fastRow(postingFields(ctx));
  return (raw) => {
    const row = fields(raw);
    if (row === undefined || crossFieldProblems(row) !== null) return undefined;
    return finishPosting(row, ctx);
  };
}

export type PostingSchema = ReturnType<typeof createPostingSchema>;
/** A posting row of an import file once validated and normalized (the stored posting, as read back, is catalog's PostingRecord). */
export type PostingImportRow = z.output<PostingSchema>;

const schemas = new WeakMap<
  Set<string>,
  { schema: PostingSchema; fast: (raw: Record<string, unknown>) => PostingImportRow | undefined }
>();

function compiled(ctx: ValidationContext): {
  schema: PostingSchema;
  fast: (raw: Record<string, unknown>) => PostingImportRow | undefined;
} {
  let entry = schemas.get(ctx.knownCurrencies);
  if (!entry) {
    entry = { schema: createPostingSchema(ctx), fast: createFastPosting(ctx) };
    schemas.set(ctx.knownCurrencies, entry);
  }
  return entry;
}

/** The schema for a context, built once per set of known currencies. */
export function postingSchemaFor(ctx: ValidationContext): PostingSchema {
  return compiled(ctx).schema;
}

/** Validates one raw posting row (CSV strings or JSON values) and returns the normalized record. */
export function validatePostingRow(
  raw: Record<string, unknown>,
  ctx: ValidationContext,
): RowValidation<PostingImportRow> {
  const { schema, fast } = compiled(ctx);
  const value = fast(raw);
  return value !== undefined ? { ok: true, value } : runRowSchema(schema, raw);
}
