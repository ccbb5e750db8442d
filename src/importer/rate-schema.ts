import type { z } from 'zod';
import { currencyCode, isoDate, positiveNumber, required, rowObject, runRowSchema } from '../domain/field-rules.ts';
import type { RowValidation } from '../domain/field-rules.ts';
import type { ValidationContext } from './import-types.ts';

/** The fields of an exchange-rates file. */
export const RATE_FIELDS = ['currency', 'usdPerUnit', 'asOf'] as const;

export const RATE_REQUIRED_FIELDS = RATE_FIELDS;

/**
 * One exchange rate: US dollars per unit of `currency` as of a date. (A USD row is accepted but
 * never used: USD converts at 1.)
 */
export const rateSchema = rowObject({
  currency: required(currencyCode),
  usdPerUnit: required(positiveNumber),
  asOf: required(isoDate),
});

/** An exchange-rate row of an import file once validated. */
export type RateImportRow = z.output<typeof rateSchema>;

/** Validates one raw rate row. The context is not needed (any ISO 4217 code may get a rate). */
export function validateRateRow(raw: Record<string, unknown>, _ctx?: ValidationContext): RowValidation<RateImportRow> {
  return runRowSchema(rateSchema, raw);
}
