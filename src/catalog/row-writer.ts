import type pg from 'pg';
import { DEFAULT_SALARY_BOUNDS, implausibleMessage, type SalaryBounds } from '../domain/salary.ts';
import { loadValidationContext, upsertBatch, validate, type UpsertKind } from '../importer/upsert-batch.ts';
import { fromFieldErrors, type UserError } from './user-errors.ts';

export interface WriteDatabase {
  pool: pg.Pool;
  embedded?: boolean;
  /** The plausible salary range (rule salaryImplausible); the importer's default when undefined. */
  salaryBounds?: SalaryBounds;
  /** statement_timeout of the service's write transactions (SET LOCAL). */
  writeStatementTimeoutMs?: number;
}

/** How a write treats a row whose key (source, externalId) is stored already. */
export type WriteMode = 'create' | 'replace';

export type RowWrite = { id: number; userErrors: [] } | { id: null; userErrors: UserError[] };

/** The BEGIN of the service's write transactions: its statement timeout per transaction, which holds behind a pooler too. */
export function beginWrite(db: WriteDatabase): string {
  return db.writeStatementTimeoutMs
    ? `BEGIN; SET LOCAL statement_timeout = ${Math.floor(db.writeStatementTimeoutMs)}`
    : 'BEGIN';
}

/** A mutation's values as import values: an instant as its ISO text (what a file holds); undefined fields are left out. */
function rawRow(values: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) raw[key] = value instanceof Date ? value.toISOString() : value;
  }
  return raw;
}

const ALREADY_EXISTS: UserError[] = [
  {
    field: ['input', 'externalId'],
    rule: 'alreadyExists',
    message:
      'names a posting that exists already (same source and externalId): change it with updatePosting, or replace it with upsertPosting',
  },
];

/** Whether a row with the key exists ($1 source, $2 externalId). */
const EXISTS_SQL: Record<UpsertKind, string> = {
  postings: 'SELECT 1 FROM posting WHERE source = $1 AND external_id = $2',
  observations: 'SELECT 1 FROM salary_observation WHERE source = $1 AND external_id = $2 AND posting_id IS NULL',
};

/**
 * Writes one row with the import's rules and statements (validate + upsertBatch), in one
 * transaction: a broken rule is returned as user errors and nothing is written. `create` refuses a
 * row whose key exists (rule alreadyExists), found by the upsert itself, so two concurrent creates
 * cannot both succeed (a lookup first spares the usual case the upsert and its rollback);
 * `replace` replaces it, as a re-import would.
 */
export async function writeRow(
  db: WriteDatabase,
  kind: UpsertKind,
  values: Record<string, unknown>,
  mode: WriteMode,
): Promise<RowWrite> {
  const client = await db.pool.connect();
  let inTransaction = false;
  let broken = false;
  try {
    const validated = validate(kind, rawRow(values), await loadValidationContext(client));
    if (!validated.ok) return { id: null, userErrors: fromFieldErrors(validated.errors) };
    if (mode === 'create') {
      const { source, externalId } = validated.value;
      if ((await client.query(EXISTS_SQL[kind], [source, externalId])).rowCount)
        return { id: null, userErrors: ALREADY_EXISTS };
    }
    inTransaction = true;
    const bounds = db.salaryBounds ?? DEFAULT_SALARY_BOUNDS;
    const result = await upsertBatch(client, kind, [{ line: 1, row: validated.value }], {
      begin: beginWrite(db),
      bounds,
    });
    const id = result.ids.get(1);
    let userErrors: UserError[] = [];
    if (result.implausible.length > 0) {
      const errors = result.implausible.map((b) => ({
        field: b.field,
        value: String(b.value),
        rule: 'salaryImplausible',
        message: implausibleMessage(b.usd, bounds),
      }));
      userErrors = fromFieldErrors(errors);
    } else if (mode === 'create' && result.inserted === 0) userErrors = ALREADY_EXISTS;
    else if (id === undefined)
      throw new Error(`the ${kind} row ${JSON.stringify(values.externalId)} was written but cannot be found`);
    inTransaction = false;
    await client.query(userErrors.length > 0 ? 'ROLLBACK' : 'COMMIT');
    return userErrors.length > 0 || id === undefined ? { id: null, userErrors } : { id, userErrors: [] };
  } catch (error) {
    if (inTransaction) await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken ? true : undefined);
  }
}
