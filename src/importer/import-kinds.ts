import type { RowValidation } from '../domain/field-rules.ts';
import type { ImportKind, ValidationContext } from './import-types.ts';
import {
  OBSERVATION_FIELDS,
  OBSERVATION_REQUIRED_FIELDS,
  validateObservationRow,
  type ObservationImportRow,
} from './observation-schema.ts';
import {
  POSTING_FIELDS,
  POSTING_REQUIRED_FIELDS,
  validatePostingRow,
  type PostingImportRow,
} from './posting-schema.ts';
import { RATE_FIELDS, RATE_REQUIRED_FIELDS, validateRateRow, type RateImportRow } from './rate-schema.ts';
import {
  implausibleObservationsSql,
  implausiblePostingsSql,
  implausibleTextSalariesSql,
} from './implausible-salaries.ts';
import type { StagingTable } from './staging-table.ts';
import { observationStagingTable, upsertObservationsSql } from './upsert-observations.ts';
import { postingStagingTable, upsertPostingsSql, upsertPostingsSteps } from './upsert-postings.ts';
import { rateStagingTable, upsertRatesSql } from './upsert-rates.ts';

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
  /** The set-based upserts from the loaded staging table; one of them returns (inserted, updated). */
  upsertSql(stagingTable: string): string[];
  /**
   * The same statements as upsertSql, split into the importer's timed stages (ImportStages):
   * the upserts, then the maintained state (duplicate groups). Kinds without it time upsertSql as `upsert`.
   */
  upsertSteps?(stagingTable: string): { upsert: string[]; group: string[] };
  /**
   * Removes the staged rows whose salary is implausible once converted ($1, $2: the bounds in
   * USD a year) and returns them (src/importer/implausible-salaries.ts); none for kinds without salaries.
   */
  implausibleSql?(stagingTable: string): string;
  /** Drops implausible salaries that were read from text (the rows stay); returns their lines. */
  implausibleTextSql?(stagingTable: string): string;
  /** The roles of the staged rows (column touched_role): whose figure snapshots the import refreshes. */
  touchedRolesSql?(stagingTable: string): string;
}

const touchedRolesSql = (s: string): string =>
  `SELECT DISTINCT r.id AS touched_role FROM ${s} s JOIN role r ON r.slug = s.role`;

export const postingsKind: ImportKindDefinition<PostingImportRow> = {
  kind: 'postings',
  fields: POSTING_FIELDS,
  requiredFields: POSTING_REQUIRED_FIELDS,
  needsCurrencies: true,
  validate: validatePostingRow,
  key: (r) => `${r.source}\u0000${r.externalId}`,
  externalIdField: 'externalId',
  staging: postingStagingTable,
  upsertSql: upsertPostingsSql,
  upsertSteps: upsertPostingsSteps,
  implausibleSql: implausiblePostingsSql,
  implausibleTextSql: implausibleTextSalariesSql,
  touchedRolesSql,
};

export const observationsKind: ImportKindDefinition<ObservationImportRow> = {
  kind: 'observations',
  fields: OBSERVATION_FIELDS,
  requiredFields: OBSERVATION_REQUIRED_FIELDS,
  needsCurrencies: true,
  validate: validateObservationRow,
  key: (r) => `${r.source}\u0000${r.externalId}`,
  externalIdField: 'externalId',
  staging: observationStagingTable,
  upsertSql: upsertObservationsSql,
  touchedRolesSql,
  implausibleSql: implausibleObservationsSql,
};

export const ratesKind: ImportKindDefinition<RateImportRow> = {
  kind: 'rates',
  fields: RATE_FIELDS,
  requiredFields: RATE_REQUIRED_FIELDS,
  needsCurrencies: false,
  validate: (raw) => validateRateRow(raw),
  key: (r) => `${r.currency}\u0000${r.asOf}`,
  externalIdField: null,
  staging: rateStagingTable,
  upsertSql: upsertRatesSql,
};
