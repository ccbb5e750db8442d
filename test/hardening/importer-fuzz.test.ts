import { Readable } from 'node:stream';
import { ImportFileError } from '../../src/importer/import-file-error.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seededRandom } from '../../scripts/seeded-random.ts';

/** A small deterministic PRNG (mulberry32). */

const FIELDS = [
  'externalId',
  'source',
  'role',
  'title',
  'company',
  'country',
  'remote',
  'salaryMin',
  'salaryMax',
  'salaryCurrency',
  'salaryPeriod',
  'degreeRequired',
  'postedAt',
  'closedAt',
] as const;
type Row = Partial<Record<(typeof FIELDS)[number], unknown>>;

function validRow(i: number, rand: () => number): Row {
  const period = ['YEAR', 'month', 'HOUR'][i % 3] as string;
  // A plausible amount for its period (40,000..90,000 a year): the importer rejects implausible salaries.
  const yearly = 40_000 + Math.floor(rand() * 50_000);
  const perPeriod =
    period === 'YEAR' ? yearly : period === 'month' ? Math.round(yearly / 12) : Math.round(yearly / 2080);
  return {
    externalId: `valid-${i}`,
    source: 'fuzz',
    role: 'fuzz-role',
    title: `Engineer, "level" ${i}`,
    company: `Company ${i % 17}`,
    country: ['US', 'de', 'FR', ''][i % 4],
    remote: ['true', 'no', '1', ''][i % 4],
    salaryMin: perPeriod,
    salaryMax: '',
    salaryCurrency: 'USD',
    salaryPeriod: period,
    degreeRequired: ['true', 'false', ''][i % 3],
    postedAt: '2026-01-05',
    closedAt: '',
  };
}

/** A row that breaks exactly one rule (its externalId says which row it is). */
function badRow(i: number, rand: () => number): Row {
  const row = validRow(i, rand);
  row.externalId = `bad-${i}`;
  const defects: ((r: Row) => void)[] = [
    (r) => (r.company = ''),
    (r) => (r.role = 'Not A Slug!'),
    (r) => (r.country = 'ZZZ'),
    (r) => (r.remote = 'maybe'),
    (r) => (r.salaryMin = '12,000'),
    (r) => (r.salaryMin = '-5'),
    (r) => {
      r.salaryMin = 90_000;
      r.salaryMax = 10_000;
    },
    (r) => (r.salaryCurrency = 'XQQ'),
    (r) => (r.salaryPeriod = 'FORTNIGHT'),
    (r) => (r.postedAt = '2026-02-30'),
    (r) => (r.postedAt = 'yesterday'),
    (r) => {
      r.postedAt = '2026-03-01';
      r.closedAt = '2026-01-01';
    },
    (r) => (r.postedAt = ''),
    (r) => (r.title = `a\u0000b`),
    (r) => (r.title = 'x'.repeat(2001)),
    (r) => (r.company = 'c'.repeat(301)),
    (r) => (r.source = 's'.repeat(101)),
  ];
  (defects[Math.floor(rand() * defects.length)] as (r: Row) => void)(row);
  return row;
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(rows: Row[], lineEnding: string): string {
  return (
    [FIELDS.join(','), ...rows.map((row) => FIELDS.map((f) => csvCell(row[f])).join(','))].join(lineEnding) + lineEnding
  );
}

function toNdjson(rows: Row[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

describe('importer fuzz: malformed CSV and NDJSON', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it.each([
    ['csv', '\n'],
    ['csv', '\r\n'],
    ['ndjson', '\n'],
  ] as const)(
    'reports every bad row and loses no valid row (%s, %j)',
    async (format, lineEnding) => {
      const rand = seededRandom(format === 'csv' ? (lineEnding === '\n' ? 1 : 2) : 3);
      const rows: Row[] = [];
      const valid: string[] = [];
      const bad: string[] = [];
      for (let i = 0; i < 400; i++) {
        if (rand() < 0.4) {
          const row = badRow(i, rand);
          rows.push(row);
          bad.push(String(row.externalId));
        } else {
          const row = validRow(i, rand);
          row.externalId = `${format}-${lineEnding.length}-${row.externalId}`;
          rows.push(row);
          valid.push(String(row.externalId));
        }
      }
      // NDJSON-only breakage: values that are objects or arrays.
      if (format === 'ndjson') {
        for (let i = 0; i < 20; i++) {
          const row = validRow(1000 + i, rand);
          row.externalId = `bad-obj-${i}`;
          row.company = i % 2 ? { name: 'x' } : ['x'];
          rows.push(row);
          bad.push(String(row.externalId));
        }
      }
      const text = format === 'csv' ? toCsv(rows, lineEnding) : toNdjson(rows);
      const summary = await importFile(db, 'postings', Readable.from([Buffer.from(text, 'utf8')]), {
        format,
        maxErrors: 10_000,
        batchSize: 64,
      });

      expect(summary.read).toBe(rows.length);
      expect(summary.rejected).toBe(bad.length);
      const reported = new Set(summary.errors.map((e) => e.externalId));
      expect(bad.filter((id) => !reported.has(id))).toEqual([]);
      expect(summary.inserted).toBe(valid.length);
      const stored = await db.pool.query<{ external_id: string }>(
        'SELECT external_id FROM posting WHERE external_id = ANY($1)',
        [valid],
      );
      expect(stored.rows.length).toBe(valid.length);
    },
    300_000,
  );

  it('never crashes on random bytes, broken quoting or broken JSON: a summary or an ImportFileError', async () => {
    const rand = seededRandom(99);
    const header = `${FIELDS.join(',')}\n`;
    const inputs: [string, Buffer][] = [];
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256)));
      inputs.push(['csv', Buffer.concat([Buffer.from(header), bytes])]);
      inputs.push(['ndjson', bytes]);
    }
    inputs.push([
      'csv',
      Buffer.from(`${header}"unterminated,quote\nvalid-x,fuzz,fuzz-role,t,c,US,,,,,,,2026-01-01,\n`),
    ]);
    inputs.push(['csv', Buffer.from(`${header}a,b\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n`)]);
    inputs.push(['csv', Buffer.from('\uFEFF')]);
    inputs.push(['csv', Buffer.from('')]);
    inputs.push([
      'ndjson',
      Buffer.from('{"externalId": "a"\n{"externalId": "b", "role": "x"}\n[1,2]\n"str"\n42\nnull\n'),
    ]);
    inputs.push(['ndjson', Buffer.from(`{"externalId": "${'x'.repeat(100_000)}"}\n`)]);
    inputs.push(['csv', Buffer.concat([Buffer.from(header), Buffer.from([0xff, 0xfe, 0x00, 0x0a])])]);

    let summaries = 0;
    let fileErrors = 0;
    for (const [format, bytes] of inputs) {
      try {
        const summary = await importFile(db, 'postings', Readable.from([bytes]), {
          format: format as 'csv' | 'ndjson',
          maxErrors: 100,
        });
        summaries += 1;
        expect(summary.read).toBeGreaterThanOrEqual(summary.rejected);
        // Every rejected row is reported (up to maxErrors), each with a line and a rule.
        expect(summary.errors.length).toBeGreaterThanOrEqual(Math.min(summary.rejected, 100));
        for (const error of summary.errors) {
          expect(error.line).toBeGreaterThanOrEqual(1);
          expect(error.rule).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
        }
      } catch (error) {
        if (!(error instanceof ImportFileError)) throw error;
        fileErrors += 1;
      }
    }
    expect(summaries + fileErrors).toBe(inputs.length);
    // The pool still works.
    expect((await db.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  }, 300_000);
});
