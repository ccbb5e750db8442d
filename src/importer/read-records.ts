import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { CsvScanner, CsvScanError, type ScannedRecord } from './csv-scanner.ts';
import type { FieldError } from '../domain/field-rules.ts';
import type { ImportFormat } from './import-types.ts';
import { ImportFileError } from './import-file-error.ts';
import { INVALID_UTF8, Utf8Marker } from './utf8-marker.ts';

/** A lone UTF-16 surrogate: what an invalid UTF-8 byte becomes (Utf8Marker), or a JSON escape such as "\udfff". */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The invalidUtf8 problem of a field whose text held invalid bytes (shown as U+FFFD). */
function invalidUtf8(field: string, text: string): FieldError {
  return {
    field,
    value: text.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD').slice(0, 200),
    rule: 'invalidUtf8',
    message: "is not valid UTF-8 text (the bad bytes are shown as \uFFFD); fix the file's encoding",
  };
}

/** One record of the input, before validation. */
export interface SourceRecord {
  /** Line on which the record starts (CSV: the header is line 1; NDJSON: the first line is 1). */
  line: number;
  /** Values by field name: CSV cells (strings) by header column, or the JSON object's values. */
  values: Record<string, unknown>;
  /** The record as read, for the errors file: CSV cells in header order, or the JSON object. */
  cells: string[] | null;
  /** The raw text of an NDJSON line that is not a JSON object (for the errors file). */
  rawLine?: string;
  /** Set when the record as a whole is unusable (bad JSON, not an object, wrong number of cells). */
  problem?: FieldError;
  /** Further problems of the same record (a JobPosting without title and employer). */
  moreProblems?: FieldError[];
  /** For JobPosting inputs read whole (HTML, JSON, folders): the file and the posting's 1-based position in it. */
  file?: string;
  index?: number;
}

/** Counts the bytes that flow through (for progress), passing them on unchanged. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/** What a csv-parse error code means, in words (the scanner reports csv-parse's codes). */
export function csvProblem(code: string): string {
  return code === 'CSV_QUOTE_NOT_CLOSED'
    ? 'unterminated quoted field'
    : code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'
      ? 'a closing quote is followed by a character other than a comma or a line break'
      : code === 'INVALID_OPENING_QUOTE'
        ? 'a quote appears inside an unquoted field'
        : 'malformed CSV';
}

/**
 * Streams the records of a CSV (RFC 4180, header row, optional BOM) or NDJSON input. Memory stays
 * bounded by the stream's buffers and one record. A file that cannot be read or a CSV that cannot
 * be parsed throws ImportFileError naming the file and the line.
 */
export class RecordReader {
  /** CSV header names (trimmed), known once the first record has been read; null for NDJSON. */
  columns: string[] | null = null;
  private readonly counter = new ByteCounter();

  constructor(
    private readonly input: Readable,
    private readonly format: ImportFormat,
    private readonly fileName: string,
  ) {}

  /** Bytes consumed from the input so far. */
  get bytes(): number {
    return this.counter.bytes;
  }

  records(): AsyncGenerator<SourceRecord> {
    return this.format === 'csv' ? this.csvRecords() : this.ndjsonRecords();
  }

  /** The record of a row of cells (after the header), with a columnCount problem if its width is wrong. */
  private record(cells: string[], line: number): SourceRecord {
    const columns = this.columns as string[];
    const values: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) values[columns[i] as string] = cells[i];
    const record: SourceRecord = { line, values, cells };
    const bad = cells.findIndex((cell) => cell.includes(INVALID_UTF8));
    if (bad >= 0) {
      record.problem = invalidUtf8(columns[bad] ?? `(column ${bad + 1})`, cells[bad] as string);
      record.cells = cells.map((cell) => cell.replace(new RegExp(INVALID_UTF8, 'g'), '\uFFFD'));
    } else if (cells.length !== columns.length) {
      record.problem = {
        field: '(record)',
        value: `${cells.length} fields`,
        rule: 'columnCount',
        message: `has ${cells.length} fields but the header has ${columns.length}`,
      };
    }
    return record;
  }

  /**
   * CSV records from the fast scanner (csv-scanner.ts), decoded as UTF-8, or as UTF-16 when the
   * input starts with a UTF-16 byte-order mark (FF FE little-endian, FE FF big-endian).
   */
  private async *csvRecords(): AsyncGenerator<SourceRecord> {
    const chunks = this.counter as AsyncIterable<Buffer>;
    pipeline(this.input, this.counter, () => undefined);
    const iterator = chunks[Symbol.asyncIterator]();
    let first: IteratorResult<Buffer>;
    try {
      first = await iterator.next();
      // Wait for two bytes to tell a UTF-16 BOM.
      while (!first.done && first.value.length < 2) {
        const more = await iterator.next();
        if (more.done) break;
        first = { done: false, value: Buffer.concat([first.value, more.value]) };
      }
    } catch (error) {
      throw new ImportFileError(this.fileName, null, `cannot be read: ${(error as Error).message}`);
    }
    async function* rest(): AsyncGenerator<Buffer> {
      if (!first.done) yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }
    const bom = first.done ? -1 : ((first.value[0] ?? 0) << 8) | (first.value[1] ?? 0);
    const utf16 = bom === 0xfffe ? 'utf-16le' : bom === 0xfeff ? 'utf-16be' : null;
    // TextDecoder consumes the BOM; a lone byte at a chunk's end waits for the next chunk.
    // UTF-8 goes through Utf8Marker, so that invalid bytes reject their record (rule invalidUtf8).
    const decoder = utf16 ? new TextDecoder(utf16) : new Utf8Marker();
    const decode = (chunk: Buffer): string =>
      decoder instanceof TextDecoder ? decoder.decode(chunk, { stream: true }) : decoder.write(chunk);
    const flush = (): string => (decoder instanceof TextDecoder ? decoder.decode() : decoder.end());
    const scanner = new CsvScanner();
    const self = this;
    function* emit(scanned: ScannedRecord[]): Generator<SourceRecord> {
      for (const { cells, line } of scanned) {
        if (self.columns === null) {
          self.columns = cells.map((c) => c.trim());
          continue;
        }
        yield self.record(cells, line);
      }
    }
    try {
      for await (const chunk of rest()) yield* emit(scanner.push(decode(chunk)));
      yield* emit(scanner.push(flush()));
      yield* emit(scanner.end());
    } catch (error) {
      if (error instanceof ImportFileError) throw error;
      if (error instanceof CsvScanError) {
        throw new ImportFileError(
          this.fileName,
          error.line,
          `${csvProblem(error.code)} in the record starting on this line (${error.code}: ${error.message})`,
        );
      }
      throw new ImportFileError(this.fileName, null, `cannot be read: ${(error as Error).message}`);
    }
  }

  private async *ndjsonRecords(): AsyncGenerator<SourceRecord> {
    const decoder = new Utf8Marker();
    let pending = '';
    let lineNo = 0;
    let first = true;
    pipeline(this.input, this.counter, () => undefined);
    const self = this;
    function* lines(text: string, final: boolean): Generator<SourceRecord> {
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        if (nl < 0) break;
        yield* self.ndjsonLine(text.slice(from, nl), ++lineNo, first);
        first = false;
        from = nl + 1;
      }
      pending = text.slice(from);
      if (final && pending !== '') {
        yield* self.ndjsonLine(pending, ++lineNo, first);
        pending = '';
      }
    }
    try {
      for await (const chunk of this.counter as AsyncIterable<Buffer>) {
        yield* lines(pending + decoder.write(chunk), false);
      }
      yield* lines(pending + decoder.end(), true);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      throw new ImportFileError(this.fileName, lineNo + 1, `cannot be read: ${err.message}`);
    }
  }

  private *ndjsonLine(text: string, line: number, first: boolean): Generator<SourceRecord> {
    let body = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (first && body.charCodeAt(0) === 0xfeff) body = body.slice(1);
    if (body.trim() === '') return;
    if (body.includes(INVALID_UTF8)) {
      const shown = body.replace(new RegExp(INVALID_UTF8, 'g'), '\uFFFD');
      yield { line, values: {}, cells: null, rawLine: shown, problem: invalidUtf8('(record)', body) };
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      yield {
        line,
        values: {},
        cells: null,
        rawLine: body,
        problem: {
          field: '(record)',
          value: body.slice(0, 200),
          rule: 'json',
          message: `is not valid JSON: ${(error as Error).message}`,
        },
      };
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      yield {
        line,
        values: {},
        cells: null,
        rawLine: body,
        problem: { field: '(record)', value: body.slice(0, 200), rule: 'object', message: 'must be a JSON object' },
      };
      return;
    }
    const values = parsed as Record<string, unknown>;
    const bad = Object.entries(values).find(([, v]) => typeof v === 'string' && LONE_SURROGATE.test(v));
    if (bad) {
      yield { line, values: {}, cells: null, rawLine: body, problem: invalidUtf8(bad[0], bad[1] as string) };
      return;
    }
    yield { line, values, cells: null };
  }
}
