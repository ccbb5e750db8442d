/**
 * `npm run bench:partitions -- --rows N`: should `posting` be range-partitioned by posted month?
 * Builds two databases on the PostgreSQL server of DATABASE_URL (default the local one) with the
 * project's migrations and the same N postings over 50 roles (skewed like Zipf: the largest role
 * holds a fifth of them) posted over three years, one with `posting` as it is and one with
 * `posting` partitioned by month (plus a default partition), and measures in one run with
 * interleaved rounds:
 *   - the default figures of the largest role (the README's statistics query, open postings),
 *   - the same figures filtered to one posted month,
 *   - writing 100,000 new postings (INSERT ... SELECT, every index maintained; three rounds),
 *   - removing the oldest year (DELETE vs DROP of twelve partitions).
 * The figures are computed through the service's own schema and SQL, and both databases must
 * give the same answers. The databases are dropped afterwards.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createScratchDatabase, type ScratchDatabase } from '../src/db/scratch-database.ts';
import { createApolloServer } from '../src/graphql/apollo.ts';
import { contextFactory } from '../src/graphql/context.ts';
import { runQuery } from '../src/graphql/run-query.ts';
import { runCli, UsageError } from './cli.ts';

const USAGE = 'usage: npm run bench:partitions -- --rows N [--rounds R]   (N and R whole numbers > 0)';
const ROLES = 50;
const FIRST_MONTH = '2024-01-01';
const MONTHS = 36;
const AS_OF = '2026-12-31T00:00:00Z';

function parseArgs(argv: string[]): { rows: number; rounds: number } {
  const options = { rows: 1_000_000, rounds: 7 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag !== '--rows' && flag !== '--rounds')
      throw new UsageError(`unknown argument ${JSON.stringify(flag)}; ${USAGE}`);
    const text = argv[++i] ?? '';
    if (!/^[1-9]\d*$/.test(text))
      throw new UsageError(`${flag} ${JSON.stringify(text)} is not a whole number > 0; ${USAGE}`);
    options[flag === '--rows' ? 'rows' : 'rounds'] = Number(text);
  }
  return options;
}

/** The same rows in both databases: every value is a hash of the row number. */
function fillSql(from: number, to: number, firstDay = FIRST_MONTH, days = MONTHS * 30): string {
  // u(k) is a uniform number in [0, 1) derived from the row number and a salt k.
  const u = (k: number) => `((hashint8(g * 7919 + ${k}) & 2147483647)::float8 / 2147483648.0)`;
  return `
INSERT INTO posting (role_id, employer_id, source, external_id, title, country, remote, salary_min, salary_max,
                     salary_currency, salary_period, degree_required, posted_at, closed_at, updated_at)
SELECT 1 + floor(${ROLES} * power(${u(1)}, 2.5))::int,
       1 + floor(20000 * ${u(2)})::int,
       'bench', 'p' || g, 'Engineer ' || (g % 97),
       (ARRAY['US','DE','GB','FR','NL'])[1 + floor(5 * ${u(3)})::int],
       ${u(4)} < 0.2,
       CASE WHEN ${u(5)} < 0.6 THEN 40000 + round(120000 * ${u(6)}) END,
       CASE WHEN ${u(5)} < 0.6 THEN 60000 + round(140000 * ${u(6)}) END,
       CASE WHEN ${u(5)} < 0.6 THEN 'USD' END,
       CASE WHEN ${u(5)} < 0.6 THEN 'YEAR'::"SalaryPeriod" END,
       CASE WHEN ${u(7)} < 0.3 THEN NULL ELSE ${u(7)} < 0.6 END,
       posted,
       CASE WHEN ${u(8)} < 0.7 THEN posted + (30 + floor(60 * ${u(9)})) * interval '1 day' END,
       now()
FROM generate_series(${from}::bigint, ${to}::bigint) AS g,
     LATERAL (SELECT timestamptz '${firstDay}' + floor(${days} * ${u(10)}) * interval '1 day' AS posted) d`;
}

/** Salary observations of postings that state a salary, as the importer keeps them. */
const OBSERVATIONS_SQL = `
INSERT INTO salary_observation (role_id, posting_id, source, amount, currency, period, amount_usd, observed_at, country)
SELECT role_id, id, source, (salary_min + salary_max) / 2, 'USD', 'YEAR', (salary_min + salary_max) / 2, posted_at, country
FROM posting p WHERE salary_min IS NOT NULL AND NOT EXISTS (SELECT 1 FROM salary_observation o WHERE o.posting_id = p.id)`;

/** Replaces `posting` with a table of the same columns partitioned by posted month. */
async function partition(pool: pg.Pool): Promise<void> {
  await pool.query(`
ALTER TABLE salary_observation DROP CONSTRAINT IF EXISTS salary_observation_posting_id_fkey;
ALTER TABLE posting RENAME TO posting_unpartitioned;
CREATE TABLE posting (LIKE posting_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (posted_at);
ALTER SEQUENCE posting_id_seq OWNED BY posting.id;
DROP TABLE posting_unpartitioned CASCADE;
-- A partitioned table's unique keys must contain the partition key.
ALTER TABLE posting ADD PRIMARY KEY (id, posted_at);
CREATE UNIQUE INDEX posting_source_external_id_key ON posting (source, external_id, posted_at);
CREATE INDEX posting_role_id_posted_at_idx ON posting (role_id, posted_at);
CREATE INDEX posting_employer_id_idx ON posting (employer_id);
-- The same foreign keys as the one table (LIKE copies none); salary_observation's key to posting
-- would need posted_at in it, so the comparison leaves that one out in both layouts.
ALTER TABLE posting ADD FOREIGN KEY (role_id) REFERENCES role (id) ON DELETE CASCADE,
                    ADD FOREIGN KEY (employer_id) REFERENCES employer (id);
CREATE TABLE posting_default PARTITION OF posting DEFAULT;`);
  for (let m = 0; m < MONTHS + 1; m++) {
    await pool.query(`CREATE TABLE posting_m${m} PARTITION OF posting
      FOR VALUES FROM (timestamptz '${FIRST_MONTH}' + interval '${m} month') TO (timestamptz '${FIRST_MONTH}' + interval '${m + 1} month')`);
  }
}

interface Variant {
  name: 'one table' | 'partitioned';
  scratch: ScratchDatabase;
  db: Database;
}

const FIGURES = `query($filter: PostingFilter) { role(slug: "role-1") { stats(filter: $filter) {
  openings employers salary { mean median p25 p75 sampleSize } degreeRequirement { employerShare postingShare } } } }`;

async function prepare(name: Variant['name'], base: string, rows: number): Promise<Variant> {
  const scratch = await createScratchDatabase(base, 'jobstats_bench_partitions');
  const db = await openDatabase({ url: scratch.url, migrate: true, poolMax: 4 });
  if (name === 'partitioned') await partition(db.pool);
  else
    await db.pool.query('ALTER TABLE salary_observation DROP CONSTRAINT IF EXISTS salary_observation_posting_id_fkey');
  await db.pool.query(
    `INSERT INTO role (slug, title) SELECT 'role-' || r, 'Role ' || r FROM generate_series(1, ${ROLES}) r`,
  );
  await db.pool.query(
    `INSERT INTO employer (name, normalized_name) SELECT 'Employer ' || e, 'employer ' || e FROM generate_series(1, 20000) e`,
  );
  const step = 1_000_000;
  for (let from = 1; from <= rows; from += step) await db.pool.query(fillSql(from, Math.min(rows, from + step - 1)));
  await db.pool.query(OBSERVATIONS_SQL);
  await db.pool.query('VACUUM ANALYZE');
  return { name, scratch, db };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  const { rows, rounds } = parseArgs(process.argv.slice(2));
  const base = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const built: Variant[] = [];
  try {
    for (const name of ['one table', 'partitioned'] as const) {
      const t = await timed(() => prepare(name, base, rows));
      built.push(t.value);
      process.stderr.write(`${name}: ${rows} postings loaded and analyzed in ${(t.ms / 1000).toFixed(1)} s\n`);
    }
    const apollo = createApolloServer({ production: true });
    await apollo.start();
    const month = { status: 'ANY', postedAfter: '2025-06-01T00:00:00Z', postedBefore: '2025-07-01T00:00:00Z' };
    const times = new Map<string, number[]>();
    const answers = new Map<string, string>();
    const record = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
    for (let round = 0; round < rounds + 1; round++) {
      for (const v of round % 2 ? [...built].reverse() : built) {
        const context = contextFactory(v.db);
        for (const [label, filter] of [
          ['default figures', undefined],
          ['one posted month', month],
        ] as const) {
          const ctx = { ...context(), asOf: new Date(AS_OF) };
          const t = await timed(() => runQuery(apollo, ctx, FIGURES, filter ? { filter } : {}));
          // Round 0 warms the caches and is not counted.
          if (round > 0) record(`${label}|${v.name}`, t.ms);
          const text = JSON.stringify(t.value);
          const other = answers.get(label);
          if (other !== undefined && other !== text)
            throw new Error(`the two layouts disagree on ${label}: ${other} vs ${text}`);
          answers.set(label, text);
        }
      }
    }
    await apollo.stop();
    // Writes alternate between the layouts, each a new range of rows posted in the last month.
    for (let round = 0; round < 3; round++) {
      for (const v of round % 2 ? [...built].reverse() : built) {
        const from = rows + 1 + round * 100_000;
        const t = await timed(() => v.db.pool.query(fillSql(from, from + 99_999, '2026-11-01', 29)));
        record(`write 100,000 postings|${v.name}`, t.ms);
      }
    }
    for (const v of built) {
      // Salary observations are one table in both layouts: removed first, outside the timing.
      await v.db.pool.query(`DELETE FROM salary_observation WHERE observed_at < '2025-01-01'`);
      const t = await timed(async () => {
        if (v.name === 'one table') await v.db.pool.query(`DELETE FROM posting WHERE posted_at < '2025-01-01'`);
        else for (let m = 0; m < 12; m++) await v.db.pool.query(`DROP TABLE posting_m${m}`);
      });
      record(`remove the oldest year|${v.name}`, t.ms);
    }
    const labels = ['default figures', 'one posted month', 'write 100,000 postings', 'remove the oldest year'];
    process.stdout.write(`\n${rows.toLocaleString('en-US')} postings, ${rounds} interleaved rounds (medians)\n\n`);
    process.stdout.write(
      '| measure | one table (ms) | partitioned (ms) | partitioned / one table |\n|---|---|---|---|\n',
    );
    for (const label of labels) {
      const a = median(times.get(`${label}|one table`) ?? [NaN]);
      const b = median(times.get(`${label}|partitioned`) ?? [NaN]);
      process.stdout.write(`| ${label} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)} |\n`);
    }
    for (const v of built) {
      const { rows: size } = await v.db.pool.query<{ bytes: number }>(
        `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c WHERE c.relname LIKE 'posting%' AND c.relkind IN ('r','p')`,
      );
      process.stdout.write(
        `${v.name}: posting tables and indexes ${((size[0]?.bytes ?? 0) / 2 ** 20).toFixed(0)} MiB after the run\n`,
      );
    }
  } finally {
    for (const v of built) {
      await v.db.close().catch(() => undefined);
      await v.scratch.drop().catch(() => undefined);
    }
  }
}

runCli(main);
