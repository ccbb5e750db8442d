import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Parser } from 'htmlparser2';
import type { FieldError } from '../domain/field-rules.ts';
import { ImportFileError } from './import-file-error.ts';
import { jobPostingRow, jobPostingsIn } from './raw/job-posting.ts';
import { RecordReader, type SourceRecord } from './read-records.ts';

const FILE_EXTENSIONS = new Set(['.html', '.htm', '.json', '.jsonld', '.ndjson', '.jsonl']);

function toRecord(value: unknown, line: number, where: { file?: string; index?: number }): SourceRecord {
  const mapped = jobPostingRow(value);
  if ('errors' in mapped) {
    const [problem, ...more] = mapped.errors as [FieldError, ...FieldError[]];
    return {
      line,
      values: {},
      cells: null,
      rawLine: JSON.stringify(value)?.slice(0, 2000) ?? '',
      problem,
      moreProblems: more,
      ...where,
    };
  }
  return { line, values: mapped.row, cells: null, ...where };
}

const lineAt = (text: string, index: number): number => {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/** Lines on which the elements of a top-level JSON array start (a string-aware bracket scan). */
function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let inString = false;
  let line = 1;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (depth === 1 && expecting && c !== undefined && !/\s/.test(c) && c !== ',' && c !== ']') {
      lines.push(line);
      expecting = false;
    }
    if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expecting = true;
  }
  return lines;
}

/** The JobPostings of one HTML page: every <script type="application/ld+json"> block. */
function* htmlRecords(html: string, file: string): Generator<SourceRecord> {
  const blocks: { text: string; start: number }[] = [];
  let current: { text: string; start: number } | null = null;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'script' && (attributes.type ?? '').trim().toLowerCase() === 'application/ld+json')
        current = { text: '', start: parser.startIndex };
    },
    ontext(text) {
      if (current) current.text += text;
    },
    onclosetag(name) {
      if (name === 'script' && current) {
        blocks.push(current);
        current = null;
      }
    },
  });
  parser.write(html);
  parser.end();
  let index = 0;
  for (const block of blocks) {
    const line = lineAt(html, block.start);
    let parsed: unknown;
    try {
      parsed = JSON.parse(block.text);
    } catch (error) {
      yield {
        line,
        values: {},
        cells: null,
        rawLine: block.text.trim().slice(0, 2000),
        file,
        index: ++index,
        problem: {
          field: '(record)',
          value: block.text.trim().slice(0, 200),
          rule: 'json',
          message: `the ld+json block is not valid JSON: ${(error as Error).message}`,
        },
      };
      continue;
    }
    for (const posting of jobPostingsIn(parsed)) yield toRecord(posting, line, { file, index: ++index });
  }
}

function* jsonRecords(text: string, file: string): Generator<SourceRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new ImportFileError(file, null, `is not valid JSON (nor NDJSON): ${(error as Error).message}`);
  }
  if (Array.isArray(parsed)) {
    const lines = arrayElementLines(text);
    let index = 0;
    for (let i = 0; i < parsed.length; i++) {
      for (const posting of jobPostingsIn(parsed[i], true))
        yield toRecord(posting, lines[i] ?? 1, { file, index: ++index });
    }
    return;
  }
  let index = 0;
  for (const posting of jobPostingsIn(parsed)) yield toRecord(posting, 1, { file, index: ++index });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The records of a JobPosting input, whatever its container: NDJSON (one JobPosting, or a
 * JSON-LD object with @graph, a line; streamed), a JSON array or object, an HTML page with
 * <script type="application/ld+json"> blocks, or a folder of such files (in name order). The
 * container is told from the first character that is not white space (`<` HTML, `[` array,
 * `{` NDJSON when the first line is a whole JSON value, else one JSON document).
 */
export class JobPostingReader {
  readonly columns: string[] | null = null;
  private counted = 0;
  private inner: RecordReader | null = null;

  constructor(
    private readonly input: Readable | null,
    private readonly fileName: string,
    private readonly directory: string | null,
  ) {}

  get bytes(): number {
    return this.counted + (this.inner?.bytes ?? 0);
  }

  async *records(): AsyncGenerator<SourceRecord> {
    if (this.directory !== null) {
      const names = (await fs.promises.readdir(this.directory))
        .filter((n) => FILE_EXTENSIONS.has(path.extname(n).toLowerCase()))
        .sort();
      if (names.length === 0)
        throw new ImportFileError(
          this.fileName,
          null,
          'is a folder without .html, .htm, .json, .jsonld, .ndjson or .jsonl files',
        );
      for (const name of names) {
        const file = path.join(this.directory, name);
        yield* this.fromStream(fs.createReadStream(file), file);
      }
      return;
    }
    yield* this.fromStream(this.input as Readable, this.fileName);
  }

  private async *fromStream(stream: Readable, file: string): AsyncGenerator<SourceRecord> {
    const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    let head = '';
    const taken: Buffer[] = [];
    try {
      while (head.trim() === '' || (head.trimStart()[0] === '{' && !head.includes('\n'))) {
        const next = await iterator.next();
        if (next.done) break;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        taken.push(chunk);
        head += chunk.toString('utf8');
        if (head.length > 1 << 22) break;
      }
    } catch (error) {
      throw new ImportFileError(file, null, `cannot be read: ${(error as Error).message}`);
    }
    const rest = Readable.from(
      (async function* () {
        for (const chunk of taken) yield chunk;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        }
      })(),
    );
    const start = head.replace(/^\ufeff/, '').trimStart();
    const firstLine = start.split('\n', 1)[0] ?? '';
    let ndjson = false;
    if (start[0] === '{') {
      try {
        JSON.parse(firstLine);
        ndjson = true;
      } catch {
        ndjson = false;
      }
    }
    if (ndjson) {
      this.inner = new RecordReader(rest, 'ndjson', file);
      for await (const record of this.inner.records()) {
        if (record.problem) {
          yield this.directory === null ? record : { ...record, file };
          continue;
        }
        const values = record.values;
        let index = 0;
        for (const posting of jobPostingsIn(values))
          yield toRecord(posting, record.line, this.directory === null ? {} : { file, index: ++index });
      }
      this.counted += this.inner.bytes;
      this.inner = null;
      return;
    }
    const text = await readAll(rest);
    this.counted += Buffer.byteLength(text);
    if (start === '') return;
    if (start[0] === '<') yield* htmlRecords(text, file);
    else if (start[0] === '[' || start[0] === '{') yield* jsonRecords(text.trim(), file);
    else
      throw new ImportFileError(file, 1, 'is neither JSON, NDJSON nor HTML: a JobPosting file starts with {, [ or <');
  }
}
