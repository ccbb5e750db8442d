import { amountUsdSql, annualizedSql } from '../db/sql/salary-sql.ts';

/** The statements that find, in a staging table, the salaries outside the plausible range of src/domain/salary.ts. */

/** One staged row whose salary lies outside the bounds. */
export interface ImplausibleRow {
  line: number;
  external_id: string | null;
  field: string;
  value: number;
  usd: number;
}

function implausibleSql(stagingTable: string, checks: string, bounds: { min: string; max: string }): string {
  return `WITH checked AS (
       SELECT s.line, s.external_id, c.field, c.ord, c.value, c.usd
       FROM ${stagingTable} s CROSS JOIN LATERAL (${checks}) c
       WHERE c.value IS NOT NULL AND (c.usd < ${bounds.min} OR c.usd > ${bounds.max})
     ), gone AS (
       -- A data-modifying CTE always runs, referenced or not.
       DELETE FROM ${stagingTable} s WHERE s.line IN (SELECT line FROM checked) RETURNING s.line
     )
     SELECT line, external_id, field, value, usd FROM checked ORDER BY line, ord`;
}

/**
 * Removes from the staged postings every row with a salaryMin or salaryMax outside $1..$2 US
 * dollars a year (each bound annualized with its period and converted at the rate of postedAt,
 * as its observation would be) and returns them, one row per offending field.
 */
export function implausiblePostingsSql(stagingTable: string): string {
  const usd = (column: string) =>
    amountUsdSql(annualizedSql(`s.${column}`, 's.salary_period'), 's.salary_currency', 'coalesce(s.posted_at, now())');
  return implausibleSql(
    stagingTable,
    `SELECT 'salaryMin' AS field, 1 AS ord, s.salary_min AS value, ${usd('salary_min')} AS usd
     UNION ALL SELECT 'salaryMax', 2, s.salary_max, ${usd('salary_max')}`,
    { min: '$1::float8', max: '$2::float8' },
  );
}

/**
 * A salary that the import read from free text (salaryText) and that falls outside $1..$2 USD a
 * year is dropped from its staged posting, which is kept: the text was the guess, not the ad.
 * Returns one row per posting whose salary was dropped (counted, not rejected).
 */
export function implausibleTextSalariesSql(stagingTable: string): string {
  const usd = (column: string) =>
    amountUsdSql(annualizedSql(`s.${column}`, 's.salary_period'), 's.salary_currency', 'coalesce(s.posted_at, now())');
  return `UPDATE ${stagingTable} s
     SET salary_min = NULL, salary_max = NULL, salary_currency = NULL, salary_period = NULL, salary_estimated = NULL
     WHERE s.salary_from_text
       AND ((s.salary_min IS NOT NULL AND (${usd('salary_min')} < $1::float8 OR ${usd('salary_min')} > $2::float8))
         OR (s.salary_max IS NOT NULL AND (${usd('salary_max')} < $1::float8 OR ${usd('salary_max')} > $2::float8)))
     RETURNING s.line`;
}

/** The same for staged salary reports (their amount, period, currency and observedAt). */
export function implausibleObservationsSql(stagingTable: string): string {
  return implausibleSql(
    stagingTable,
    `SELECT 'amount' AS field, 1 AS ord, s.amount AS value, ${amountUsdSql(annualizedSql('s.amount', 's.period'), 's.currency', 's.observed_at')} AS usd`,
    { min: '$1::float8', max: '$2::float8' },
  );
}
