import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { RecordReader } from '../../src/importer/read-records.ts';
import { seededRandom } from '../../scripts/seeded-random.ts';
import { csvParseRecords } from '../support/csv-parse-reference.ts';

/**
 * The fast CSV scanner against csv-parse (with the options the importer gives it): on generated
 * inputs, cut into chunks at random places, both must give the same records, lines and errors.
 */

type Outcome = { records: unknown[]; error: string | null };

async function collect(
  records: AsyncGenerator<{ line: number; cells: string[] | null; problem?: unknown }>,
): Promise<Outcome> {
  const out: unknown[] = [];
  try {
    for await (const r of records) out.push([r.line, r.cells, r.problem ?? null]);
  } catch (error) {
    return { records: out, error: (error as Error).message };
  }
  return { records: out, error: null };
}

function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut > from && cut < bytes.length) {
      parts.push(bytes.subarray(from, cut));
      from = cut;
    }
  }
  parts.push(bytes.subarray(from));
  return parts;
}

const withoutLine = (message: string | null): string | null =>
  message?.replace(/^f\.csv, line \d+: /, 'f.csv: ') ?? null;

async function compare(text: string | Buffer, cuts: number[] = []): Promise<void> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const fast = await collect(new RecordReader(Readable.from(chunks(bytes, cuts)), 'csv', 'f.csv').records());
  const slow = await collect(csvParseRecords(Readable.from(chunks(bytes, cuts)), 'f.csv'));
  const context = { text: bytes.toString(), cuts };
  if (slow.error === null) {
    // Same cells; lines as counted from csv-parse's own byte offsets (the reader built on
    // csv-parse miscounted some mixes of \r\n and empty lines).
    const lines = await recordStartLines(bytes);
    const expected = slow.records.map((r, i) => [lines[i + 1], (r as unknown[])[1], (r as unknown[])[2]]);
    expect({ ...context, ...fast }).toEqual({ ...context, records: expected, error: null });
    return;
  }
  // csv-parse parses a whole chunk before its records are read, so a chunk's error also drops
  // the records before it in that chunk; the scanner may still hand them out (the import stops
  // at the error either way, writing nothing of the batch being filled).
  expect(fast.records.slice(0, slow.records.length)).toEqual(slow.records);
  // The message is csv-parse's (with its own line count); the line of the record is counted by
  // the scanner, which unlike csv-parse's reader does not miss empty lines before a bad record.
  expect({ ...context, error: withoutLine(fast.error) }).toEqual({ ...context, error: withoutLine(slow.error) });
  // The scanner does not depend on how the input is cut into chunks.
  const whole = await collect(new RecordReader(Readable.from([bytes]), 'csv', 'f.csv').records());
  expect({ ...context, error: fast.error }).toEqual({ ...context, error: whole.error });
}

/** The line of each record (header included): 1 + the line breaks before it, \r\n counting once, from csv-parse's byte offsets. */
async function recordStartLines(bytes: Buffer): Promise<number[]> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  const ends: number[] = [];
  Readable.from([bytes]).pipe(parser);
  for await (const item of parser as AsyncIterable<{ info: { bytes: number } }>) ends.push(item.info.bytes);
  const isBreak = (i: number): boolean => bytes[i] === 10 || bytes[i] === 13;
  const lines: number[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  let at = 0;
  const advance = (to: number): void => {
    for (; at < to; at++) {
      if (bytes[at] === 10) line++;
      else if (bytes[at] === 13) {
        line++;
        if (bytes[at + 1] === 10 && at + 1 < to) at++;
      }
    }
  };
  for (const end of ends) {
    while (start < bytes.length && isBreak(start)) start++;
    advance(start);
    lines.push(line);
    start = end;
  }
  return lines;
}

describe('csv scanner', () => {
  test('agrees with csv-parse on hand-picked inputs', async () => {
    const cases = [
      '',
      '\n',
      'a,b',
      'a,b\n',
      'a,b\n1,2',
      'a,b\n1,2\n',
      '\ufeffa,b\r\n1,2\r\n',
      'a,b\r\n\r\n\r\n1,"x\r\ny"\r\n2,3',
      'a,b\r1,2\r3,4\r',
      'a,b\n1,"x ""q"" y"\n',
      'a,b\n1,\n,\n',
      'a,b\n"",""\n',
      'a,b\n1,x"y\n',
      'a,b\n1,"x"y\n',
      'a,b\n1,"x\n',
      'a,b\n1,"x\n\n',
      'a,b\n1,"x"\u0000z\n',
      'a,b\n1,"x"\u0000z"\n',
      'a,b\n  \n1,2\n',
      'a,b,c\n1,2\n1,2,3,4\n',
      'a,b\n1,"é, ü\n€"\n',
      'a,b\n"x"é\n',
      'a,b\n1,2,\n',
      'a\n"\n',
      'a\n"""\n',
      'a\n""""\n',
    ];
    for (const text of cases) {
      await compare(text);
      for (let cut = 1; cut < Buffer.byteLength(text); cut++) await compare(text, [cut]);
    }
  });

  test('agrees with csv-parse on generated inputs cut into random chunks', async () => {
    const random = seededRandom(20261129);
    const alphabet = ['a', 'b', ',', ',', '"', '"', '\n', '\r', '\r\n', ' ', 'é', '\u0000', 'xyz'];
    for (let i = 0; i < 3000; i++) {
      const length = 1 + Math.floor(random() * 30);
      let text = random() < 0.2 ? '\ufeff' : '';
      text += 'h1,h2\n';
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const bytes = Buffer.from(text);
      const cuts = Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * bytes.length));
      await compare(bytes, cuts);
    }
  });

  test('a malformed record is reported on the line where it starts, after empty lines too', async () => {
    const cases: [string, number][] = [
      ['a,b\n1,x"y\n', 2],
      ['a,b\n\n\r\n\r1,x"y\n', 5],
      ['a,b\n"1\r\n2",3\n\r\n4,"x"y\n', 5],
      ['a,b\r\n\r\n1,"x\r\n', 3],
      ['a,b\n1,2\n\n\n3,"x', 5],
    ];
    for (const [text, line] of cases) {
      for (let cut = 0; cut < text.length; cut++) {
        const result = await collect(
          new RecordReader(Readable.from(chunks(Buffer.from(text), [cut])), 'csv', 'f.csv').records(),
        );
        expect({ text, cut, line: result.error?.match(/^f\.csv, line (\d+):/)?.[1] }).toEqual({
          text,
          cut,
          line: String(line),
        });
      }
    }
  });

  test('a UTF-16LE file (BOM FF FE) gives the same records as csv-parse, however it is cut', async () => {
    const text = 'a,b\r\n"x, ""y""",\u00e9\u4e2d\ud83d\ude00\n\n1,2\n';
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const random = seededRandom(16);
    for (let i = 0; i < 20; i++) {
      // Cuts at odd offsets split a UTF-16 code unit, some split a surrogate pair.
      const cuts = Array.from({ length: 3 }, () => Math.floor(random() * bytes.length));
      const fast = await collect(new RecordReader(Readable.from(chunks(bytes, cuts)), 'csv', 'f.csv').records());
      const slow = await collect(csvParseRecords(Readable.from(chunks(bytes, cuts)), 'f.csv'));
      // Same cells and errors as csv-parse (whose reader miscounts lines after an empty one: the lines are checked below).
      const cells = (o: Outcome) => ({
        cuts,
        error: o.error,
        records: o.records.map((r) => (r as unknown[]).slice(1)),
      });
      expect(cells(fast)).toEqual(cells(slow));
      expect(fast.records).toEqual([
        [2, ['x, "y"', '\u00e9\u4e2d\ud83d\ude00'], null],
        [4, ['1', '2'], null],
      ]);
    }
  });

  test('a UTF-16BE file (BOM FE FF) is read as well', async () => {
    const le = Buffer.from('a,b\n1,\u00e9\n', 'utf16le');
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) {
      be[i] = le[i + 1] as number;
      be[i + 1] = le[i] as number;
    }
    const result = await collect(
      new RecordReader(Readable.from([Buffer.from([0xfe, 0xff]), be]), 'csv', 'f.csv').records(),
    );
    expect(result).toEqual({ records: [[2, ['1', '\u00e9'], null]], error: null });
  });
});
