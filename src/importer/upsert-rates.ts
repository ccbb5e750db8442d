import type pg from 'pg';
import type { RateImportRow } from './rate-schema.ts';
import { amountUsdSql } from '../db/sql/salary-sql.ts';
import { StagingTable } from './staging-table.ts';

/** Staging table of one batch of exchange rates. */
export const rateStagingTable = new StagingTable<RateImportRow>('import_stage_rates', [
  { name: 'currency', type: 'text', value: (r) => r.currency },
  { name: 'as_of', type: 'date', value: (r) => r.asOf },
  { name: 'usd_per_unit', type: 'float8', value: (r) => String(r.usdPerUnit) },
]);

/**
 * Sets amount_usd of the salary observations whose currency matches `currencyCondition` (a
 * condition on `so.currency`) from the current rates, rewriting only the rows that change.
 */
function recomputeAmountsUsdSql(currencyCondition: string): string {
  return `UPDATE salary_observation o SET amount_usd = n.amount_usd
     FROM (SELECT so.id, ${amountUsdSql('so.amount', 'so.currency', 'so.observed_at')} AS amount_usd
           FROM salary_observation so WHERE ${currencyCondition}) n
     WHERE o.id = n.id AND o.amount_usd IS DISTINCT FROM n.amount_usd`;
}

/**
 * The statements that upsert the staged rates (the first returns the counts), then recompute
 * amount_usd of every salary observation in a staged currency, so that statistics in USD
 * follow the new rates.
 */
export function upsertRatesSql(stagingTable: string): string[] {
  return [
    `WITH up AS (
       INSERT INTO exchange_rate AS x (currency, as_of, usd_per_unit)
       SELECT s.currency, s.as_of, s.usd_per_unit FROM ${stagingTable} s
       ON CONFLICT (currency, as_of) DO UPDATE SET usd_per_unit = EXCLUDED.usd_per_unit
       WHERE x.usd_per_unit IS DISTINCT FROM EXCLUDED.usd_per_unit
       RETURNING (x.xmax = 0) AS inserted
     )
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`,
    recomputeAmountsUsdSql(`so.currency IN (SELECT DISTINCT s.currency FROM ${stagingTable} s)`),
  ];
}

/** Recomputes amount_usd of the observations in `currencies` from the current rates; returns the rows changed. */
export async function recomputeAmountsUsd(client: pg.ClientBase, currencies: readonly string[]): Promise<number> {
  const result = await client.query(recomputeAmountsUsdSql('so.currency = ANY($1::text[])'), [currencies]);
  return result.rowCount ?? 0;
}
