import { StringDecoder } from 'node:string_decoder';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { CsvScanner, CsvScanError, type ScannedRecord } from './csv-scanner.ts';
import type { FieldError, ImportFormat } from './import-types.ts';
import { ImportFileError } from './import-file-error.ts';

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

/** Line breaks in `text`, counting \r\n as one and a lone \r or \n as one. */
function countLineBreaks(text: string, from: number): number {
  let n = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
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
    if (cells.length !== columns.length) {
      record.problem = {
        field: '(record)',
        value: `${cells.length} fields`,
        rule: 'columnCount',
        message: `has ${cells.length} fields but the header has ${columns.length}`,
      };
    }
    return record;
  }

  private static csvProblem(code: string): string {
    return code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'unterminated quoted field'
      : code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'
        ? 'a closing quote is followed by a character other than a comma or a line break'
        : code === 'INVALID_OPENING_QUOTE'
          ? 'a quote appears inside an unquoted field'
          : 'malformed CSV';
  }

  /**
   * CSV records from the fast scanner (csv-scanner.ts). A UTF-16LE input (BOM FF FE), which
   * csv-parse decodes as such, goes to csv-parse instead.
   */
  private async *csvRecords(): AsyncGenerator<SourceRecord> {
    const chunks = this.counter as AsyncIterable<Buffer>;
    pipeline(this.input, this.counter, () => undefined);
    const iterator = chunks[Symbol.asyncIterator]();
    let first: IteratorResult<Buffer>;
    try {
      first = await iterator.next();
      // Wait for two bytes to tell a UTF-16LE BOM.
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
    if (!first.done && first.value[0] === 0xff && first.value[1] === 0xfe) {
      yield* this.csvParseRecords(rest());
      return;
    }
    const scanner = new CsvScanner();
    const decoder = new StringDecoder('utf8');
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
      for await (const chunk of rest()) yield* emit(scanner.push(decoder.write(chunk)));
      yield* emit(scanner.push(decoder.end()));
      yield* emit(scanner.end());
    } catch (error) {
      if (error instanceof ImportFileError) throw error;
      if (error instanceof CsvScanError) {
        throw new ImportFileError(
          this.fileName,
          error.line,
          `${RecordReader.csvProblem(error.code)} in the record starting on this line (${error.code}: ${error.message})`,
        );
      }
      throw new ImportFileError(this.fileName, null, `cannot be read: ${(error as Error).message}`);
    }
  }

  /** CSV records parsed by csv-parse (the reference for csv-scanner.ts; used for UTF-16LE input). */
  async *csvParseRecords(source: AsyncIterable<Buffer> | Readable): AsyncGenerator<SourceRecord> {
    // Lines consumed by the records parsed so far: the next record starts after them (and after
    // the empty lines its raw text begins with). Counted here rather than from csv-parse's
    // info.lines, which counts a \r\n inside a quoted field as two lines.
    let linesDone = 0;
    const leadingBreaks = (raw: string): { start: number; lines: number } => {
      let start = 0;
      let lines = 0;
      while (start < raw.length && (raw[start] === '\n' || raw[start] === '\r')) {
        start += raw[start] === '\r' && raw[start + 1] === '\n' ? 2 : 1;
        lines++;
      }
      return { start, lines };
    };
    const parser = parse({
      bom: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      // Runs synchronously as each record is parsed, so that linesDone is right even when a
      // later record of the same chunk fails to parse.
      on_record: ((item: { record: string[]; raw: string }) => {
        const raw = item.raw;
        const lead = leadingBreaks(raw);
        const line = linesDone + 1 + lead.lines;
        linesDone = line - 1 + countLineBreaks(raw, lead.start);
        if (!raw.endsWith('\n') && !raw.endsWith('\r')) linesDone++;
        return { cells: item.record, line };
      }) as unknown as (record: string[]) => string[],
    });
    pipeline(source, parser, () => undefined);
    try {
      for await (const item of parser as AsyncIterable<{ cells: string[]; line: number }>) {
        const { cells, line } = item;
        if (this.columns === null) {
          this.columns = cells.map((c) => c.trim());
          continue;
        }
        yield this.record(cells, line);
      }
    } catch (error) {
      if (error instanceof ImportFileError) throw error;
      const err = error as NodeJS.ErrnoException;
      if (error instanceof CsvError) {
        const raw = (error as CsvError & { raw?: unknown }).raw;
        const line = linesDone + 1 + (typeof raw === 'string' ? leadingBreaks(raw).lines : 0);
        const what = RecordReader.csvProblem(error.code);
        throw new ImportFileError(this.fileName, line, `${what} in the record starting on this line (${error.code}: ${error.message})`);
      }
      throw new ImportFileError(this.fileName, null, `cannot be read: ${err.message}`);
    }
  }

  private async *ndjsonRecords(): AsyncGenerator<SourceRecord> {
    const decoder = new StringDecoder('utf8');
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      yield {
        line,
        values: {},
        cells: null,
        rawLine: body,
        problem: { field: '(record)', value: body.slice(0, 200), rule: 'json', message: `is not valid JSON: ${(error as Error).message}` },
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
    yield { line, values: parsed as Record<string, unknown>, cells: null };
  }
}
