import type { SalaryPeriod } from '../domain/field-rules.ts';
import { writeRow, type WriteDatabase } from './row-writer.ts';
import { salaryReportsByIds, type SalaryReportRecord } from './salary-reports.ts';
import type { UserError } from './user-errors.ts';

export interface NewSalaryReport {
  externalId: string;
  source?: string | null;
  role: string;
  roleTitle?: string | null;
  amount: number;
  currency?: string | null;
  period?: SalaryPeriod | null;
  observedAt: Date;
  country?: string | null;
}

export interface SalaryReportWrite {
  salaryReport: SalaryReportRecord | null;
  userErrors: UserError[];
}

/**
 * Stores a standalone salary report with the import's rules and statements (an observations row:
 * same annualizing and conversion); a report with the same source and externalId is replaced.
 */
export async function reportSalary(db: WriteDatabase, input: NewSalaryReport): Promise<SalaryReportWrite> {
  const written = await writeRow(db, 'observations', { ...input }, 'replace');
  if (written.id === null) return { salaryReport: null, userErrors: written.userErrors };
  const [salaryReport] = await salaryReportsByIds(db.pool, [written.id]);
  return { salaryReport: salaryReport ?? null, userErrors: [] };
}
