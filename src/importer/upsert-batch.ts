import type pg from 'pg';
import { observationsKind, postingsKind, ratesKind, type ImportKindDefinition } from './import-kinds.ts';
import type { RowValidation } from '../domain/field-rules.ts';
import type { ImportKind, ImportStages, ValidationContext } from './import-types.ts';
import type { ObservationImportRow } from './observation-schema.ts';
import type { PostingImportRow } from './posting-schema.ts';
import { DEFAULT_SALARY_BOUNDS, type SalaryBounds } from '../domain/salary.ts';
import type { ImplausibleRow } from './implausible-salaries.ts';
import type { RateImportRow } from './rate-schema.ts';
import type { CopyBuffer, StagedRow, StagingTable } from './staging-table.ts';

/** Each kind's validated record. */
export interface ValidatedRows {
  postings: PostingImportRow;
  observations: ObservationImportRow;
  rates: RateImportRow;
}
/** The kinds that mutations write (the import writes rates through the same path). */
export type UpsertKind = 'postings' | 'observations';

const KINDS: { [K in ImportKind]: ImportKindDefinition<ValidatedRows[K]> } = {
  postings: postingsKind,
  observations: observationsKind,
  rates: ratesKind,
};

/** The definition of a kind (fields, schema, staging table, upsert statements). */
export function kindDefinition<K extends ImportKind>(kind: K): ImportKindDefinition<ValidatedRows[K]> {
  return KINDS[kind];
}

/** The currencies that have a rate, which the salary rules check against (USD is always known). */
export async function loadValidationContext(client: pg.ClientBase): Promise<ValidationContext> {
  const result = await client.query<{ currency: string }>(
    'SELECT DISTINCT currency::text AS currency FROM exchange_rate',
  );
  return { knownCurrencies: new Set(result.rows.map((r) => r.currency.trim())) };
}

/**
 * Validates one raw row (CSV strings or JSON values) with the kind's zod schema and field rules:
 * the one validation of the import and of the mutations, so a broken rule has the same name in both.
 */
export function validate<K extends ImportKind>(
  kind: K,
  raw: Record<string, unknown>,
  ctx: ValidationContext,
): RowValidation<ValidatedRows[K]> {
  return KINDS[kind].validate(raw, ctx);
}

export interface UpsertBatchOptions<K extends ImportKind> {
  /**
   * Stage the rows with COPY FROM STDIN (big batches; rows may then be prepared COPY text), or,
   * by default, with one parameterized INSERT ... SELECT FROM unnest(...).
   */
  copy?: boolean;
  /** The plausible salary range (rule salaryImplausible); 1,000..10,000,000 USD a year by default. */
  bounds?: SalaryBounds;
  /** Sent in the staging's first round trip, e.g. BEGIN: the batch must run inside a transaction. */
  begin?: string;
  /** Sent after the upserts in their round trip, e.g. COMMIT. */
  end?: string;
  /** Return the stored id of every row (default true); the bulk import, which needs none, skips the lookup. */
  ids?: boolean;
  /** The staging table to (re)fill; by default one of the call's own. An import fills one table batch after batch. */
  staging?: StagingTable<ValidatedRows[K]>;
  /** Return the roles of the staged rows (default false): the import refreshes their figure snapshots. */
  roles?: boolean;
  /** Seconds spent per stage, added to (the import's summary): staging, upserts, regrouping, COMMIT. */
  stages?: Pick<ImportStages, 'stage' | 'upsert' | 'group' | 'commit'>;
}

export interface UpsertBatchResult {
  inserted: number;
  updated: number;
  /** Per staged line: the id of the row stored for it (postings: posting.id; observations: salary_observation.id; rates: none). */
  ids: Map<number, number>;
  /** Rows left out because their salary is implausible once converted: one entry per offending field. */
  implausible: ImplausibleRow[];
  /** Rows whose salary, read from salaryText, was implausible and dropped (the rows were written without it). */
  textSalariesDropped: number;
  /** With options.roles: the ids of the staged rows' roles. */
  roles: number[];
}

/**
 * Sends statements (without parameters) as ONE simple query, so that they cost one round trip
 * however many there are, and reads the counts from the result that has them.
 */
async function runBatchStatements(
  client: pg.ClientBase,
  statements: readonly string[],
): Promise<{ inserted: number; updated: number; roles: number[] }> {
  const raw = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
  const counts = { inserted: 0, updated: 0, roles: [] as number[] };
  for (const result of Array.isArray(raw) ? raw : [raw]) {
    const first = result.rows?.[0] as Record<string, unknown> | undefined;
    if (first && typeof first.inserted === 'number' && typeof first.updated === 'number') {
      counts.inserted = first.inserted;
      counts.updated = first.updated;
    } else if (first && 'touched_role' in first)
      counts.roles = (result.rows as { touched_role: number }[]).map((r) => r.touched_role);
  }
  return counts;
}

/** Reads a staged line's stored id after the upsert; the staging table is still there. */
const ID_SQL: Partial<Record<ImportKind, (staging: string) => string>> = {
  postings: (s) =>
    `SELECT s.line AS staged_line, p.id AS stored_id FROM ${s} s JOIN posting p ON p.source = s.source AND p.external_id = s.external_id`,
  observations: (s) =>
    `SELECT s.line AS staged_line, o.id AS stored_id FROM ${s} s
     JOIN salary_observation o ON o.source = s.source AND o.external_id = s.external_id AND o.posting_id IS NULL`,
};

/** A batch in its staging table, implausible salaries left out, in the transaction that will write it (stageBatch). */
export interface StagedBatch<K extends ImportKind> {
  staging: StagingTable<ValidatedRows[K]>;
  implausible: ImplausibleRow[];
  textSalariesDropped: number;
}

/**
 * The first half of upsertBatch: stages the rows in a TEMP table and leaves out the implausible
 * salaries. It reads no table that a batch writes (only the staging table and exchange_rate) and
 * takes no lock that one waits for, so the import stages the next batch on a second connection
 * while the previous one is being written.
 */
export async function stageBatch<K extends ImportKind>(
  client: pg.ClientBase,
  kind: K,
  rows: readonly StagedRow<ValidatedRows[K]>[] | CopyBuffer,
  options: UpsertBatchOptions<K> = {},
): Promise<StagedBatch<K>> {
  const def: ImportKindDefinition<ValidatedRows[K]> = KINDS[kind];
  // A name of its own: the embedded PGlite has one session for every connection (staging-table.ts).
  const staging = options.staging ?? def.staging.unique();
  const bounds = options.bounds ?? DEFAULT_SALARY_BOUNDS;
  const at = process.hrtime.bigint();
  await staging.load(client, rows, options.copy ?? false, options.begin);
  let textSalariesDropped = 0;
  if (def.implausibleTextSql) {
    const { rowCount } = await client.query(def.implausibleTextSql(staging.name), [
      bounds.minUsdPerYear,
      bounds.maxUsdPerYear,
    ]);
    textSalariesDropped = rowCount ?? 0;
  }
  let implausible: ImplausibleRow[] = [];
  if (def.implausibleSql) {
    implausible = (
      await client.query<ImplausibleRow>(def.implausibleSql(staging.name), [bounds.minUsdPerYear, bounds.maxUsdPerYear])
    ).rows;
  }
  if (options.stages) options.stages.stage += Number(process.hrtime.bigint() - at) / 1e9;
  return { staging, implausible, textSalariesDropped };
}

/**
 * The second half of upsertBatch: upserts a staged batch, regroups and (with `end`) commits, on
 * the connection that staged it.
 */
export async function writeStagedBatch<K extends ImportKind>(
  client: pg.ClientBase,
  kind: K,
  staged: StagedBatch<K>,
  options: UpsertBatchOptions<K> = {},
): Promise<UpsertBatchResult> {
  const def: ImportKindDefinition<ValidatedRows[K]> = KINDS[kind];
  const { staging, implausible, textSalariesDropped } = staged;
  const idSql = (options.ids ?? true) ? ID_SQL[kind] : undefined;
  const stages = options.stages;
  let at = process.hrtime.bigint();
  const lap = (stage: keyof NonNullable<typeof stages>): void => {
    const now = process.hrtime.bigint();
    if (stages) stages[stage] += Number(now - at) / 1e9;
    at = now;
  };
  const steps = def.upsertSteps?.(staging.name) ?? { upsert: def.upsertSql(staging.name), group: [] };
  // The roles ride in the upserts' round trip (the staging table is still there).
  const touched = options.roles ? def.touchedRolesSql?.(staging.name) : undefined;
  const { inserted, updated, roles } = await runBatchStatements(client, [
    ...steps.upsert,
    ...(touched ? [touched] : []),
  ]);
  lap('upsert');
  const ids = new Map<number, number>();
  // The regrouping and the ids lookup share a round trip; the COMMIT is its own (timed apart).
  const after = [...steps.group, ...(idSql ? [idSql(staging.name)] : [])];
  if (after.length > 0) {
    const raw = (await client.query(after.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
    for (const result of Array.isArray(raw) ? raw : [raw]) {
      const first = result.rows?.[0] as Record<string, unknown> | undefined;
      if (first && 'stored_id' in first) {
        for (const row of result.rows as { staged_line: number; stored_id: number }[])
          ids.set(row.staged_line, row.stored_id);
      }
    }
    lap('group');
  }
  if (options.end) {
    await client.query(options.end);
    lap('commit');
  }
  return { inserted, updated, ids, implausible, textSalariesDropped, roles };
}

/**
 * Writes already-validated rows (keys unique within the batch) with the import's own statements
 * (upsert-postings.ts, upsert-observations.ts): stages them in a TEMP table, leaves out the
 * implausible salaries, upserts, and returns the counts and the stored ids. The caller is in a
 * transaction by the first statement (or passes `begin`), and commits it (or passes `end`).
 */
export async function upsertBatch<K extends ImportKind>(
  client: pg.ClientBase,
  kind: K,
  rows: readonly StagedRow<ValidatedRows[K]>[] | CopyBuffer,
  options: UpsertBatchOptions<K> = {},
): Promise<UpsertBatchResult> {
  return writeStagedBatch(client, kind, await stageBatch(client, kind, rows, options), options);
}
