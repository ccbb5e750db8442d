/**
 * npm run bench:scale -- --rows N [--rounds N] [--duration S] [--connections N] [--baseline DIR] [--keep]
 * npm run bench:scale -- --database URL [...]  (a database an earlier --keep run left: no generation, no import)
 *
 * Generates N postings over 50 roles (Zipf: the first role gets 22% of them), imports them into
 * a new database on DATABASE_URL's server, runs VACUUM ANALYZE, and then measures in one run,
 * with interleaved rounds (one request of each kind per round, so that a noisy machine slows
 * every kind alike):
 *
 * - one role's statistics (the README's query), 50 roles' statistics, 20 roles x 20 postings (by
 *   date, and by salary, highest first) and the role page (p50/p95 of single requests);
 * - the same list query and a statistics subset (openings, employers, mean salary) served by
 *   PostGraphile 5 with @graphile/pg-aggregates and the connection filter over the same database;
 * - throughput and p99 of the list and the statistics subset with 64 connections (autocannon),
 *   for this service and PostGraphile;
 * - every row also for this service without its operation cache ("no op cache",
 *   RESPONSE_CACHE_BYTES=0): repeated requests otherwise measure the whole-answer cache, this row
 *   what a request pays when no kept answer holds;
 * - the service's resident memory idle and at its peak under load.
 *
 * PostGraphile needs Node 22: the script installs it with `npm i node@22 postgraphile@5.1.5 ...`
 * into .bench/postgraphile (git ignores it) the first time. `--baseline DIR` also measures the
 * service of another checkout (e.g. `git archive <commit> | tar -x -C DIR`, with node_modules
 * linked), over the same database, in the same rounds: before/after in one run.
 *
 * The service runs as `npm start` runs it: compiled (its start script's node arguments, built
 * first when out of date), so its memory is the production figure, not that of the TypeScript loader. `--keep` leaves the
 * imported database in place and prints its URL; `--database URL` measures such a database
 * again (each run adds the 5 postings of its after-a-write probe), e.g. to run 10M postings once
 * and measure it more than once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { createApiKey } from '../src/auth/api-keys.ts';
import { openDatabase } from '../src/db/database.ts';
import { freePort } from '../src/db/free-port.ts';
import { createScratchDatabase, type ScratchDatabase } from '../src/db/scratch-database.ts';
import { importFile } from '../src/importer/import-file.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { generatedRoleSlugs, writeGeneratedPostings } from './generate-postings.ts';

const ROOT = path.resolve(__dirname, '..');
const PEER_DIR = path.join(ROOT, '.bench', 'postgraphile');
const PEER_PACKAGES = [
  'node@22',
  'postgraphile@5.1.5',
  '@graphile/pg-aggregates@0.2.0-rc.2',
  'postgraphile-plugin-connection-filter@4.0.1',
  'pg@8.23.1',
];
const ROLES = 50;
const USAGE =
  'usage: npm run bench:scale -- (--rows N [--keep] | --database URL) [--rounds N] [--duration SECONDS] [--connections N] [--baseline DIR]';

function usageError(option: string, value: string, rule: string): never {
  process.stderr.write(`bench:scale: ${option} ${JSON.stringify(value)} ${rule}\n${USAGE}\n`);
  process.exit(2);
}

function positive(option: string) {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!/^[\d_]+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
      usageError(option, value, 'must be a whole number of at least 1');
    return n;
  };
}

// The peer's server: schema-only PostGraphile over the project's public schema (recipe in
// /work/shared/tools/README.md). Connection-filter relations let it filter salary observations
// by their posting's dates, as the service does.
const PEER_SERVER = `import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
const preset = {
  extends: [PostGraphileAmberPreset, PgAggregatesPreset, PostGraphileConnectionFilterPreset],
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'], poolConfig: { max: Number(process.env.POOL_MAX) } })],
  schema: { connectionFilterRelations: true },
  grafserv: { port: Number(process.env.PORT), graphqlPath: '/graphql' },
};
const serv = postgraphile(preset).createServ(grafserv);
const server = createServer();
serv.addTo(server).then(() => server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stderr.write('postgraphile ready\\n')));
`;

function ensurePeer(): string {
  const node = path.join(PEER_DIR, 'node_modules', '.bin', 'node');
  const installed = (() => {
    try {
      const version = (
        JSON.parse(fs.readFileSync(path.join(PEER_DIR, 'node_modules', 'postgraphile', 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
      return version === '5.1.5' && spawnSync(node, ['--version']).stdout?.toString().startsWith('v22');
    } catch {
      return false;
    }
  })();
  if (!installed) {
    fs.mkdirSync(PEER_DIR, { recursive: true });
    // npm 11 runs install scripts only when allowed: node@22's preinstall fetches the binary package.
    fs.writeFileSync(
      path.join(PEER_DIR, 'package.json'),
      JSON.stringify({ name: 'bench-peer', private: true, allowScripts: { node: true } }, null, 2),
    );
    process.stderr.write(`installing ${PEER_PACKAGES.join(' ')} into ${PEER_DIR} ...\n`);
    const result = spawnSync('npm', ['i', '--no-audit', '--no-fund', '--save-exact', ...PEER_PACKAGES], {
      cwd: PEER_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`npm i in ${PEER_DIR} failed (status ${result.status})`);
  }
  fs.writeFileSync(path.join(PEER_DIR, 'server.mjs'), PEER_SERVER);
  return node;
}

interface Service {
  name: string;
  base: string;
  child: ChildProcess;
  /** The last 20,000 characters the process wrote to stderr. */
  log(): string;
  stop(): Promise<void>;
}

async function startService(
  name: string,
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  ready: string,
): Promise<Service> {
  const port = await freePort();
  const child = spawn(command, args, { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  for (let i = 0; !stderr.includes(ready); i++) {
    if (child.exitCode !== null || i > 1200) throw new Error(`${name} did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    base: `http://127.0.0.1:${port}`,
    child,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Brings a checkout's dist/ up to date as `npm start` does (a checkout without the build step runs from its sources). */
function buildService(dir: string): void {
  const build = path.join(dir, 'scripts', 'build-if-needed.mjs');
  if (!fs.existsSync(build)) return;
  const result = spawnSync(process.execPath, [build], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`building ${dir} failed`);
}

/**
 * What `npm start` runs in a checkout: its start script's node arguments (dist/main.js with the
 * heap limit), or src/main.ts through tsx where there is no build (older commits).
 */
function serviceArgs(dir: string): string[] {
  const start = (
    JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
  ).scripts?.start;
  const words = start?.trim().split(/\s+/) ?? [];
  return words[0] === 'node' &&
    words.at(-1)?.startsWith('dist/') &&
    fs.existsSync(path.join(dir, words.at(-1) as string))
    ? words.slice(1)
    : ['--import', 'tsx', 'src/main.ts'];
}

function rssMb(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Probe {
  /** Row label in the table. */
  label: string;
  method: 'POST' | 'GET';
  path: string;
  body?: string;
  /** Throws when the answer is not a success. */
  check(status: number, text: string): void;
}

function graphql(label: string, query: string): Probe {
  return {
    label,
    method: 'POST',
    path: '/graphql',
    body: JSON.stringify({ query }),
    check(status, text) {
      const parsed = JSON.parse(text) as { errors?: unknown };
      if (status !== 200 || parsed.errors) throw new Error(`${label}: HTTP ${status} ${text.slice(0, 500)}`);
    },
  };
}

async function timeOnce(base: string, probe: Probe, retry = true): Promise<{ ms: number; text: string }> {
  try {
    return await timeRequest(base, probe);
  } catch (error) {
    // A kept-alive connection the server closed while idle (e.g. during the import CLI's write)
    // fails at once; the request is sent again on a new connection and timed afresh.
    if (retry && error instanceof TypeError) return timeOnce(base, probe, false);
    throw error;
  }
}

async function timeRequest(base: string, probe: Probe): Promise<{ ms: number; text: string }> {
  const started = process.hrtime.bigint();
  const response = await fetch(base + probe.path, {
    method: probe.method,
    headers: probe.body ? { 'content-type': 'application/json' } : {},
    body: probe.body,
  });
  const text = await response.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  probe.check(response.status, text);
  return { ms, text };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

const ms = (n: number | undefined): string =>
  n === undefined || Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1);
const pad = (s: string, n: number): string => s.padEnd(n);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<number> {
  const program = new Command('bench:scale')
    .description(
      'Latency and throughput at N postings over 50 Zipf roles, next to PostGraphile 5 + pg-aggregates (needs DATABASE_URL).',
    )
    .option('--rows <n>', 'postings to generate', positive('--rows'))
    .option('--keep', 'keep the imported database (its URL is printed) for a later --database run')
    .option('--database <url>', 'measure a database a --keep run left, instead of generating and importing')
    .option('--rounds <n>', 'interleaved rounds of single requests', positive('--rounds'), 30)
    .option('--duration <seconds>', 'seconds of each 64-connection load run', positive('--duration'), 10)
    .option('--connections <n>', 'connections of the load runs', positive('--connections'), 64)
    .option('--baseline <dir>', 'a checkout of another commit whose service is measured side by side')
    .exitOverride();
  try {
    program.parse(process.argv);
  } catch {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const options = program.opts<{
    rows?: number;
    keep?: boolean;
    database?: string;
    rounds: number;
    duration: number;
    connections: number;
    baseline?: string;
  }>();
  if (options.rows === undefined && options.database === undefined) {
    process.stderr.write(
      `bench:scale: give --rows N (generate and import) or --database URL (measure a kept database)\n${USAGE}\n`,
    );
    return 2;
  }
  if (options.rows !== undefined && options.database !== undefined)
    usageError('--database', options.database, 'measures a database as it is: leave out --rows');
  if (options.database !== undefined && !/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(options.database))
    usageError('--database', options.database, 'must be a postgresql://host/database URL');
  const server = process.env.DATABASE_URL;
  if (!server && options.database === undefined) {
    process.stderr.write(
      'bench:scale needs a PostgreSQL server: set DATABASE_URL (it creates and drops its own database there).\n',
    );
    return 2;
  }
  if (options.baseline && !fs.existsSync(path.join(options.baseline, 'src', 'main.ts'))) {
    usageError('--baseline', options.baseline, 'must be a checkout of this project (no src/main.ts there)');
  }

  const peerNode = ensurePeer();
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const file = path.join(scratchDir, 'postings.csv');
  let scratch: ScratchDatabase | undefined;
  const services: Service[] = [];
  try {
    let databaseUrl: string;
    let importLine: string;
    let db: Awaited<ReturnType<typeof openDatabase>>;
    if (options.rows !== undefined) {
      process.stderr.write(`generating ${fmt(options.rows)} postings over ${ROLES} roles ...\n`);
      await writeGeneratedPostings(file, options.rows, 42, { zipfRoles: ROLES });
      scratch = await createScratchDatabase(server as string, 'jobstats_scale');
      databaseUrl = scratch.url;
      db = await openDatabase({ url: databaseUrl, migrate: true });
      await seedDatabase(db);
      const importStarted = process.hrtime.bigint();
      const summary = await importFile(db, 'postings', file);
      const importSeconds = Number(process.hrtime.bigint() - importStarted) / 1e9;
      importLine = `import ${importSeconds.toFixed(1)} s (${fmt(summary.inserted / importSeconds)} rows/s)`;
      process.stderr.write(`imported ${fmt(summary.inserted)} postings in ${importSeconds.toFixed(1)} s\n`);
    } else {
      databaseUrl = options.database as string;
      // Brings a kept database to this checkout's migrations (e.g. a new index) before measuring.
      db = await openDatabase({ url: databaseUrl, migrate: true });
      importLine = `database ${databaseUrl.replace(/^.*\//, '')} as an earlier --keep run left it`;
    }
    await db.pool.query('VACUUM ANALYZE');
    const { rows: sizes } = await db.pool.query<{
      postings: number;
      observations: number;
      largest: number;
      open_largest: number;
    }>(
      `SELECT (SELECT count(*) FROM posting)::int AS postings, (SELECT count(*) FROM salary_observation)::int AS observations,
              (SELECT count(*) FROM posting p JOIN role r ON r.id = p.role_id WHERE r.slug = $1)::int AS largest,
              (SELECT count(*) FROM posting p JOIN role r ON r.id = p.role_id WHERE r.slug = $1 AND p.posted_at <= now() AND (p.closed_at IS NULL OR p.closed_at > now()))::int AS open_largest`,
      [generatedRoleSlugs(1)[0]],
    );
    await db.close();
    const size = sizes[0]!;
    process.stderr.write('building and starting the services ...\n');
    buildService(ROOT);
    if (options.baseline) buildService(path.resolve(options.baseline));

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    delete env.NODE_OPTIONS;
    Object.assign(env, {
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    const poolMax = env.DB_POOL_MAX ?? '10';
    const ours = await startService(
      'service',
      process.execPath,
      serviceArgs(ROOT),
      ROOT,
      env,
      'GraphQL and playground at',
    );
    services.push(ours);
    // The same service without its operation cache: what a query pays when no earlier answer holds
    // (other arguments, the first after a write), its figures still from the figure cache.
    const uncached = await startService(
      'no op cache',
      process.execPath,
      serviceArgs(ROOT),
      ROOT,
      { ...env, RESPONSE_CACHE_BYTES: '0' },
      'GraphQL and playground at',
    );
    services.push(uncached);
    const baseline = options.baseline
      ? await startService(
          'baseline',
          process.execPath,
          serviceArgs(path.resolve(options.baseline)),
          path.resolve(options.baseline),
          env,
          'GraphQL and playground at',
        )
      : undefined;
    if (baseline) services.push(baseline);
    const peer = await startService(
      'PostGraphile',
      peerNode,
      ['server.mjs'],
      PEER_DIR,
      { ...env, POOL_MAX: poolMax, GRAPHILE_ENV: 'production' },
      'postgraphile ready',
    );
    services.push(peer);

    const largest = generatedRoleSlugs(1)[0]!;
    // The peer has no notion of "open as of now": both sides use the same instant.
    const now = new Date().toISOString();
    const open = `{ postedAt: { lessThanOrEqualTo: "${now}" }, or: [{ closedAt: { isNull: true } }, { closedAt: { greaterThan: "${now}" } }] }`;
    const ourProbes = {
      stats: graphql(
        'role statistics (README query)',
        `{ role(slug: "${largest}") { title stats { openings employers salary { mean median min max } degreeRequirement { employerShare employersRequiring employersKnown } } } }`,
      ),
      // dedupe: false, as PostGraphile counts every posting (it knows nothing of duplicate groups).
      subset: graphql(
        'statistics subset',
        `{ role(slug: "${largest}") { stats(dedupe: false) { openings employers salary { mean } } } }`,
      ),
      roles50: graphql(
        '50 roles statistics',
        `{ roles(first: 50) { edges { node { slug stats { openings employers salary { mean median } degreeRequirement { employerShare } } } } } }`,
      ),
      list: graphql(
        '20 roles x 20 postings',
        `{ roles(first: 20) { edges { node { slug postings(first: 20) { edges { node { id title postedAt } } } } } } }`,
      ),
      // The highest salaries first: read in the order of the observations' (role, salary) index.
      bySalary: graphql(
        '20 x 20 postings by salary',
        `{ roles(first: 20) { edges { node { slug postings(first: 20, orderBy: { field: SALARY, direction: DESC }) { edges { node { id title annualSalaryUsd } } } } } } }`,
      ),
      page: {
        label: 'role page (HTML)',
        method: 'GET',
        path: `/roles/${largest}`,
        check(status: number, text: string) {
          if (status !== 200 || !text.includes('<html')) throw new Error(`role page: HTTP ${status}`);
        },
      } satisfies Probe,
    };
    const peerProbes = {
      subset: graphql(
        'statistics subset',
        `{ allRoles(condition: { slug: "${largest}" }) { nodes { postingsByRoleId(filter: ${open}) { totalCount aggregates { distinctCount { employerId } } }
           salaryObservationsByRoleId(filter: { postingByPostingId: ${open} }) { aggregates { average { amountUsd } } } } } }`,
      ),
      list: graphql(
        '20 roles x 20 postings',
        `{ allRoles(first: 20, orderBy: SLUG_ASC) { nodes { slug postingsByRoleId(first: 20, orderBy: [POSTED_AT_DESC, PRIMARY_KEY_DESC], filter: ${open}) { nodes { rowId title postedAt } } } } }`,
      ),
    };

    // Both sides must give the same answer before their speed is compared.
    const mine = JSON.parse((await timeOnce(ours.base, ourProbes.subset)).text) as {
      data: { role: { stats: { openings: number; employers: number; salary: { mean: number } } } };
    };
    const theirs = JSON.parse((await timeOnce(peer.base, peerProbes.subset)).text) as {
      data: {
        allRoles: {
          nodes: {
            postingsByRoleId: { totalCount: number; aggregates: { distinctCount: { employerId: string } } };
            salaryObservationsByRoleId: { aggregates: { average: { amountUsd: number } } };
          }[];
        };
      };
    };
    const t = theirs.data.allRoles.nodes[0]!;
    const m = mine.data.role.stats;
    if (
      m.openings !== t.postingsByRoleId.totalCount ||
      m.employers !== Number(t.postingsByRoleId.aggregates.distinctCount.employerId)
    ) {
      throw new Error(`the service and PostGraphile disagree: ${JSON.stringify(m)} vs ${JSON.stringify(t)}`);
    }
    if (
      Math.abs(m.salary.mean - Number(t.salaryObservationsByRoleId.aggregates.average.amountUsd)) >
      1e-6 * Math.abs(m.salary.mean)
    ) {
      throw new Error(
        `mean salary differs: ${m.salary.mean} vs ${t.salaryObservationsByRoleId.aggregates.average.amountUsd}`,
      );
    }
    const idleRss = rssMb(ours.child.pid);

    type Key = keyof typeof ourProbes;
    const rows: { key: string; label: string; target: Service; probe: Probe }[] = [];
    for (const key of Object.keys(ourProbes) as Key[]) {
      rows.push({ key, label: ourProbes[key].label, target: ours, probe: ourProbes[key] });
      rows.push({ key, label: ourProbes[key].label, target: uncached, probe: ourProbes[key] });
      if (baseline) rows.push({ key, label: ourProbes[key].label, target: baseline, probe: ourProbes[key] });
      if (key === 'subset' || key === 'list')
        rows.push({ key, label: peerProbes[key].label, target: peer, probe: peerProbes[key] });
    }
    const samples = new Map(rows.map((r) => [r, [] as number[]]));
    process.stderr.write(`${options.rounds} interleaved rounds (plus one warm-up) ...\n`);
    for (let round = 0; round <= options.rounds; round++) {
      for (const r of rows) {
        const { ms: took } = await timeOnce(r.target.base, r.probe);
        if (round > 0) samples.get(r)!.push(took);
      }
    }

    // The first answer after a write to the role: the import CLI (a separate process, as in
    // production) writes one posting of the largest role, then the statistics query runs.
    // With a baseline, both answer after each write, in turns (the second finds the pages the first read in memory).
    const afterWrite: number[] = [];
    const baselineAfterWrite: number[] = [];
    // The write's own time: the import pays the figure snapshots of the role it wrote.
    const writes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const one = path.join(scratchDir, `write-${i}.csv`);
      const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      fs.writeFileSync(
        one,
        `externalId,source,role,company,salaryMin,salaryCurrency,salaryPeriod,postedAt\nbench-write-${i},bench,${largest},Bench Writer ${i},${70_000 + i * 1000},USD,YEAR,${day}\n`,
      );
      const writing = performance.now();
      const written = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/import.ts', 'postings', one], {
        cwd: ROOT,
        env,
      });
      writes.push(performance.now() - writing);
      if (written.status !== 0) throw new Error(`the import CLI failed: ${written.stderr.toString()}`);
      const pairs: [Service, number[]][] = [[ours, afterWrite]];
      if (baseline) pairs[i % 2 === 0 ? 'push' : 'unshift']([baseline, baselineAfterWrite]);
      for (const [target, times] of pairs) times.push((await timeOnce(target.base, ourProbes.stats)).ms);
    }

    // The first answers after a mutation to the role (createPosting over HTTP): before the
    // service's background refresh of its panels (FIGURE_REFRESH) has stored them, readers
    // compute; after it, they read them. Also times the refresh, from the mutation's answer until
    // the role's rows are current again.
    const mutations: number[] = [];
    const beforeRefresh: number[] = [];
    let beforeRefreshTimeouts = 0;
    const refreshes: number[] = [];
    const afterRefresh: number[] = [];
    const keyDb = await openDatabase({ url: databaseUrl });
    try {
      const { key } = await createApiKey(keyDb.pool, 'bench-scale');
      const current = async (): Promise<boolean> =>
        (
          await keyDb.pool.query<{ current: boolean }>(
            `SELECT coalesce(bool_and(f.version = (SELECT sum(shared)::text FROM data_version)
                 AND f.role_version = (SELECT coalesce(sum(v.version), 0)::text FROM role_version v WHERE v.role_id = f.role_id)), false) AS current
             FROM figure_snapshot f JOIN role r ON r.id = f.role_id WHERE r.slug = $1`,
            [largest],
          )
        ).rows[0]?.current === true;
      for (let i = 0; i < 5; i++) {
        const day = new Date(Date.now() - 86_400_000).toISOString();
        const started = performance.now();
        const response = await fetch(`${ours.base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({
            query: `mutation($input: CreatePostingInput!) { createPosting(input: $input) { userErrors { message } } }`,
            variables: {
              input: {
                // Its own key on every run, so that a kept database can be measured again.
                externalId: `bench-mutation-${Date.now()}-${i}`,
                source: 'bench',
                role: largest,
                company: `Bench Mutator ${i}`,
                salaryMin: 80_000 + i * 1000,
                salaryCurrency: 'USD',
                salaryPeriod: 'YEAR',
                postedAt: day,
              },
            },
          }),
        });
        const answer = (await response.json()) as {
          errors?: unknown;
          data?: { createPosting: { userErrors: unknown[] } };
        };
        const answered = performance.now();
        mutations.push(answered - started);
        if (answer.errors || answer.data?.createPosting.userErrors.length)
          throw new Error(`createPosting failed: ${JSON.stringify(answer)}`);
        // Computing may outlast the statement timeout (the largest role at 10M postings): counted, not fatal.
        try {
          beforeRefresh.push((await timeOnce(uncached.base, ourProbes.stats)).ms);
        } catch (error) {
          if (!/HTTP 503 .*"TIMEOUT"/.test((error as Error).message)) throw error;
          beforeRefreshTimeouts += 1;
        }
        // FIGURE_REFRESH_TIMEOUT_MS (10 min) bounds the refresh; past it, it failed.
        const deadline = performance.now() + 660_000;
        while (!(await current())) {
          if (performance.now() > deadline) throw new Error('the refresh after a mutation did not store the panels');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        refreshes.push(performance.now() - answered);
        afterRefresh.push((await timeOnce(uncached.base, ourProbes.stats)).ms);
      }
    } finally {
      await keyDb.close();
    }

    const load: {
      label: string;
      target: Service;
      probe: Probe;
      rps: number;
      p99: number;
      non2xx: number;
      errors: number;
      peakRss: number;
    }[] = [];
    for (const [label, pairs] of [
      [
        '20 roles x 20 postings',
        [
          [ours, ourProbes.list],
          [uncached, ourProbes.list],
          ...(baseline ? [[baseline, ourProbes.list]] : []),
          [peer, peerProbes.list],
        ],
      ],
      [
        'statistics subset',
        [
          [ours, ourProbes.subset],
          [uncached, ourProbes.subset],
          ...(baseline ? [[baseline, ourProbes.subset]] : []),
          [peer, peerProbes.subset],
        ],
      ],
    ] as [string, [Service, Probe][]][]) {
      for (const [target, probe] of pairs) {
        process.stderr.write(
          `${options.connections} connections, ${options.duration} s: ${label} on ${target.name} ...\n`,
        );
        let peakRss = 0;
        const poll = setInterval(() => (peakRss = Math.max(peakRss, rssMb(target.child.pid))), 200);
        const result = await autocannon({
          url: target.base + probe.path,
          method: probe.method,
          headers: { 'content-type': 'application/json' },
          body: probe.body,
          connections: options.connections,
          duration: options.duration,
        });
        clearInterval(poll);
        load.push({
          label,
          target,
          probe,
          rps: result.requests.average,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          peakRss,
        });
      }
    }

    const out: string[] = [];
    out.push(
      `bench:scale: ${fmt(size.postings)} postings (largest role "${largest}": ${fmt(size.largest)}, ${fmt(size.open_largest)} open), ${fmt(size.observations)} salary observations, ${ROLES} roles (Zipf)`,
    );
    out.push(`${importLine}; ${options.rounds} interleaved rounds; node ${process.version}; ${os.cpus().length} cores`);
    out.push('');
    out.push(
      `${pad('single requests', 34)}${pad('server', 14)}${pad('p50 ms', 10)}${pad('p95 ms', 10)}ratio p50 (peer or baseline / service)`,
    );
    for (const r of rows) {
      const values = samples.get(r)!;
      const p50 = percentile(values, 0.5);
      const oursRow = rows.find((x) => x.key === r.key && x.target === ours)!;
      const ratio = r.target === ours ? '' : (p50 / percentile(samples.get(oursRow)!, 0.5)).toFixed(2) + 'x';
      out.push(
        `${pad(r.label, 34)}${pad(r.target.name, 14)}${pad(ms(p50), 10)}${pad(ms(percentile(values, 0.95)), 10)}${ratio}`,
      );
    }
    out.push(
      `${pad('role statistics after a write', 34)}${pad(ours.name, 14)}${pad(ms(percentile(afterWrite, 0.5)), 10)}${pad(ms(percentile(afterWrite, 0.95)), 10)}(5 repetitions: import CLI writes one posting, then the query)`,
    );
    out.push(
      `${pad('the write (import CLI, 1 posting)', 34)}${pad('import CLI', 14)}${pad(ms(percentile(writes, 0.5)), 10)}${pad(ms(percentile(writes, 0.95)), 10)}(process start to exit, with the role's figure snapshots)`,
    );
    for (const [label, values, note] of [
      ['the mutation (createPosting)', mutations, '(HTTP answer; 5 repetitions, into the largest role)'],
      [
        'role statistics after a mutation',
        beforeRefresh,
        `(no op cache, before the refresh: computed${beforeRefreshTimeouts ? `; ${beforeRefreshTimeouts} of 5 answered TIMEOUT, left out` : ''})`,
      ],
      [
        'refresh after a mutation',
        refreshes,
        "(from the answer until the role's panels are stored: FIGURE_REFRESH_DELAY_MS + the refresh)",
      ],
      ['role statistics after the refresh', afterRefresh, '(no op cache: read from the stored panels)'],
    ] as [string, number[], string][])
      out.push(
        `${pad(label, 34)}${pad(ours.name, 14)}${pad(values.length ? ms(percentile(values, 0.5)) : '-', 10)}${pad(values.length ? ms(percentile(values, 0.95)) : '-', 10)}${note}`,
      );
    if (baseline)
      out.push(
        `${pad('role statistics after a write', 34)}${pad(baseline.name, 14)}${pad(ms(percentile(baselineAfterWrite, 0.5)), 10)}${pad(ms(percentile(baselineAfterWrite, 0.95)), 10)}${(percentile(baselineAfterWrite, 0.5) / percentile(afterWrite, 0.5)).toFixed(2)}x`,
      );
    out.push('');
    out.push(
      `${pad(`${options.connections} connections, ${options.duration} s`, 34)}${pad('server', 14)}${pad('req/s', 10)}${pad('p99 ms', 10)}${pad('non-2xx', 10)}${pad('peak RSS', 10)}throughput ratio (service / server)`,
    );
    for (const l of load) {
      const oursRow = load.find((x) => x.label === l.label && x.target === ours)!;
      const ratio = l.target === ours ? '' : (oursRow.rps / l.rps).toFixed(2) + 'x';
      out.push(
        `${pad(l.label, 34)}${pad(l.target.name, 14)}${pad(fmt(l.rps), 10)}${pad(String(l.p99), 10)}${pad(String(l.non2xx + l.errors), 10)}${pad(l.peakRss.toFixed(0) + ' MB', 10)}${ratio}`,
      );
    }
    out.push('');
    out.push(
      `service RSS: ${idleRss.toFixed(0)} MB idle (after one query); peak under load ${Math.max(...load.filter((l) => l.target === ours).map((l) => l.peakRss)).toFixed(0)} MB`,
    );
    process.stdout.write(out.join('\n') + '\n');
    return load.some((l) => l.target === ours && l.non2xx + l.errors > 0) ? 1 : 0;
  } catch (error) {
    for (const s of services)
      if (s.child.exitCode !== null) process.stderr.write(`${s.name} exited with ${s.child.exitCode}:\n${s.log()}\n`);
    throw error;
  } finally {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    if (scratch && options.keep) process.stderr.write(`kept the database: --database ${scratch.url}\n`);
    else await scratch?.drop().catch(() => undefined);
    fs.rmSync(scratchDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause = (error as Error & { cause?: Error }).cause;
    process.stderr.write(`bench:scale failed: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}\n`);
    process.exit(1);
  },
);
