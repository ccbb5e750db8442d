import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { writeGeneratedPostings } from '../../scripts/generate-postings.ts';
import { digestImportTables } from './table-snapshot.ts';

const ROOT = path.resolve(__dirname, '../..');
const RATES = path.join(ROOT, 'data/exchange-rates.csv');
const ROWS = 200_000;
const BATCH = 10_000;

function startImport(
  db: TestDatabase,
  file: string,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  // node --import tsx (not the tsx CLI, which runs the script in a second process that a SIGKILL would not reach).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/import.ts', 'postings', file, '--batch-size', String(BATCH), '--json'],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, TEST_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return { child, done };
}

async function postingCount(db: TestDatabase): Promise<number> {
  const result = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM posting');
  return result.rows[0]?.n ?? 0;
}

// Killing the child while it holds a transaction would leave the embedded PGlite's single
// session inside that transaction, so this test needs a real server.
const withServer = serverUrl() ? describe : describe.skip;
const title = serverUrl()
  ? 'kill and re-run of a large import'
  : 'kill and re-run of a large import (skipped: needs a PostgreSQL server in DATABASE_URL or TEST_DATABASE_URL)';

withServer(title, () => {
  let killed: TestDatabase;
  let clean: TestDatabase;
  let scratch: string;
  let file: string;

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'import-kill-'));
    file = path.join(scratch, 'postings.csv');
    [killed, clean] = await Promise.all([
      createTestDatabase(),
      createTestDatabase(),
      writeGeneratedPostings(file, ROWS, 7),
    ]).then(([a, b]) => [a, b] as const);
    await importFile(killed, 'rates', RATES);
    await importFile(clean, 'rates', RATES);
  }, 600_000);

  afterAll(async () => {
    await killed?.close();
    await clean?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test(`SIGKILL at a random point after some batches committed, then a re-run, equals one clean import of ${ROWS} rows`, async () => {
    // Kill once between 2 and 15 batches have committed.
    const threshold = BATCH * (2 + Math.floor(Math.random() * 14));
    const first = startImport(killed, file);
    let finished = false;
    void first.done.then(() => (finished = true));
    let seen = 0;
    while (!finished) {
      seen = await postingCount(killed);
      if (seen >= threshold) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // A random extra delay lands the kill anywhere inside the next batch.
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    first.child.kill('SIGKILL');
    const outcome = await first.done;
    expect({ signal: outcome.signal, threshold }).toEqual({ signal: 'SIGKILL', threshold });
    // A COMMIT sent just before the kill still completes on the server: wait until no other
    // session of this database is busy before counting.
    for (let i = 0; i < 100; i++) {
      const busy = await killed.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'`,
      );
      if (busy.rows[0]?.n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const committed = await postingCount(killed);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(ROWS);
    expect(committed % BATCH).toBe(0);

    const rerun = startImport(killed, file);
    const second = await rerun.done;
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.stdout) as {
      read: number;
      inserted: number;
      updated: number;
      unchanged: number;
      rejected: number;
    };
    expect(summary.read).toBe(ROWS);
    expect(summary.rejected).toBe(0);
    expect(summary.inserted).toBe(ROWS - committed);
    expect(summary.unchanged).toBe(committed);

    const once = await importFile(clean, 'postings', file, { batchSize: BATCH });
    expect(once).toMatchObject({ read: ROWS, inserted: ROWS, rejected: 0 });
    const [a, b] = await Promise.all([digestImportTables(killed.pool), digestImportTables(clean.pool)]);
    expect(a).toEqual(b);
    expect(a.posting?.rows).toBe(ROWS);
    expect(a.observation?.rows).toBeGreaterThan(ROWS / 2);
  }, 600_000);
});
