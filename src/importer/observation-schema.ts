import type { z } from 'zod';
import {
  countryCode,
  fastRow,
  isoDateTime,
  knownCurrency,
  LIMITS,
  optional,
  salaryAmount,
  required,
  rowObject,
  runRowSchema,
  salaryPeriod,
  slug,
  text,
} from '../domain/field-rules.ts';
import type { RowValidation } from '../domain/field-rules.ts';
import type { ValidationContext } from './import-types.ts';

/** The fields of a salary-observations file (standalone salary reports). */
export const OBSERVATION_FIELDS = [
  'externalId',
  'source',
  'role',
  'roleTitle',
  'amount',
  'currency',
  'period',
  'observedAt',
  'country',
] as const;

export const OBSERVATION_REQUIRED_FIELDS = ['externalId', 'role', 'amount', 'observedAt'] as const;

function observationFields(ctx: ValidationContext) {
  return {
    externalId: required(text(LIMITS.externalId)),
    source: optional(text(LIMITS.source), 'manual'),
    role: required(slug),
    roleTitle: optional(text(), null),
    amount: required(salaryAmount),
    currency: optional(knownCurrency(ctx.knownCurrencies), 'USD'),
    period: optional(salaryPeriod, 'YEAR'),
    observedAt: required(isoDateTime),
    country: optional(countryCode, null),
  };
}

/** One standalone salary report, validated and normalized; (source, externalId) identifies it. */
export function createObservationSchema(ctx: ValidationContext) {
  return rowObject(observationFields(ctx));
}

export type ObservationSchema = ReturnType<typeof createObservationSchema>;
/** A salary-report row of an import file once validated and normalized. */
export type ObservationImportRow = z.output<ObservationSchema>;

interface Compiled {
  schema: ObservationSchema;
  /** The same field functions without zod (see fastRow); undefined when some rule breaks. */
  fast: (raw: Record<string, unknown>) => ObservationImportRow | undefined;
}

const schemas = new WeakMap<Set<string>, Compiled>();

function compiled(ctx: ValidationContext): Compiled {
  let entry = schemas.get(ctx.knownCurrencies);
  if (!entry) {
    entry = { schema: createObservationSchema(ctx), fast: fastRow(observationFields(ctx)) };
    schemas.set(ctx.knownCurrencies, entry);
  }
  return entry;
}

export function observationSchemaFor(ctx: ValidationContext): ObservationSchema {
  return compiled(ctx).schema;
}

/** Validates one raw salary-report row (CSV strings or JSON values) and returns the normalized record. */
export function validateObservationRow(
  raw: Record<string, unknown>,
  ctx: ValidationContext,
): RowValidation<ObservationImportRow> {
  const { schema, fast } = compiled(ctx);
  const value = fast(raw);
  return value !== undefined ? { ok: true, value } : runRowSchema(schema, raw);
}
