import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One column of a staging table and how a validated row fills it (text in PostgreSQL's input syntax, or null). */
export interface StageColumn<T> {
  name: string;
  /** PostgreSQL type of the column, e.g. `text`, `float8`, `"SalaryPeriod"`. */
  type: string;
  value(row: T): string | null;
}

/**
 * A validated row and the line on which its record starts: the row itself, or (for COPY) only
 * its line of COPY text, prepared ahead of the load, which keeps a batch's memory small.
 */
export type StagedRow<T> =
  | { line: number; row: T; copyLine?: undefined }
  | { line: number; row?: undefined; copyLine: string };

function rowOf<T>(staged: StagedRow<T>): T {
  if (staged.row === undefined) throw new Error('a row staged as COPY text cannot be loaded with unnest');
  return staged.row;
}

/**
 * One batch's rows as COPY text in one growing byte buffer, reused from batch to batch: a batch
 * then leaves no strings or objects on V8's heap to outlive young-generation collections (which
 * used to fill the old generation with a batch's worth of garbage every batch, up to several
 * hundred MB of RSS before V8 collected it). A row that a later row of the same key replaces is
 * marked superseded and skipped when the batch is sent.
 */
export class CopyBuffer {
  private bytes = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  /** Byte offset at which each row starts (small integers: no heap object per row). */
  private starts: number[] = [];
  private superseded: number[] = [];
  /** Rows appended since the last clear (superseded ones included). */
  get rows(): number {
    return this.starts.length;
  }

  /** Appends one row's COPY line; returns its index, for `supersede`. */
  append(text: string): number {
    const needed = this.used + Buffer.byteLength(text, 'utf8');
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.starts.push(this.used);
    this.used += this.bytes.write(text, this.used, 'utf8');
    return this.starts.length - 1;
  }

  /** Leaves row `index` out of the batch (a later row with the same key replaced it). */
  supersede(index: number): void {
    this.superseded.push(index);
  }

  /** The live rows' bytes, in runs between superseded rows (views of the buffer, valid until the next clear). */
  *chunks(): Generator<Buffer> {
    const skip = [...this.superseded].sort((a, b) => a - b);
    let from = 0;
    for (const index of skip) {
      const start = this.starts[index] as number;
      if (start > from) yield this.bytes.subarray(from, start);
      from = this.starts[index + 1] ?? this.used;
    }
    if (this.used > from) yield this.bytes.subarray(from, this.used);
  }

  clear(): void {
    this.used = 0;
    this.starts = [];
    this.superseded = [];
  }
}

let uniqueCounter = 0;

/**
 * A TEMP table that receives one batch of validated rows before the set-based upserts read it.
 * It lives for one transaction (ON COMMIT DROP) and each batch empties it first, so that no
 * state outlives a transaction: behind a pooler in transaction mode the next transaction may
 * run on another server connection. The `line` column keeps the file line.
 */
export class StagingTable<T> {
  constructor(
    readonly name: string,
    readonly columns: readonly StageColumn<T>[],
  ) {}

  /**
   * The same table under a name of its own: the embedded PGlite has one session for every
   * connection (the service's and the CLIs'), so two imports must not share a TEMP table.
   */
  unique(): StagingTable<T> {
    return new StagingTable(`${this.name}_${process.pid}_${(uniqueCounter += 1)}`, this.columns);
  }

  /** Creates the table in the current transaction unless this transaction already has it. */
  createSql(): string {
    const cols = this.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    return `CREATE TEMP TABLE IF NOT EXISTS ${this.name} (line int NOT NULL, ${cols}) ON COMMIT DROP`;
  }

  /**
   * Empties the table and loads `rows`, with COPY FROM STDIN (text format) when `copy`, else with
   * one INSERT ... SELECT FROM unnest($1::int[], $2::text[], ...). Both send every value as the
   * same text through the same type input functions, so both fill the table identically.
   * `before` (e.g. BEGIN) is sent in the same round trip as the CREATE and the TRUNCATE; the
   * caller is in a transaction by then.
   */
  async load(
    client: pg.ClientBase,
    rows: readonly StagedRow<T>[] | CopyBuffer,
    copy: boolean,
    before?: string,
  ): Promise<void> {
    await client.query(`${before ? `${before}; ` : ''}${this.createSql()}; TRUNCATE ${this.name}`);
    if (rows instanceof CopyBuffer ? rows.rows === 0 : rows.length === 0) return;
    const names = ['line', ...this.columns.map((c) => c.name)].join(', ');
    if (rows instanceof CopyBuffer || copy) {
      const stream = client.query(copyFrom(`COPY ${this.name} (${names}) FROM STDIN`));
      await pipeline(Readable.from(rows instanceof CopyBuffer ? rows.chunks() : this.copyChunks(rows)), stream);
    } else {
      const arrays: (string | number | null)[][] = [rows.map((r) => r.line)];
      for (const column of this.columns) arrays.push(rows.map((r) => column.value(rowOf(r))));
      const unnest = ['int', ...this.columns.map((c) => c.type)].map((type, i) => `$${i + 1}::${type}[]`).join(', ');
      await client.query(`INSERT INTO ${this.name} (${names}) SELECT * FROM unnest(${unnest})`, arrays);
    }
  }

  /** One row as a line of COPY text format (tab-separated, newline-terminated). */
  copyLine(row: T, line: number): string {
    // Joined rather than concatenated: one flat string instead of a tree of some 40 pieces that
    // would be flattened (and collected) later, which cost more than making the values.
    const columns = this.columns;
    const parts = new Array<string>(columns.length + 1);
    parts[0] = String(line);
    for (let i = 0; i < columns.length; i++) parts[i + 1] = copyText((columns[i] as StageColumn<T>).value(row));
    parts[columns.length] += '\n';
    return parts.join('\t');
  }

  /** The rows in COPY text format, in chunks of about 1 MB. */
  private *copyChunks(rows: readonly StagedRow<T>[]): Generator<string> {
    let chunk = '';
    for (const staged of rows) {
      chunk += staged.copyLine ?? this.copyLine(rowOf(staged), staged.line);
      if (chunk.length >= 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
}

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value in COPY's text format: \N for NULL, backslash, newline, carriage return and tab escaped. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c] as string) : value;
}
