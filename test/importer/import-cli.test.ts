import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const fixture = (name: string): string => path.resolve(__dirname, '../fixtures/import', name);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let db: TestDatabase;
let scratch: string;

/**
 * Runs `tsx scripts/import.ts ARGS` against the test database. (With the embedded PGlite the
 * test must not query while the child runs: PGlite has one session for all connections.)
 */
function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['scripts/import.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, TEST_DATABASE_URL: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

async function count(table: string): Promise<number> {
  const result = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return result.rows[0]?.n ?? -1;
}

beforeAll(async () => {
  db = await createTestDatabase();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'import-cli-'));
});

afterAll(async () => {
  await db?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('import CLI', () => {
  test('--help documents every option and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--format',
      '--atomic',
      '--dry-run',
      '--errors',
      '--json',
      '--batch-size',
      'postings',
      'observations',
      'rates',
      'Exit status',
    ]) {
      expect(result.stdout).toContain(option);
    }
  });

  test('usage errors exit 2', async () => {
    expect((await runCli(['salaries', fixture('postings.csv')])).code).toBe(2);
    expect((await runCli(['postings'])).code).toBe(2);
    const badBatch = await runCli(['postings', fixture('postings.csv'), '--batch-size', 'zero']);
    expect(badBatch.code).toBe(2);
    expect(badBatch.stderr).toMatch(/batch-size/);
  });

  test('--atomic with an invalid row exits 1 and writes nothing', async () => {
    await runCli(['rates', fixture('rates.csv')]);
    const result = await runCli(['postings', fixture('postings-invalid.csv'), '--atomic', '--batch-size', '2']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/rolled back/);
    expect(await count('posting')).toBe(0);
    expect(await count('employer')).toBe(0);
  });

  test('--dry-run reports the rejected rows, exits 1 and writes nothing', async () => {
    const result = await runCli(['postings', fixture('postings-invalid.csv'), '--dry-run', '--json']);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as { read: number; rejected: number; inserted: number; dryRun: boolean };
    expect(summary).toMatchObject({ read: 21, rejected: 18, inserted: 0, dryRun: true });
    expect(await count('posting')).toBe(0);
  });

  test('a valid file exits 0 and --json prints one summary object on stdout', async () => {
    const result = await runCli(['postings', fixture('postings.csv'), '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      kind: 'postings',
      read: 6,
      inserted: 6,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      errors: [],
    });
    expect(typeof summary.seconds).toBe('number');
    expect(await count('posting')).toBe(6);
  });

  test('without --json the summary and each error line go to stderr; rejected rows exit 1', async () => {
    const result = await runCli(['postings', fixture('postings-invalid.csv')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/read 21, inserted 3, updated 0, unchanged 0, rejected 18 in [\d.]+ s/);
    expect(result.stderr).toContain('line 5, externalId -: field title = "Data Engineer": unclassifiedTitle');
    // A currency without a rate is said once, with the fix, not once per row.
    expect(result.stderr).not.toContain('line 14, externalId e-14: field salaryCurrency = "NZD"');
    expect(result.stderr.match(/NZD/g)).toHaveLength(1);
    expect(result.stderr).toContain(
      'warning: no exchange rate for NZD (1 row): rows in these currencies were rejected. Load rates with `npm run import -- rates FILE`',
    );
    expect(result.stderr).toContain('data/exchange-rates.csv has illustrative rates');
    expect(result.stderr).toContain('line 21, externalId e-21: field (record) = "5 fields": columnCount');
  });

  test('--errors FILE holds each rejected row: original fields, line, field, value, rule and message', async () => {
    const errorsFile = path.join(scratch, 'rejected.csv');
    const result = await runCli(['postings', fixture('postings-invalid.csv'), '--errors', errorsFile]);
    expect(result.code).toBe(1);
    const rows = parse(fs.readFileSync(errorsFile), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(18);
    const header = Object.keys(rows[0] ?? {});
    expect(header.slice(0, 3)).toEqual(['externalId', 'source', 'role']);
    expect(header.slice(-5)).toEqual(['line', 'field', 'value', 'rule', 'message']);
    expect(rows[2]).toMatchObject({
      externalId: 'e-7',
      role: 'Data Engineer',
      line: '7',
      field: 'role',
      value: 'Data Engineer',
      rule: 'slug',
    });
    expect(rows[7]).toMatchObject({
      externalId: 'e-12',
      salaryMin: '90000',
      salaryMax: '80000',
      line: '12',
      rule: 'salaryRange',
    });
    expect(rows[7]?.message).toMatch(/salaryMin/);
    expect(rows[16]).toMatchObject({
      externalId: 'e-21',
      title: 'Data Engineer',
      company: '',
      line: '21',
      rule: 'columnCount',
    });
  });

  test('- reads standard input (NDJSON with --format)', async () => {
    const input = fs.readFileSync(fixture('postings.ndjson'), 'utf8');
    const result = await runCli(['postings', '-', '--format', 'ndjson', '--json'], { stdin: input });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as {
      read: number;
      inserted: number;
      rejected: number;
      errors: { line: number; rule: string }[];
    };
    expect(summary).toMatchObject({ read: 5, inserted: 2, rejected: 3 });
    expect(summary.errors.map((e) => [e.line, e.rule])).toEqual([
      [3, 'json'],
      [4, 'object'],
      [5, 'positiveNumber'],
    ]);
  });

  test('re-running a file reports every row unchanged', async () => {
    const result = await runCli(['postings', fixture('postings.csv'), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 6, inserted: 0, updated: 0, unchanged: 6 });
  });

  test('an unterminated quote exits 2 naming the file and the line', async () => {
    const result = await runCli(['postings', fixture('postings-unterminated.csv')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/postings-unterminated\.csv, line 3: unterminated quoted field/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('a missing file exits 2 naming it', async () => {
    const result = await runCli(['postings', path.join(scratch, 'missing.csv')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing\.csv: no such file/);
  });

  test('a bad environment exits 2 with one line and no stack trace', async () => {
    const result = await runCli(['postings', fixture('postings.csv')], { env: { DATABASE_URL: 'mysql://nope' } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/DATABASE_URL/);
    const down = await runCli(['postings', fixture('postings.csv')], {
      env: { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' },
    });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot use PostgreSQL at 127\.0\.0\.1:1/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });
});
