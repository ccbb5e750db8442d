import { Readable } from 'node:stream';
import type pg from 'pg';
import { importFile } from '../importer/import-file.ts';
import { fromFieldErrors, type UserError } from './user-errors.ts';

export interface WriteDatabase {
  pool: pg.Pool;
  embedded?: boolean;
  /** The plausible salary range (rule salaryImplausible); the importer's default when undefined. */
  salaryBounds?: { minUsdPerYear: number; maxUsdPerYear: number };
  /** statement_timeout of the service's write transactions (SET LOCAL). */
  writeStatementTimeoutMs?: number;
}

/**
 * Writes one row through the importer itself, as a one-line NDJSON file in one transaction: the
 * same rules check it (a broken one is returned as user errors and nothing is written) and the
 * same upserts store it, creating a missing role or employer and keeping salaries in step.
 * Fields left undefined are absent from the row; null is an empty value.
 */
export async function importOneRow(db: WriteDatabase, kind: 'postings' | 'observations', row: Record<string, unknown>): Promise<UserError[]> {
  const summary = await importFile(db, kind, Readable.from([`${JSON.stringify(row)}\n`]), {
    format: 'ndjson',
    atomic: true,
    fileName: 'input',
  });
  return summary.rejected > 0 ? fromFieldErrors(summary.errors) : [];
}
