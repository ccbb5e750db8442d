import type pg from 'pg';
import type { RateRecord } from './rate-schema.ts';
import { amountUsdSql } from './salary-sql.ts';
import { StagingTable } from './staging-table.ts';
import type { WriteCounts } from './write-counts.ts';

/** Staging table of one batch of exchange rates. */
export const rateStagingTable = new StagingTable<RateRecord>('import_stage_rates', [
  { name: 'currency', type: 'text', value: (r) => r.currency },
  { name: 'as_of', type: 'date', value: (r) => r.asOf },
  { name: 'usd_per_unit', type: 'float8', value: (r) => String(r.usdPerUnit) },
]);

/**
 * Upserts the staged rates, then recomputes amount_usd of every salary observation in a currency
 * whose rates changed (one set-based UPDATE), so that statistics in USD follow the new rates.
 */
export async function upsertRates(client: pg.ClientBase, stagingTable: string): Promise<WriteCounts> {
  const result = await client.query<{ inserted: number; updated: number; currencies: string[] | null }>(
    `WITH up AS (
       INSERT INTO exchange_rate AS x (currency, as_of, usd_per_unit)
       SELECT s.currency, s.as_of, s.usd_per_unit FROM ${stagingTable} s
       ON CONFLICT (currency, as_of) DO UPDATE SET usd_per_unit = EXCLUDED.usd_per_unit
       WHERE x.usd_per_unit IS DISTINCT FROM EXCLUDED.usd_per_unit
       RETURNING (x.xmax = 0) AS inserted, x.currency::text AS currency
     )
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated,
            array_agg(DISTINCT currency) AS currencies
     FROM up`,
  );
  const row = result.rows[0];
  const currencies = row?.currencies ?? [];
  if (currencies.length > 0) await recomputeAmountsUsd(client, currencies);
  return { inserted: row?.inserted ?? 0, updated: row?.updated ?? 0 };
}

/** Sets amount_usd of the observations in `currencies` from the current rates (only rows that change). */
export async function recomputeAmountsUsd(client: pg.ClientBase, currencies: readonly string[]): Promise<number> {
  const result = await client.query(
    `UPDATE salary_observation o SET amount_usd = n.amount_usd
     FROM (SELECT so.id, ${amountUsdSql('so.amount', 'so.currency', 'so.observed_at')} AS amount_usd
           FROM salary_observation so WHERE so.currency = ANY($1::text[])) n
     WHERE o.id = n.id AND o.amount_usd IS DISTINCT FROM n.amount_usd`,
    [currencies],
  );
  return result.rowCount ?? 0;
}
