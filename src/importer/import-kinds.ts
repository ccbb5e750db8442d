import type pg from 'pg';
import type { ImportKind, RowValidation, ValidationContext } from './import-types.ts';
import { OBSERVATION_FIELDS, OBSERVATION_REQUIRED_FIELDS, validateObservationRow, type ObservationRecord } from './observation-schema.ts';
import { POSTING_FIELDS, POSTING_REQUIRED_FIELDS, validatePostingRow, type PostingRecord } from './posting-schema.ts';
import { RATE_FIELDS, RATE_REQUIRED_FIELDS, validateRateRow, type RateRecord } from './rate-schema.ts';
import type { StagingTable } from './staging-table.ts';
import { observationStagingTable, upsertObservations } from './upsert-observations.ts';
import { postingStagingTable, upsertPostings } from './upsert-postings.ts';
import { rateStagingTable, upsertRates } from './upsert-rates.ts';
import type { WriteCounts } from './write-counts.ts';

/** Everything the importer needs to know about one kind of file. */
export interface ImportKindDefinition<T> {
  kind: ImportKind;
  /** Accepted field names (CSV header / JSON keys), in documented order. */
  fields: readonly string[];
  requiredFields: readonly string[];
  /** Whether validation needs the currencies that have a rate. */
  needsCurrencies: boolean;
  validate(raw: Record<string, unknown>, ctx: ValidationContext): RowValidation<T>;
  /** Identity of a row; within a batch the last row with a key wins. */
  key(row: T): string;
  /** The row's external id for error reports (null for kinds without one). */
  externalIdField: string | null;
  staging: StagingTable<T>;
  /** The set-based upserts from the loaded staging table. */
  write(client: pg.ClientBase, stagingTable: string): Promise<WriteCounts>;
}

export const postingsKind: ImportKindDefinition<PostingRecord> = {
  kind: 'postings',
  fields: POSTING_FIELDS,
  requiredFields: POSTING_REQUIRED_FIELDS,
  needsCurrencies: true,
  validate: validatePostingRow,
  key: (r) => `${r.source}\u0000${r.externalId}`,
  externalIdField: 'externalId',
  staging: postingStagingTable,
  write: upsertPostings,
};

export const observationsKind: ImportKindDefinition<ObservationRecord> = {
  kind: 'observations',
  fields: OBSERVATION_FIELDS,
  requiredFields: OBSERVATION_REQUIRED_FIELDS,
  needsCurrencies: true,
  validate: validateObservationRow,
  key: (r) => `${r.source}\u0000${r.externalId}`,
  externalIdField: 'externalId',
  staging: observationStagingTable,
  write: upsertObservations,
};

export const ratesKind: ImportKindDefinition<RateRecord> = {
  kind: 'rates',
  fields: RATE_FIELDS,
  requiredFields: RATE_REQUIRED_FIELDS,
  needsCurrencies: false,
  validate: (raw) => validateRateRow(raw),
  key: (r) => `${r.currency}\u0000${r.asOf}`,
  externalIdField: null,
  staging: rateStagingTable,
  write: upsertRates,
};
