/**
 * npm run bench:import -- [--rows N] [--raw-rows N] [--increment-rows N] [--batch-size N] [--baseline DIR]
 *
 * `--baseline DIR` (a checkout of another commit, with its node_modules) also runs that
 * checkout's import CLI on the same files, each into a fresh database of its own, right before
 * this checkout's, and prints its figures and the ratio of the two throughputs (before/after in
 * one run).
 *
 * Also imports N raw postings (default 100,000; --raw-rows 0 skips it): schema.org JobPosting
 * NDJSON with ~2,000-character HTML descriptions, salary as text, titles classified by title
 * rules and 20% cross-source duplicates, into a second fresh database, and prints its
 * throughput beside the plain import's, from the same run.
 *
 * Generates a CSV of N synthetic postings (default 1,000,000), imports it into a fresh database
 * with the import CLI as a child process (measuring its peak RSS), then times PostgreSQL's own
 * COPY of the same file into a bare table of text columns, and COPY of the stored rows into
 * copies of the real tables with all their indexes and foreign keys (the physical limit), and
 * prints the throughputs, the import's ratio to each and the peak memory. Then, as a daily load
 * would find it, it runs VACUUM ANALYZE and imports the next M generated postings (default a
 * tenth of N; --increment-rows 0 skips it) into the same, now analyzed, tables, and prints that
 * import's throughput as a ratio of the same indexed COPY. Needs DATABASE_URL (a PostgreSQL server): it creates and drops
 * its own database there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { redactUrl } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { importFile } from '../src/importer/import-file.ts';
import type { ImportStages } from '../src/importer/import-types.ts';
import { GENERATED_POSTING_HEADER, writeGeneratedPostings } from './generate-postings.ts';
import { writeGeneratedJobPostings, writeJobPostingRules } from './generate-job-postings.ts';
import { createScratchDatabase, type ScratchDatabase } from '../src/db/scratch-database.ts';

const ROOT = path.resolve(__dirname, '..');
const TIME = '/usr/bin/time';

function positiveInteger(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** A row count that may be 0 (skip that run). */
function countOrZero(value: string): number {
  if (value === '0') return 0;
  try {
    return positiveInteger(value);
  } catch {
    throw new InvalidArgumentError('must be 0 (skip it) or a whole number of at least 1');
  }
}

interface ChildOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  peakRssKb: number;
}

/**
 * Runs the import CLI in a child process (node --import tsx, so that the measured process is the
 * importer itself) and measures its peak RSS: with /usr/bin/time -v when present, else by
 * polling VmHWM in /proc/PID/status.
 */
function runImportChild(
  file: string,
  databaseUrl: string,
  batchSize: number | undefined,
  extra: string[] = [],
  cwd: string = ROOT,
): Promise<ChildOutcome> {
  const args = [
    '--import',
    'tsx',
    'scripts/import.ts',
    'postings',
    file,
    '--json',
    ...(batchSize ? ['--batch-size', String(batchSize)] : []),
    ...extra,
  ];
  const useTime = fs.existsSync(TIME);
  const command = useTime ? TIME : process.execPath;
  const commandArgs = useTime ? ['-v', process.execPath, ...args] : args;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, commandArgs, {
      cwd,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let polledKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (useTime || !child.pid) return;
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) polledKb = Math.max(polledKb, Number(m[1]));
      } catch {
        // The process has ended.
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const timed = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ code, stdout, stderr, seconds, peakRssKb: timed ? Number(timed[1]) : polledKb });
    });
  });
}

/**
 * The JSON summary the import CLI printed, once its exit status is one of `accepted` (1: some rows
 * were rejected); otherwise its stderr is shown and the benchmark stops.
 */
function importSummary<S>(outcome: ChildOutcome, what: string, accepted: readonly number[] = [0]): S {
  if (outcome.code === null || !accepted.includes(outcome.code)) {
    process.stderr.write(outcome.stderr);
    throw new Error(`${what} exited with status ${outcome.code}`);
  }
  return JSON.parse(outcome.stdout) as S;
}

async function bareCopy(databaseUrl: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const columns = GENERATED_POSTING_HEADER.split(',').map((c) => `"${c}" text`);
    await client.query(`CREATE TABLE bench_bare_copy (${columns.join(', ')})`);
    const started = process.hrtime.bigint();
    await pipeline(
      fs.createReadStream(file, { highWaterMark: 1 << 20 }),
      client.query(copyFrom('COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)')),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query('DROP TABLE bench_bare_copy');
    return seconds;
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL's own COPY of the imported rows, in their stored form, into copies of the real
 * tables with all their indexes, keys, constraints and foreign keys (schema bench_real, with its
 * own role and employer tables): the physical limit of an import that maintains those tables.
 * Returns the seconds of the two COPYs (postings, then salary observations).
 */
async function indexedCopy(
  databaseUrl: string,
  dir: string,
): Promise<{ seconds: number; postings: number; observations: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = ['role', 'employer', 'posting', 'salary_observation'];
    await client.query('CREATE SCHEMA bench_real');
    for (const t of tables) await client.query(`CREATE TABLE bench_real.${t} (LIKE public.${t} INCLUDING ALL)`);
    await client.query('INSERT INTO bench_real.role SELECT * FROM public.role');
    await client.query('INSERT INTO bench_real.employer SELECT * FROM public.employer');
    // Foreign keys as the real tables have them, pointing at the copies (resolved through search_path).
    await client.query('SET search_path = bench_real, public');
    for (const t of ['posting', 'salary_observation']) {
      const { rows } = await client.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`,
        [`public.${t}`],
      );
      for (const { def } of rows) await client.query(`ALTER TABLE bench_real.${t} ADD ${def}`);
    }
    await client.query('SET search_path = public');
    const files: Record<string, string> = {};
    for (const t of ['posting', 'salary_observation']) {
      files[t] = path.join(dir, `${t}.copy`);
      await pipeline(client.query(copyTo(`COPY public.${t} TO STDOUT`)), fs.createWriteStream(files[t]));
    }
    const started = process.hrtime.bigint();
    for (const t of ['posting', 'salary_observation']) {
      await pipeline(
        fs.createReadStream(files[t] as string, { highWaterMark: 1 << 20 }),
        client.query(copyFrom(`COPY bench_real.${t} FROM STDIN`)),
      );
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { rows } = await client.query<{ postings: number; observations: number }>(
      'SELECT (SELECT count(*) FROM bench_real.posting)::int AS postings, (SELECT count(*) FROM bench_real.salary_observation)::int AS observations',
    );
    await client.query('DROP SCHEMA bench_real CASCADE');
    return { seconds, postings: rows[0]!.postings, observations: rows[0]!.observations };
  } finally {
    await client.end();
  }
}

/** PostgreSQL's bare COPY of an NDJSON file, one line a row, into a table of one text column. */
async function bareCopyLines(databaseUrl: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE TABLE bench_bare_lines (line text)');
    const started = process.hrtime.bigint();
    // CSV with a quote and a delimiter that JSON text never holds: each line is one value, as is.
    await pipeline(
      fs.createReadStream(file, { highWaterMark: 1 << 20 }),
      client.query(copyFrom("COPY bench_bare_lines FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')")),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query('DROP TABLE bench_bare_lines');
    return seconds;
  } finally {
    await client.end();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Runs the baseline checkout's import of `file` into a fresh database (rates loaded), dropped afterwards. */
async function baselineImport(
  server: string,
  dir: string,
  file: string,
  batchSize: number | undefined,
  extra: string[] = [],
) {
  const scratch = await createScratchDatabase(server, 'jobstats_bench_base');
  try {
    const db = await openDatabase({ url: scratch.url, migrate: true });
    await importFile(db, 'rates', path.join(ROOT, 'data/exchange-rates.csv'));
    await db.close();
    process.stderr.write(`importing with the baseline ${dir} into ${redactUrl(scratch.url)} ...\n`);
    const outcome = await runImportChild(file, scratch.url, batchSize, extra, dir);
    const summary = importSummary<{ read: number; inserted: number; stages?: ImportStages }>(
      outcome,
      'the baseline import',
      [0, 1],
    );
    return { ...outcome, summary, rate: summary.read / outcome.seconds };
  } finally {
    await scratch.drop().catch(() => undefined);
  }
}

function baselineLines(
  label: string,
  base: { seconds: number; rate: number; peakRssKb: number; summary: { stages?: ImportStages } },
  rate: number,
  limit?: number,
): string[] {
  return [
    `${label.padEnd(20)}${base.seconds.toFixed(2)} s wall, ${fmt(base.rate)} rows/s, peak RSS ${(base.peakRssKb / 1024).toFixed(0)} MB` +
      (limit ? `, / indexed ${(base.rate / limit).toFixed(3)}` : ''),
    `${'  stages'.padEnd(20)}${stagesLine(base.summary.stages)}`,
    `${'this / baseline'.padEnd(20)}${(rate / base.rate).toFixed(3)} (throughput ratio, same file, same run)`,
  ];
}

/** The importer's seconds per stage; parsing overlaps the database's work, so they add up to more than the wall time. */
function stagesLine(stages: ImportStages | undefined): string {
  if (!stages) return '(not reported by this importer)';
  const s = (n: number): string => `${n.toFixed(2)} s`;
  return (
    `read ${s(stages.read)}, validate ${s(stages.validate)} | database: stage ${s(stages.stage)}, upsert ${s(stages.upsert)}, ` +
    `grouping ${s(stages.group)}, commit ${s(stages.commit)}, figure snapshots ${s(stages.figures ?? 0)} | parser waited ${s(stages.waited)} for the database`
  );
}

async function main(): Promise<number> {
  const program = new Command('bench:import')
    .description(
      "Benchmark the postings import against PostgreSQL's bare COPY of the same generated CSV (needs DATABASE_URL).",
    )
    .option('--rows <n>', 'postings to generate', positiveInteger, 1_000_000)
    .option('--raw-rows <n>', 'raw JobPostings to generate for the raw-posting run (0: skip it)', countOrZero, 100_000)
    .option(
      '--increment-rows <n>',
      'postings imported afterwards into the analyzed tables (default: a tenth of --rows; 0: skip it)',
      countOrZero,
    )
    .option('--batch-size <n>', "batch size passed to the import (default: the importer's)", positiveInteger)
    .option(
      '--baseline <dir>',
      'a checkout of another commit whose import runs on the same files, for before/after ratios',
    )
    .parse(process.argv);
  const options = program.opts<{
    rows: number;
    rawRows: number;
    incrementRows?: number;
    batchSize?: number;
    baseline?: string;
  }>();
  const incrementRows = options.incrementRows ?? Math.max(1, Math.floor(options.rows / 10));
  const baselineDir = options.baseline ? path.resolve(options.baseline) : undefined;
  if (baselineDir && !fs.existsSync(path.join(baselineDir, 'scripts', 'import.ts'))) {
    process.stderr.write(
      `bench:import: --baseline ${options.baseline}: must be a checkout of this project (no scripts/import.ts there)\n`,
    );
    return 2;
  }

  const server = process.env.DATABASE_URL;
  if (!server) {
    process.stderr.write(
      'bench:import needs a PostgreSQL server: set DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres).\n' +
        'It creates and drops its own database there; the embedded PGlite cannot do COPY and is not benchmarked.\n',
    );
    return 2;
  }

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  const file = path.join(scratch, `postings-${options.rows}.csv`);
  let scratchDb: ScratchDatabase | undefined;
  let rawDb: ScratchDatabase | undefined;
  try {
    process.stderr.write(`generating ${fmt(options.rows)} postings into ${file} ...\n`);
    await writeGeneratedPostings(file, options.rows);
    const bytes = fs.statSync(file).size;
    scratchDb = await createScratchDatabase(server, 'jobstats_bench');
    const url = scratchDb.url;
    const db = await openDatabase({ url, migrate: true });
    await importFile(db, 'rates', path.join(ROOT, 'data/exchange-rates.csv'));
    await db.close();

    const base = baselineDir ? await baselineImport(server, baselineDir, file, options.batchSize) : undefined;
    process.stderr.write(`importing into ${redactUrl(url)} ...\n`);
    const outcome = await runImportChild(file, url, options.batchSize);
    const summary = importSummary<{ read: number; inserted: number; seconds: number; stages?: ImportStages }>(
      outcome,
      'the import',
    );
    process.stderr.write('timing bare COPY of the same file ...\n');
    const copySeconds = await bareCopy(url, file);
    process.stderr.write('timing COPY of the stored rows into copies of the indexed tables ...\n');
    const indexed = await indexedCopy(url, scratch);
    const indexedRate = indexed.postings / indexed.seconds;

    // The next file into the same tables once they are analyzed, as every import after the first finds them.
    let incrementLines: string[] = [];
    if (incrementRows > 0) {
      const incrementFile = path.join(scratch, `postings-next-${incrementRows}.csv`);
      await writeGeneratedPostings(incrementFile, options.rows + incrementRows, 42, { skip: options.rows });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('VACUUM ANALYZE').finally(() => client.end());
      process.stderr.write(`importing the next ${fmt(incrementRows)} postings into the analyzed tables ...\n`);
      const next = await runImportChild(incrementFile, url, options.batchSize);
      const nextSummary = importSummary<{ read: number; inserted: number; stages?: ImportStages }>(
        next,
        'the second import',
      );
      const nextRate = nextSummary.read / next.seconds;
      incrementLines = [
        `next import         ${next.seconds.toFixed(2)} s wall, ${fmt(nextRate)} rows/s, inserted ${fmt(nextSummary.inserted)} (${fmt(incrementRows)} more postings into the ${fmt(summary.inserted)}, after VACUUM ANALYZE), peak RSS ${(next.peakRssKb / 1024).toFixed(0)} MB`,
        `next import stages  ${stagesLine(nextSummary.stages)}`,
        `next / indexed      ${(nextRate / indexedRate).toFixed(3)} (rows/s over the indexed COPY's above)`,
      ];
    }

    // The raw-posting run: same importer, JobPosting NDJSON, into its own fresh database.
    let rawLines: string[] = [];
    if (options.rawRows > 0) {
      const rawFile = path.join(scratch, `jobpostings-${options.rawRows}.ndjson`);
      const rulesFile = path.join(scratch, 'title-rules.json');
      process.stderr.write(`generating ${fmt(options.rawRows)} JobPostings into ${rawFile} ...\n`);
      await writeGeneratedJobPostings(rawFile, options.rawRows);
      writeJobPostingRules(rulesFile);
      rawDb = await createScratchDatabase(server, 'jobstats_bench_raw');
      const rdb = await openDatabase({ url: rawDb.url, migrate: true });
      await importFile(rdb, 'rates', path.join(ROOT, 'data/exchange-rates.csv'));
      await rdb.close();
      const rawArgs = ['--format', 'jobposting', '--roles', rulesFile, '--default-role', 'other'];
      const rawBase = baselineDir
        ? await baselineImport(server, baselineDir, rawFile, options.batchSize, rawArgs)
        : undefined;
      process.stderr.write(`importing raw postings into ${redactUrl(rawDb.url)} ...\n`);
      const raw = await runImportChild(rawFile, rawDb.url, options.batchSize, rawArgs);
      const rawSummary = importSummary<{
        read: number;
        inserted: number;
        rejected: number;
        stages?: ImportStages;
        postings?: { salaryTextRead: number };
      }>(raw, 'the raw import', [0, 1]);
      const rawCopySeconds = await bareCopyLines(rawDb.url, rawFile);
      const rawRate = rawSummary.read / raw.seconds;
      const plainRate = summary.read / outcome.seconds;
      rawLines = [
        `raw JobPostings     ${fmt(options.rawRows)} (${(fs.statSync(rawFile).size / 1e6).toFixed(1)} MB NDJSON, 2,000-char descriptions, salary text, 20% cross-source duplicates)`,
        `raw import          ${raw.seconds.toFixed(2)} s wall, ${fmt(rawRate)} rows/s, inserted ${fmt(rawSummary.inserted)}, rejected ${fmt(rawSummary.rejected)}, salary texts read ${fmt(rawSummary.postings?.salaryTextRead ?? 0)}, peak RSS ${(raw.peakRssKb / 1024).toFixed(0)} MB`,
        `raw stages          ${stagesLine(rawSummary.stages)}`,
        `raw bare COPY       ${rawCopySeconds.toFixed(2)} s, ${fmt(options.rawRows / rawCopySeconds)} rows/s (the NDJSON lines into one text column)`,
        `raw import / COPY   ${(rawRate / (options.rawRows / rawCopySeconds)).toFixed(3)}`,
        `raw / plain import  ${(rawRate / plainRate).toFixed(3)} (rows/s of the raw run over the plain run's)`,
        ...(rawBase ? baselineLines('raw baseline', rawBase, rawRate) : []),
      ];
    }

    const importRate = summary.read / outcome.seconds;
    const copyRate = options.rows / copySeconds;
    const ratio = importRate / copyRate;
    const indexedRatio = importRate / indexedRate;
    const rssMb = outcome.peakRssKb / 1024;
    const lines = [
      `rows                ${fmt(options.rows)} (${(bytes / 1e6).toFixed(1)} MB CSV)`,
      `import              ${outcome.seconds.toFixed(2)} s wall (importer's own timer ${summary.seconds.toFixed(2)} s), ${fmt(importRate)} rows/s, inserted ${fmt(summary.inserted)}`,
      `import stages       ${stagesLine(summary.stages)}`,
      `bare COPY           ${copySeconds.toFixed(2)} s, ${fmt(copyRate)} rows/s`,
      `indexed COPY        ${indexed.seconds.toFixed(2)} s, ${fmt(indexedRate)} postings/s (${fmt(indexed.postings)} postings + ${fmt(indexed.observations)} observations into copies of the tables with their indexes and foreign keys)`,
      `import / indexed    ${indexedRatio.toFixed(3)} (the physical limit; goal >= 1.0: ${indexedRatio >= 1 ? 'met' : 'NOT met'})`,
      `import / bare COPY  ${ratio.toFixed(3)} (reference: COPY into an unindexed text table)`,
      `import peak RSS     ${rssMb.toFixed(0)} MB (goal < 300 MB: ${rssMb < 300 ? 'met' : 'NOT met'})`,
      ...(base ? baselineLines('baseline import', base, importRate, indexedRate) : []),
      ...incrementLines,
      ...rawLines,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await scratchDb?.drop().catch(() => undefined);
    await rawDb?.drop().catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:import failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
