import type { z } from 'zod';
import {
  countryCode,
  isoDateTime,
  knownCurrency,
  LIMITS,
  optional,
  positiveNumber,
  required,
  rowObject,
  runRowSchema,
  salaryPeriod,
  slug,
  text,
} from './field-rules.ts';
import type { RowValidation, ValidationContext } from './import-types.ts';

/** The fields of a salary-observations file (standalone salary reports). */
export const OBSERVATION_FIELDS = ['externalId', 'source', 'role', 'roleTitle', 'amount', 'currency', 'period', 'observedAt', 'country'] as const;

export const OBSERVATION_REQUIRED_FIELDS = ['externalId', 'role', 'amount', 'observedAt'] as const;

/** One standalone salary report, validated and normalized; (source, externalId) identifies it. */
export function createObservationSchema(ctx: ValidationContext) {
  return rowObject({
    externalId: required(text(LIMITS.externalId)),
    source: optional(text(LIMITS.source), 'manual'),
    role: required(slug),
    roleTitle: optional(text(), null),
    amount: required(positiveNumber),
    currency: optional(knownCurrency(ctx.knownCurrencies), 'USD'),
    period: optional(salaryPeriod, 'YEAR'),
    observedAt: required(isoDateTime),
    country: optional(countryCode, null),
  });
}

export type ObservationSchema = ReturnType<typeof createObservationSchema>;
export type ObservationRecord = z.output<ObservationSchema>;

const schemas = new WeakMap<Set<string>, ObservationSchema>();

export function observationSchemaFor(ctx: ValidationContext): ObservationSchema {
  let schema = schemas.get(ctx.knownCurrencies);
  if (!schema) {
    schema = createObservationSchema(ctx);
    schemas.set(ctx.knownCurrencies, schema);
  }
  return schema;
}

/** Validates one raw salary-report row (CSV strings or JSON values) and returns the normalized record. */
export function validateObservationRow(raw: Record<string, unknown>, ctx: ValidationContext): RowValidation<ObservationRecord> {
  return runRowSchema(observationSchemaFor(ctx), raw);
}
