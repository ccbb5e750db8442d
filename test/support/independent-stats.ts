// Reference computations for the tests, written from docs/methodology.md without using any
// code under test, so that a wrong rule in the SQL cannot agree with itself.

export const ANNUAL_FACTOR: Record<string, number> = { HOUR: 2080, DAY: 260, WEEK: 52, MONTH: 12, YEAR: 1 };

export interface Rate {
  currency: string;
  usdPerUnit: number;
  asOf: string;
}

/** USD per unit on a date: the latest rate on or before it, else the earliest one. */
export function rateOn(rates: Rate[], currency: string, date: Date): number {
  if (currency === 'USD') return 1;
  const mine = rates.filter((r) => r.currency === currency).sort((a, b) => a.asOf.localeCompare(b.asOf));
  const day = date.toISOString().slice(0, 10);
  const before = mine.filter((r) => r.asOf <= day);
  const chosen = before.at(-1) ?? mine[0];
  if (!chosen) throw new Error(`no rate for ${currency}`);
  return chosen.usdPerUnit;
}

export function annualUsd(
  min: number | null,
  max: number | null,
  period: string,
  currency: string,
  date: Date,
  rates: Rate[],
): number | null {
  const value = min !== null && max !== null ? (min + max) / 2 : (min ?? max);
  if (value === null) return null;
  return value * (ANNUAL_FACTOR[period] ?? NaN) * rateOn(rates, currency, date);
}

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Percentile with linear interpolation between closest ranks (PostgreSQL percentile_cont). */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo);
}

/** Employer identity as the methodology defines it, written independently of the importer. */
export function employerKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').trim();
}
