/** The salary arithmetic that needs no database: annualization, the plausible range, the confidence labels. */
import type { SalaryPeriod } from './field-rules.ts';

/** Periods per year (2080 working hours, 260 working days, 52 weeks, 12 months). */
export const PERIODS_PER_YEAR: Readonly<Record<SalaryPeriod, number>> = {
  HOUR: 2080,
  DAY: 260,
  WEEK: 52,
  MONTH: 12,
  YEAR: 1,
};

/**
 * The plausible range of a salary: every posting's salary bound and every salary report, once
 * annualized and converted to US dollars, must lie within it (docs/methodology.md, rule
 * `salaryImplausible`). SALARY_MIN_USD_PER_YEAR and SALARY_MAX_USD_PER_YEAR configure it.
 */
export interface SalaryBounds {
  minUsdPerYear: number;
  maxUsdPerYear: number;
}

export const DEFAULT_SALARY_BOUNDS: SalaryBounds = { minUsdPerYear: 1000, maxUsdPerYear: 10_000_000 };

/**
 * The largest raw salary amount accepted before any conversion (rule `salaryImplausible`):
 * above any plausible salary in any currency and period, and small enough that annualizing and
 * converting it can never overflow a double, so such a row is reported instead of failing its batch.
 */
export const MAX_RAW_SALARY = 1e15;

/** How much a salary figure can be trusted, from the number of observations behind it (docs/methodology.md). */
export type Confidence = 'INSUFFICIENT' | 'LOW' | 'MEDIUM' | 'HIGH';

/** The message of a `salaryImplausible` error found after conversion. */
export function implausibleMessage(usd: number, bounds: SalaryBounds): string {
  return (
    `is ${Math.round(usd)} USD a year once annualized and converted, outside the plausible range ` +
    `${bounds.minUsdPerYear}..${bounds.maxUsdPerYear} USD a year (SALARY_MIN_USD_PER_YEAR..SALARY_MAX_USD_PER_YEAR)`
  );
}
