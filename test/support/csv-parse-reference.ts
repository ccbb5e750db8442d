import { pipeline, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { ImportFileError } from '../../src/importer/import-file-error.ts';
import { csvProblem, type SourceRecord } from '../../src/importer/read-records.ts';

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
 * The records of a CSV as csv-parse reads it, with the options the importer's scanner mirrors:
 * the independent reference that test/importer/csv-scanner.test.ts compares the scanner with.
 * (It was the importer's second parser, for UTF-16LE; the scanner now reads UTF-16 itself.)
 */
export async function* csvParseRecords(
  source: AsyncIterable<Buffer> | Readable,
  fileName: string,
): AsyncGenerator<SourceRecord> {
  let columns: string[] | null = null;
  const record = (cells: string[], line: number): SourceRecord => {
    const cols = columns ?? [];
    const values: Record<string, unknown> = {};
    for (let i = 0; i < cols.length; i++) values[cols[i] as string] = cells[i];
    const r: SourceRecord = { line, values, cells };
    if (cells.length !== cols.length) {
      const message = `has ${cells.length} fields but the header has ${cols.length}`;
      r.problem = { field: '(record)', value: `${cells.length} fields`, rule: 'columnCount', message };
    }
    return r;
  };
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
      if (columns === null) {
        columns = cells.map((c) => c.trim());
        continue;
      }
      yield record(cells, line);
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const err = error as NodeJS.ErrnoException;
    if (error instanceof CsvError) {
      const raw = (error as CsvError & { raw?: unknown }).raw;
      const line = linesDone + 1 + (typeof raw === 'string' ? leadingBreaks(raw).lines : 0);
      const what = csvProblem(error.code);
      throw new ImportFileError(
        fileName,
        line,
        `${what} in the record starting on this line (${error.code}: ${error.message})`,
      );
    }
    throw new ImportFileError(fileName, null, `cannot be read: ${err.message}`);
  }
}
