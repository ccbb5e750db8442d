import type { Queryable } from '../db/read-session.ts';

/** A standalone salary report (a salary observation that belongs to no posting). */
export interface SalaryReportRecord {
  id: number;
  roleId: number;
  source: string;
  externalId: string;
  amount: number;
  currency: string;
  amountUsd: number;
  observedAt: Date;
  country: string | null;
}

export async function salaryReportsByIds(
  db: Queryable,
  ids: readonly number[],
): Promise<(SalaryReportRecord | null)[]> {
  const { rows } = await db.query<SalaryReportRecord>(
    `SELECT id, role_id AS "roleId", source, external_id AS "externalId", amount, currency, amount_usd AS "amountUsd",
            observed_at AS "observedAt", country
     FROM salary_observation WHERE id = ANY($1::int[]) AND posting_id IS NULL`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
