import { insertMissingRolesSql } from './insert-missing-roles.ts';
import type { ObservationImportRow } from './observation-schema.ts';
import { amountUsdSql, annualizedSql } from '../db/sql/salary-sql.ts';
import { StagingTable } from './staging-table.ts';

/** Staging table of one batch of standalone salary reports. */
export const observationStagingTable = new StagingTable<ObservationImportRow>('import_stage_observations', [
  { name: 'external_id', type: 'text', value: (r) => r.externalId },
  { name: 'source', type: 'text', value: (r) => r.source },
  { name: 'role', type: 'text', value: (r) => r.role },
  { name: 'role_title', type: 'text', value: (r) => r.roleTitle },
  { name: 'amount', type: 'float8', value: (r) => String(r.amount) },
  { name: 'currency', type: 'text', value: (r) => r.currency },
  { name: 'period', type: '"SalaryPeriod"', value: (r) => r.period },
  { name: 'observed_at', type: 'timestamptz', value: (r) => r.observedAt.toISOString() },
  { name: 'country', type: 'text', value: (r) => r.country },
]);

const COLUMNS = ['role_id', 'amount', 'currency', 'period', 'amount_usd', 'observed_at', 'country'];

/**
 * The statements that upsert the staged salary reports (posting_id NULL, identified by source and external_id):
 * amount annualized in its currency, amount_usd converted at the rate of the observation date;
 * a report is rewritten only when some column differs. The last statement returns the counts.
 */
export function upsertObservationsSql(stagingTable: string): string[] {
  const upsert = `WITH up AS (
       INSERT INTO salary_observation AS o (posting_id, source, external_id, ${COLUMNS.join(', ')})
       SELECT NULL, s.source, s.external_id, r.id, a.amount, s.currency, s.period,
              ${amountUsdSql('a.amount', 's.currency', 's.observed_at')}, s.observed_at, s.country
       FROM ${stagingTable} s
       JOIN role r ON r.slug = s.role
       CROSS JOIN LATERAL (SELECT ${annualizedSql('s.amount', 's.period')} AS amount) a
       ON CONFLICT (source, external_id) DO UPDATE SET ${COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
       WHERE (${COLUMNS.map((c) => `o.${c}`).join(', ')}) IS DISTINCT FROM (${COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})
       RETURNING (o.xmax = 0) AS inserted
     )
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;
  return [insertMissingRolesSql(stagingTable), upsert];
}
