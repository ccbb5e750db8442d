import type { SalaryPeriod } from '../domain/field-rules.ts';
import { importOneRow, type WriteDatabase } from './import-one-row.ts';
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
 * Stores a standalone salary report through the importer (an observations row: same rules,
 * same annualizing and conversion); a report with the same source and externalId is replaced.
 */
export async function reportSalary(db: WriteDatabase, input: NewSalaryReport): Promise<SalaryReportWrite> {
  const userErrors = await importOneRow(db, 'observations', { ...input });
  if (userErrors.length > 0) return { salaryReport: null, userErrors };
  // The importer trims text; the report is found again under the trimmed key.
  const { rows } = await db.pool.query<{ id: number }>(
    'SELECT id FROM salary_observation WHERE source = $1 AND external_id = $2 AND posting_id IS NULL',
    [(input.source ?? 'manual').trim() || 'manual', input.externalId.trim()],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`salary report ${JSON.stringify(input.externalId)} was imported but cannot be found`);
  const [salaryReport] = await salaryReportsByIds(db.pool, [id]);
  return { salaryReport: salaryReport ?? null, userErrors: [] };
}
