import { PERIODS_PER_YEAR } from '../../domain/salary.ts';

/**
 * The salary arithmetic of docs/methodology.md, as SQL, in this one place: annualization,
 * the midpoint of a posting's range and the conversion to US dollars. Every statement that
 * writes salary_observation.amount or amount_usd builds it from these functions.
 */

/** `amount` (a float8 expression) per `period` (a SalaryPeriod or text expression), per year. */
export function annualizedSql(amount: string, period: string): string {
  const cases = Object.entries(PERIODS_PER_YEAR)
    .map(([p, n]) => `WHEN '${p}' THEN ${n}`)
    .join(' ');
  return `((${amount}) * (CASE (${period})::text ${cases} END)::float8)`;
}

/** The midpoint of [min, max]; a bound alone is the value; NULL when both are NULL. */
export function midpointSql(min: string, max: string): string {
  return `COALESCE(((${min}) + (${max})) / 2, ${min}, ${max})`;
}

/**
 * US dollars per unit of `currency` at the time `observedAt` (a timestamptz expression): the rate
 * with the latest as_of on or before that UTC date, else the earliest rate of the currency.
 * USD is always 1. NULL when the currency has no rate at all (the importer rejects such rows).
 */
export function usdPerUnitSql(currency: string, observedAt: string): string {
  return `(CASE WHEN (${currency}) = 'USD' THEN 1::float8 ELSE COALESCE(
    (SELECT x.usd_per_unit FROM exchange_rate x
      WHERE x.currency = (${currency}) AND x.as_of <= ((${observedAt}) AT TIME ZONE 'UTC')::date
      ORDER BY x.as_of DESC LIMIT 1),
    (SELECT x.usd_per_unit FROM exchange_rate x WHERE x.currency = (${currency}) ORDER BY x.as_of ASC LIMIT 1)) END)`;
}

/** `annualAmount` (already annualized, in `currency`) in US dollars at `observedAt`. */
export function amountUsdSql(annualAmount: string, currency: string, observedAt: string): string {
  return `((${annualAmount}) * ${usdPerUnitSql(currency, observedAt)})`;
}
