import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/db/free-port.ts';
import { LOCK_FILE, processStartTicks, type LockInfo } from '../src/db/embedded-lock.ts';
import { ROOT, startService, type ChildService } from './hardening/support/child-service.ts';
import { runScript } from './support/run.ts';
import { gql } from './support/server.ts';

// Real processes on one PGLITE_DIR: `npm start` (src/main.ts) and the npm scripts. The machine
// may be loaded: every bound here is generous, none is a performance budget.
const START_MS = 240_000;
const SLUG = 'shared-folder-engineer';
const ROWS = 25;

const HEADER =
  'externalId,source,role,roleTitle,title,company,location,country,remote,salaryMin,salaryMax,salaryCurrency,salaryPeriod,degreeRequired,seniority,postedAt,closedAt';

function postingsCsv(file: string): void {
  const lines = [HEADER];
  for (let i = 0; i < ROWS; i++) {
    lines.push(
      `sf-${i},board,${SLUG},Shared Folder Engineer,Engineer ${i},Company ${i % 7},Berlin,de,no,${50_000 + i * 1000},${60_000 + i * 1000},USD,YEAR,${i % 2 === 0},MID,2025-06-01,`,
    );
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

const ROLE_POSTINGS = `query($slug: String!) { role(slug: $slug) { title postings(first: 1) { totalCount } } }`;
const UPSERT_ROLE = `mutation($input: UpsertRoleInput!) { upsertRole(input: $input) { role { slug title } userErrors { field message } } }`;

type RolePostings = { role: { title: string; postings: { totalCount: number } } | null };
type Upserted = { upsertRole: { role: { slug: string; title: string } | null; userErrors: { message: string }[] } };

function readLock(dir: string): LockInfo {
  return JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockInfo;
}

describe('npm start and the npm scripts on one embedded database folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-shared-'));
  const csv = path.join(dir, '..', `${path.basename(dir)}-postings.csv`);
  let service: ChildService | undefined;
  let key = '';

  beforeAll(async () => {
    postingsCsv(csv);
    service = await startService({ PGLITE_DIR: dir, LOG_LEVEL: 'warn' }, START_MS);
  }, START_MS);

  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(csv, { force: true });
  });

  it('holds the folder under a lock only its user can read, naming its pid, start time and port', () => {
    const file = path.join(dir, LOCK_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const lock = readLock(dir);
    expect(lock).toMatchObject({ pid: service!.child.pid, role: 'service', ready: true, host: '127.0.0.1' });
    expect(lock.startTicks).toBe(processStartTicks(service!.child.pid!));
    expect(lock.port).toBeGreaterThan(0);
  });

  it(
    "what import, apikey create and seed write while it runs is the service's at once",
    async () => {
      const imported = await runScript('scripts/import.ts', ['postings', csv], { PGLITE_DIR: dir });
      expect(imported.code).toBe(0);
      // The same summary as without a service: the counts, then the postings' lines (docs/import-format.md).
      const [counts, ...postingLines] = imported.stderr.trim().split('\n');
      expect(counts).toMatch(
        new RegExp(
          `^postings from ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: read ${ROWS}, inserted ${ROWS}, updated 0, unchanged 0, rejected 0 in [\\d.]+ s \\(.+ rows/s\\)$`,
        ),
      );
      // Even rows require a degree; the others say it is not needed.
      expect(postingLines).toEqual([
        `rows per role: ${SLUG} ${ROWS} (0 classified by title, 0 by --default-role)`,
        `degree requirement: REQUIRED ${Math.ceil(ROWS / 2)}, NOT_MENTIONED ${Math.floor(ROWS / 2)}`,
      ]);
      const res = await gql<RolePostings>(service!.url, ROLE_POSTINGS, { slug: SLUG });
      expect(res.data?.role?.postings.totalCount).toBe(ROWS);

      const again = await runScript('scripts/import.ts', ['postings', csv, '--json'], { PGLITE_DIR: dir });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({
        read: ROWS,
        inserted: 0,
        updated: 0,
        unchanged: ROWS,
        rejected: 0,
      });

      const created = await runScript('scripts/apikey.ts', ['create', 'shared-folder'], { PGLITE_DIR: dir });
      expect(created.code).toBe(0);
      key = created.stdout.trim();
      expect(key.length).toBeGreaterThan(20);
      const upserted = await gql<Upserted>(
        service!.url,
        UPSERT_ROLE,
        { input: { slug: 'made-with-cli-key', title: 'Made With CLI Key' } },
        { authorization: `Bearer ${key}` },
      );
      expect(upserted.status).toBe(200);
      expect(upserted.data?.upsertRole.userErrors).toEqual([]);
      expect(upserted.data?.upsertRole.role?.slug).toBe('made-with-cli-key');

      const seeded = await runScript('scripts/seed.ts', [], { PGLITE_DIR: dir });
      expect(seeded.code).toBe(0);
      expect(seeded.stderr).toContain(`through the service, pid ${service!.child.pid}`);
      expect(seeded.stderr).toContain('backend-developer (unchanged)');

      const deployed = await runScript('scripts/migrate.ts', [], { PGLITE_DIR: dir });
      expect(deployed.code).toBe(0);
      expect(deployed.stderr).toContain('is up to date');
      const report = await runScript('scripts/report.ts', ['backend-developer'], { PGLITE_DIR: dir });
      expect(report.code).toBe(0);
      expect(report.stdout).toContain('Job openings: 3');
    },
    START_MS,
  );

  it(
    'a second npm start on the folder stops with one line naming the folder, the holder pid and what to do',
    async () => {
      const second = await runScript('src/main.ts', [], {
        PGLITE_DIR: dir,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
      });
      expect(second.code).not.toBe(0);
      const lines = second.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(dir);
      expect(lines[0]).toContain(`pid ${service!.child.pid}`);
      expect(lines[0]).toContain(`stop it first (kill ${service!.child.pid})`);
      // The first one is unharmed.
      expect(readLock(dir).pid).toBe(service!.child.pid);
      expect(
        (await gql<RolePostings>(service!.url, ROLE_POSTINGS, { slug: SLUG })).data?.role?.postings.totalCount,
      ).toBe(ROWS);
    },
    START_MS,
  );

  it(
    'after a restart the rows, the key and what the key wrote are still there, and the lock names the new process',
    async () => {
      expect((await service!.stop()).code).toBe(0);
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
      service = await startService({ PGLITE_DIR: dir, LOG_LEVEL: 'warn' }, START_MS);
      expect(readLock(dir).pid).toBe(service.child.pid);
      expect(
        (await gql<RolePostings>(service.url, ROLE_POSTINGS, { slug: SLUG })).data?.role?.postings.totalCount,
      ).toBe(ROWS);
      expect(
        (await gql<RolePostings>(service.url, ROLE_POSTINGS, { slug: 'made-with-cli-key' })).data?.role?.title,
      ).toBe('Made With CLI Key');
      const upserted = await gql<Upserted>(
        service.url,
        UPSERT_ROLE,
        { input: { slug: 'after-restart', title: 'After Restart' } },
        { authorization: `Bearer ${key}` },
      );
      expect(upserted.data?.upsertRole.userErrors).toEqual([]);
    },
    START_MS,
  );
});

describe('a lock whose holder is gone', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-stale-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const staleLock = (pid: number, startTicks: string | null): void =>
    fs.writeFileSync(
      path.join(dir, LOCK_FILE),
      JSON.stringify({
        pid,
        startTicks,
        startedAt: '2020-01-01T00:00:00.000Z',
        role: 'service',
        command: 'node main.ts',
        host: '127.0.0.1',
        port: 1,
        token: 't',
        ready: true,
        nonce: 'old',
      }),
      { mode: 0o600 },
    );

  it(
    'is taken over: by a CLI when its pid is dead, by npm start when its pid now belongs to a process started at another time',
    async () => {
      // A pid that has just ended.
      const gone = spawnSync('true');
      staleLock(gone.pid!, '1');
      const listed = await runScript('scripts/apikey.ts', ['list'], { PGLITE_DIR: dir });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toBe('No API keys.\n');
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);

      // This test's own pid is alive, but it did not start at tick 1.
      staleLock(process.pid, '1');
      const service = await startService({ PGLITE_DIR: dir, LOG_LEVEL: 'warn' }, START_MS);
      try {
        expect(readLock(dir).pid).toBe(service.child.pid);
        expect(readLock(dir).startTicks).toBe(processStartTicks(service.child.pid!));
      } finally {
        expect((await service.stop()).code).toBe(0);
      }
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    },
    START_MS,
  );
});

describe("npm start meeting a CLI's lock", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-wait-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(
    'waits for it, saying so, and starts once it is released',
    async () => {
      // Stands in for a long import that opened the folder itself.
      const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
      const lock: LockInfo = {
        pid: holder.pid!,
        startTicks: processStartTicks(holder.pid!),
        startedAt: new Date().toISOString(),
        role: 'cli',
        command: 'node import.ts postings big.csv',
        host: '127.0.0.1',
        port: null,
        token: 't',
        ready: false,
        nonce: 'cli',
      };
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(lock), { mode: 0o600 });
      const port = await freePort();
      const env = {
        ...process.env,
        NODE_OPTIONS: undefined,
        DATABASE_URL: undefined,
        TEST_DATABASE_URL: undefined,
        PGLITE_DIR: dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      };
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const waitFor = async (text: string) => {
        const deadline = Date.now() + START_MS / 2;
        while (!output.includes(text) && child.exitCode === null && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        if (!output.includes(text)) throw new Error(`no "${text}" in:\n${output}`);
      };
      try {
        await waitFor(
          `waiting for pid ${holder.pid} (node import.ts postings big.csv) to finish with the embedded database in ${dir}`,
        );
        // It has not opened the folder meanwhile.
        expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(false);
        expect(readLock(dir).pid).toBe(holder.pid);
        holder.kill('SIGKILL');
        await waitFor('GraphQL and playground at');
        expect(readLock(dir).pid).toBe(child.pid);
        const res = await gql<RolePostings>(`http://127.0.0.1:${port}`, ROLE_POSTINGS, { slug: 'backend-developer' });
        expect(res.data?.role?.postings.totalCount).toBe(3);
      } finally {
        holder.kill('SIGKILL');
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    },
    START_MS,
  );
});
