import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { rawText, type FieldError } from '../domain/field-rules.ts';
import { ErrorsFile } from './errors-file.ts';
import { ImportFileError } from './import-file-error.ts';
import type {
  ImportFormat,
  ImportInput,
  ImportKind,
  ImportOptions,
  ImportSummary,
  RowError,
  ValidationContext,
} from './import-types.ts';
import { JobPostingReader } from './job-posting-reader.ts';
import type { PostingImportRow } from './posting-schema.ts';
import { RawPostingPipeline } from './raw-postings.ts';
import { RecordReader, type SourceRecord } from './read-records.ts';
import { DEFAULT_SALARY_BOUNDS, implausibleMessage, type SalaryBounds } from '../domain/salary.ts';
import { CopyBuffer, type StagedRow } from './staging-table.ts';
import { supportsCopy } from './supports-copy.ts';
import { IMPORT_KINDS } from './import-types.ts';
import {
  kindDefinition,
  loadValidationContext,
  stageBatch,
  validate,
  writeStagedBatch,
  type ValidatedRows,
} from './upsert-batch.ts';
import { notifyImportFinished } from './import-listeners.ts';
import { refreshFigureSnapshots, type SnapshotSettings } from '../stats/figure-snapshots.ts';

export type { ImportOptions, ImportSummary, RowError } from './import-types.ts';

export const DEFAULT_BATCH_SIZE = 10_000;
const DEFAULT_MAX_ERRORS = 1000;
const PROGRESS_EVERY = 1000;
const YIELD_EVERY = 200;

/** The format named by a path's extension: .ndjson and .jsonl are NDJSON, .html, .htm, .jsonld and folders JobPosting, anything else CSV. */
export function formatFromPath(file: string): ImportFormat {
  // A folder can only be a folder of JobPosting pages.
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) return 'jobposting';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.html' || ext === '.htm' || ext === '.jsonld') return 'jobposting';
  return ext === '.ndjson' || ext === '.jsonl' ? 'ndjson' : 'csv';
}

async function openInput(
  input: ImportInput,
  fileName: string,
  allowDirectory = false,
): Promise<Readable | { directory: string }> {
  if (input === '-') return process.stdin;
  if (typeof input === 'string') {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(input);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      throw new ImportFileError(
        fileName,
        null,
        err.code === 'ENOENT' ? 'no such file' : `cannot be read: ${err.message}`,
      );
    }
    if (stat.isDirectory()) {
      if (allowDirectory) return { directory: input };
      throw new ImportFileError(fileName, null, 'is a directory, not a file');
    }
    try {
      await fs.promises.access(input, fs.constants.R_OK);
    } catch (error) {
      throw new ImportFileError(fileName, null, `cannot be read: ${(error as Error).message}`);
    }
    return fs.createReadStream(input, { highWaterMark: 1 << 20 });
  }
  return input instanceof Readable ? input : new Readable().wrap(input);
}

/** What the import needs of a database (src/db/database.ts' Database has it all). */
export interface ImportDatabase {
  pool: pg.Pool;
  embedded?: boolean;
  salaryBounds?: SalaryBounds;
  writeStatementTimeoutMs?: number;
  /** The read sessions' work_mem and JIT setting, which the figure snapshots' computation takes too. */
  sessionSettings?: SnapshotSettings;
}

/**
 * Imports a postings, observations or rates file (CSV or NDJSON, a path, '-' for stdin, or a
 * stream). Rows are streamed, validated with the shared zod schemas, de-duplicated per batch
 * (last occurrence wins), loaded into a TEMP staging table (COPY, or unnest on embedded PGlite)
 * and upserted set-based, each batch in its own transaction (or all in one with `atomic`).
 * Parsing the next batch, and on a server staging it on a second connection, overlaps writing the
 * previous one; the writes run one at a time, in file order. Invalid rows are reported, not
 * written. Throws ImportFileError when the input cannot be read or parsed as a whole.
 */
export async function importFile(
  db: ImportDatabase,
  kind: ImportKind,
  input: ImportInput,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  if (!IMPORT_KINDS.includes(kind))
    throw new Error(`unknown import kind ${JSON.stringify(kind)}: expected postings, observations or rates`);
  const summary = await runImport(kind, db, input, options);
  notifyImportFinished(summary); // e.g. the import totals of /metrics, wired by src/main.ts
  return summary;
}

async function runImport<K extends ImportKind>(
  kind: K,
  db: ImportDatabase,
  input: ImportInput,
  options: ImportOptions,
): Promise<ImportSummary> {
  type T = ValidatedRows[K];
  const def = kindDefinition(kind);
  const started = process.hrtime.bigint();
  const fileName = options.fileName ?? (input === '-' ? 'stdin' : typeof input === 'string' ? input : 'input');
  const format = options.format ?? (typeof input === 'string' && input !== '-' ? formatFromPath(input) : 'csv');
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;
  const dryRun = options.dryRun ?? false;
  const atomic = options.atomic ?? false;
  const bounds = options.salaryBounds ?? db.salaryBounds ?? DEFAULT_SALARY_BOUNDS;
  const summary: ImportSummary = {
    kind: def.kind,
    read: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    seconds: 0,
    errors: [],
    warnings: [],
    missingRates: {},
    dryRun,
    atomic,
    rolledBack: false,
    stages: { read: 0, validate: 0, stage: 0, upsert: 0, group: 0, commit: 0, figures: 0, waited: 0 },
  };
  const stages = summary.stages;
  const since = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

  const staging = def.staging.unique();
  const raw = def.kind === 'postings' ? new RawPostingPipeline(options) : null;
  if (!raw && format === 'jobposting') {
    throw new ImportFileError(
      fileName,
      null,
      `${def.kind} files are CSV or NDJSON files: JobPosting input and folders are for postings`,
    );
  }
  if (
    !raw &&
    (options.columns ||
      options.source !== undefined ||
      options.expireAfterDays !== undefined ||
      format === 'jobposting')
  ) {
    throw new Error('--columns, --source, --expire-after and --format jobposting are for postings files');
  }
  if (format === 'jobposting' && options.columns)
    throw new ImportFileError(
      fileName,
      null,
      'a column map (--columns) is for CSV and NDJSON files; JobPosting fields have fixed names',
    );
  const opened = await openInput(input, fileName, format === 'jobposting');
  const stream = opened instanceof Readable ? opened : null;
  const reader: { columns: string[] | null; bytes: number; records(): AsyncGenerator<SourceRecord> } =
    format === 'jobposting'
      ? new JobPostingReader(stream, fileName, stream === null ? (opened as { directory: string }).directory : null)
      : new RecordReader(stream as Readable, format, fileName);
  let errorsFile: ErrorsFile | undefined;
  let client: pg.PoolClient | undefined;
  let clientBroken = false;
  // The second connection of a pipelined import, which stages every other batch (see flush).
  let second: pg.PoolClient | undefined;
  let secondBroken = false;
  let inTransaction = false;
  // Per connection: its last batch, settled (never rejected) once written or rolled back.
  let idle: (Promise<void> | undefined)[] = [];
  // The roles of the rows written: their figure snapshots are refreshed once the rows are committed.
  const touchedRoles = new Set<number>();

  try {
    if (options.errorsFile) errorsFile = await ErrorsFile.open(options.errorsFile);
    // The service's writes get its statement timeout per transaction (SET LOCAL), which also holds
    // behind a pooler in transaction mode; the command-line import has none (long files).
    // JIT is off for the import's transactions: PostgreSQL cannot estimate the staging table (never
    // analyzed), and compiling the plans of its set-based statements took seconds a batch for
    // statements that run in milliseconds (most of the import's time, measured).
    const begin = `BEGIN; SET LOCAL jit = off${db.writeStatementTimeoutMs ? `; SET LOCAL statement_timeout = ${Math.floor(db.writeStatementTimeoutMs)}` : ''}`;
    client = await db.pool.connect();
    const conn = client;
    const copy = options.copy ?? (db.embedded ? false : await supportsCopy(conn));
    const ctx: ValidationContext = def.needsCurrencies
      ? await loadValidationContext(conn)
      : { knownCurrencies: new Set() };
    if (atomic && !dryRun) {
      await conn.query(begin);
      inTransaction = true;
    }
    // Batches in their own transactions, on a server: staging a batch (COPY into a TEMP table and
    // the salary checks) reads nothing that a batch writes, so the next batch is staged on a
    // second connection while the previous one is written. Writes stay in file order, one at a
    // time: a batch's upserts start once the previous batch has committed. The embedded database
    // has one connection, and an atomic import one transaction.
    const pipelined = !atomic && !dryRun && !db.embedded && (db.pool.options.max ?? 10) >= 2;
    if (pipelined) second = await db.pool.connect();
    const connections = second ? [conn, second] : [conn];
    idle = connections.map(() => undefined);
    let dispatched = 0;
    // The last batch dispatched, settled once it is committed (or has failed and rolled back).
    let pending: Promise<void> | undefined;
    let failed: { error: unknown } | undefined;

    // One batch, through the row writer that the mutations use too (upsert-batch.ts): BEGIN with
    // the staging, then, once the batch before it has committed (`previous`), the upserts in one
    // round trip, the regrouping in another, the COMMIT (each timed as its stage). `staged` is
    // called when the rows are in the staging table (their buffer may take other rows).
    const write = async (
      on: pg.PoolClient,
      rows: StagedRow<T>[] | CopyBuffer,
      valid: number,
      previous: Promise<void> | undefined,
      staged: () => void,
    ): Promise<void> => {
      const batchOptions = {
        copy,
        bounds,
        staging,
        ids: false,
        roles: true,
        stages,
        ...(atomic ? {} : { begin, end: 'COMMIT' }),
      };
      try {
        const batch = rows as StagedRow<ValidatedRows[typeof kind]>[] | CopyBuffer;
        const inStaging = await stageBatch(on, kind, batch, batchOptions);
        staged();
        if (previous) await previous;
        const counts = await writeStagedBatch(on, kind, inStaging, batchOptions);
        // Salaries outside the plausible range are only known once converted at the rates the
        // database holds: such rows were left out of the batch and are reported, not written.
        if (counts.textSalariesDropped > 0 && raw) {
          raw.counts.salaryTextUnreadable.implausible =
            (raw.counts.salaryTextUnreadable.implausible ?? 0) + counts.textSalariesDropped;
        }
        const lines = new Set<number>();
        for (const b of counts.implausible) {
          lines.add(b.line);
          const error: RowError = {
            line: b.line,
            externalId: b.external_id,
            field: b.field,
            value: String(b.value),
            rule: 'salaryImplausible',
            message: implausibleMessage(b.usd, bounds),
          };
          if (summary.errors.length < maxErrors) summary.errors.push(error);
          await errorsFile?.add(reader.columns ?? def.fields, [], [error]);
        }
        for (const id of counts.roles) touchedRoles.add(id);
        summary.rejected += lines.size;
        valid -= lines.size;
        summary.inserted += counts.inserted;
        summary.updated += counts.updated;
        summary.unchanged += valid - counts.inserted - counts.updated;
      } catch (error) {
        staged();
        if (!atomic)
          await on.query('ROLLBACK').catch(() => {
            if (on === conn) clientBroken = true;
            else secondBroken = true;
          });
        throw error;
      }
    };

    // The batch being filled: rows by key, so that a later duplicate replaces an earlier one. With
    // COPY, its rows are COPY text in a buffer; the buffers of batches being staged are not reused
    // until their rows are in the staging table.
    let rows: StagedRow<T>[] = [];
    const spare: CopyBuffer[] = [];
    let text = copy && !dryRun ? new CopyBuffer() : null;
    let positions = new Map<string, number>();
    let valid = 0;
    const flush = async (): Promise<void> => {
      const batch = text ?? rows;
      const count = valid;
      const previous = pending;
      const writing = dispatched % connections.length;
      const on = connections[writing] as pg.PoolClient;
      const before = idle[writing];
      rows = [];
      positions = new Map();
      valid = 0;
      // This batch's connection is free once its last batch is written; with one connection that
      // is the previous batch, so parsing the next batch overlaps writing this one.
      if (before) {
        const at = process.hrtime.bigint();
        await before;
        stages.waited += since(at);
      }
      if (failed) throw failed.error;
      // With --atomic, nothing more is worth writing once a row was rejected: it all rolls back.
      if (dryRun || count === 0 || (atomic && summary.rejected > 0)) {
        text?.clear();
        return;
      }
      const buffer = text;
      if (text) text = spare.pop() ?? new CopyBuffer();
      let released = false;
      const p = write(on, batch, count, previous, () => {
        if (released || !buffer) return;
        released = true;
        buffer.clear();
        spare.push(buffer);
      });
      pending = p;
      // Awaited by the next batch and at the end; a failure is thrown at the next flush.
      idle[writing] = p.catch((error: unknown) => {
        failed ??= { error };
      });
      dispatched += 1;
    };

    const reject = async (record: SourceRecord, errors: readonly FieldError[]): Promise<void> => {
      summary.rejected += 1;
      const externalId = raw
        ? raw.externalIdOf(record.values)
        : def.externalIdField
          ? rawText(record.values[def.externalIdField]).trim() || null
          : null;
      const where =
        record.file !== undefined
          ? { file: record.file, ...(record.index !== undefined ? { index: record.index } : {}) }
          : {};
      const rowErrors: RowError[] = errors.map((e) => ({ line: record.line, externalId, ...where, ...e }));
      for (const e of rowErrors) if (summary.errors.length < maxErrors) summary.errors.push(e);
      for (const e of errors) {
        if (e.rule === 'knownCurrency') {
          const code = e.value.trim().toUpperCase();
          summary.missingRates[code] = (summary.missingRates[code] ?? 0) + 1;
        }
      }
      if (errorsFile) {
        const columns = reader.columns ?? def.fields;
        const original =
          record.cells ?? (record.rawLine !== undefined ? [] : def.fields.map((f) => rawText(record.values[f])));
        await errorsFile.add(columns, original, rowErrors);
      }
    };

    let headerChecked = false;
    const checkHeader = (): void => {
      headerChecked = true;
      const columns = reader.columns && raw ? raw.header(reader.columns, fileName) : reader.columns;
      if (!columns) return;
      const seen = new Set<string>();
      for (const c of columns) {
        if (seen.has(c))
          throw new ImportFileError(fileName, 1, `the header names the column ${JSON.stringify(c)} twice`);
        seen.add(c);
      }
      const missing = def.requiredFields.filter((f) => !seen.has(f));
      if (missing.length > 0) {
        throw new ImportFileError(
          fileName,
          1,
          `the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
            `(a ${def.kind} file has the columns ${def.fields.join(', ')})`,
        );
      }
      const unknown = columns.filter((c) => !(def.fields as readonly string[]).includes(c));
      if (unknown.length > 0)
        summary.warnings.push(`ignored unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    };

    const unknownKeys = new Set<string>();
    // NDJSON with a column map: the keys of the first batch, to stop before writing when a mapped key never occurs.
    const firstBatchKeys = raw?.hasColumnMap && format === 'ndjson' ? new Set<string>() : null;
    for await (const record of timed(reader.records(), (seconds) => (stages.read += seconds))) {
      if (!headerChecked) checkHeader();
      summary.read += 1;
      if (summary.read % PROGRESS_EVERY === 0) options.onProgress?.({ rows: summary.read, bytes: reader.bytes });
      // Records buffered by the parser are consumed in microtasks, which would starve the
      // database callbacks of the batch being written; let them run now and then.
      if (summary.read % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      if (record.problem) {
        await reject(record, [record.problem, ...(record.moreProblems ?? [])]);
        continue;
      }
      if (firstBatchKeys) for (const key of Object.keys(record.values)) firstBatchKeys.add(key);
      if (format === 'ndjson' && unknownKeys.size < 20 && !raw?.hasColumnMap) {
        for (const key of Object.keys(record.values))
          if (!(def.fields as readonly string[]).includes(key)) unknownKeys.add(key);
      }
      const validating = process.hrtime.bigint();
      let values = record.values;
      let roleFromTitle = false;
      if (raw) {
        const prepared = raw.prepare(values);
        if ('errors' in prepared) {
          stages.validate += since(validating);
          await reject(record, prepared.errors);
          continue;
        }
        values = prepared.values;
        roleFromTitle = prepared.roleFromTitle;
      }
      const validated = validate(kind, values, ctx);
      if (!validated.ok) {
        stages.validate += since(validating);
        await reject(record, validated.errors);
        continue;
      }
      const result = raw
        ? { ok: true as const, value: raw.finish(validated.value as PostingImportRow, roleFromTitle) as T }
        : validated;
      const key = def.key(result.value);
      const at = positions.get(key);
      // The COPY text is made now, while the previous batch is being written, so that the
      // load itself only streams prepared bytes.
      if (text) {
        if (at !== undefined) text.supersede(at);
        positions.set(key, text.append(staging.copyLine(result.value, record.line)));
      } else if (at === undefined) {
        positions.set(key, rows.length);
        rows.push({ line: record.line, row: result.value });
      } else {
        rows[at] = { line: record.line, row: result.value };
      }
      stages.validate += since(validating);
      valid += 1;
      if (valid >= batchSize) {
        if (firstBatchKeys) raw?.checkKeysSeen(firstBatchKeys, fileName);
        await flush();
      }
    }
    if (firstBatchKeys) raw?.checkKeysSeen(firstBatchKeys, fileName);
    if (format === 'csv' && reader.columns === null)
      throw new ImportFileError(fileName, 1, 'is empty: a header line is expected');
    if (!headerChecked) checkHeader();
    if (unknownKeys.size > 0) summary.warnings.push(`ignored unknown keys: ${[...unknownKeys].join(', ')}`);
    const missing = Object.entries(summary.missingRates);
    if (missing.length > 0) summary.warnings.push(missingRatesWarning(missing));
    await flush();
    await Promise.all(idle);
    if (failed) throw failed.error;

    if (inTransaction) {
      inTransaction = false;
      if (summary.rejected > 0) {
        await conn.query('ROLLBACK');
        summary.rolledBack = true;
        summary.unchanged = 0;
        summary.inserted = 0;
        summary.updated = 0;
      } else {
        await conn.query('COMMIT');
      }
    }
    if (raw) summary.postings = raw.counts;
    options.onProgress?.({ rows: summary.read, bytes: reader.bytes });
    await errorsFile?.close(reader.columns ?? def.fields);
    errorsFile = undefined;
  } catch (error) {
    // Both connections' batches end (a batch whose previous one failed rolls back) before the connections go back.
    await Promise.all(idle);
    if (client && inTransaction) await client.query('ROLLBACK').catch(() => (clientBroken = true));
    await errorsFile?.close(reader.columns ?? def.fields).catch(() => undefined);
    if (stream && !stream.destroyed && stream !== process.stdin) stream.destroy();
    throw error;
  } finally {
    client?.release(clientBroken ? true : undefined);
    second?.release(secondBroken ? true : undefined);
  }
  // On a connection of its own, after the import's is back (the embedded pool may have only one).
  if (!summary.rolledBack && touchedRoles.size > 0) {
    const at = process.hrtime.bigint();
    await refreshSnapshots(db, [...touchedRoles], summary.inserted + summary.updated, summary.warnings);
    stages.figures += since(at);
  }
  // Rows rejected after conversion (salaryImplausible) are found batch by batch: file order again.
  summary.errors.sort((a, b) => a.line - b.line);
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}

/**
 * Refreshes the figure snapshots of the roles written. The rows are committed: a refresh that
 * fails leaves them without a snapshot (readers compute their figures), so it is a warning, not an error.
 */
async function refreshSnapshots(
  db: ImportDatabase,
  roleIds: number[],
  written: number,
  warnings: string[],
): Promise<void> {
  try {
    await analyzeIfGrown(db.pool, written);
    await refreshFigureSnapshots(db.pool, roleIds, {
      workMem: db.sessionSettings?.workMem,
      jitOff: db.sessionSettings?.jitOff,
      // The two connections a pipelined import held are free again (an embedded database has one).
      connections: db.embedded ? 1 : Math.min(2, db.pool.options.max ?? 10),
    });
  } catch (error) {
    warnings.push(
      `the figures of the ${roleIds.length} role(s) written were not precomputed (${(error as Error).message}): readers compute them`,
    );
  }
}

/**
 * ANALYZE of the tables the figures read, when the import wrote more than a tenth of them (or
 * they were never analyzed), as autovacuum soon would: planned without statistics, the 50 roles'
 * figures after a 1M-posting import took 155 s instead of 2.3 s (ANALYZE itself: half a second).
 */
async function analyzeIfGrown(pool: pg.Pool, written: number): Promise<void> {
  if (written < 1000) return;
  const { rows } = await pool.query<{ tuples: number }>(
    `SELECT reltuples::float8 AS tuples FROM pg_class WHERE oid = 'posting'::regclass`,
  );
  const tuples = rows[0]?.tuples ?? -1;
  if (tuples >= 0 && written < tuples / 10) return;
  await pool.query('ANALYZE posting, salary_observation');
}

/** The items of `source`, adding the seconds spent waiting for each to `add`. */
async function* timed<R>(source: AsyncIterator<R>, add: (seconds: number) => void): AsyncGenerator<R> {
  try {
    for (;;) {
      const from = process.hrtime.bigint();
      const next = await source.next();
      add(Number(process.hrtime.bigint() - from) / 1e9);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await source.return?.(undefined);
  }
}

/** One line for every currency without a rate, with the fix, instead of one per rejected row. */
export function missingRatesWarning(missing: [string, number][]): string {
  const list = missing.map(([code, rows]) => `${code} (${rows} row${rows === 1 ? '' : 's'})`).join(', ');
  return (
    `no exchange rate for ${list}: rows in these currencies were rejected. Load rates with ` +
    '`npm run import -- rates FILE` (the bundled data/exchange-rates.csv has illustrative rates, not market data), then import this file again'
  );
}
