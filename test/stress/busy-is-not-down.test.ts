import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeGeneratedPostings } from '../../scripts/generate-postings.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { seedDatabase } from '../../src/catalog/seed.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { startService, type ChildService } from '../hardening/support/child-service.ts';

const POSTINGS = 300_000;
const CLIENTS = 200;
const REQUESTS_PER_CLIENT = 4;
/** The README's statistics query. */
const QUERY =
  '{ role(slug: "backend-developer") { stats { openings employers salary { mean median min max } degreeRequirement { employerShare employersRequiring employersKnown } } } }';

const describeWithServer = serverUrl() ? describe : describe.skip;

describeWithServer(`busy is not down: ${CLIENTS} concurrent clients on ${POSTINGS} postings`, () => {
  let db: TestDatabase;
  let service: ChildService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-busy-')), 'postings.csv');
    try {
      await writeGeneratedPostings(file, POSTINGS);
      const summary = await importFile(db, 'postings', file);
      expect(summary.inserted).toBe(POSTINGS);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    await db.pool.query('ANALYZE');
    service = await startService({ DATABASE_URL: db.url, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' }, 120_000);
  }, 900_000);

  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  it('answers every request 200 or OVERLOADED (503, Retry-After), never SERVICE_UNAVAILABLE, and /readyz stays 200 throughout', async () => {
    const statuses = new Map<string, number>();
    const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
    let running = true;
    const readiness: number[] = [];
    const probe = (async () => {
      while (running) {
        readiness.push((await fetch(`${service.url}/readyz`)).status);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const client = async (_: unknown, c: number) => {
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
        // Each request its own alias, so that none is answered from another's execution or kept answer.
        const query = QUERY.replace('{ role(', `{ c${c}r${i}: role(`);
        const res = await fetch(`${service.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        const codes = (body.errors ?? []).map((e) => e.extensions?.code).join(',');
        if (res.status === 503) expect(res.headers.get('retry-after')).not.toBeNull();
        count(`${res.status} ${codes || 'ok'}`);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, client));
    running = false;
    await probe;
    const seconds = (Date.now() - started) / 1000;
    // For the report: how the answers split and how long the load took.
    process.stderr.write(
      `busy-is-not-down: ${JSON.stringify(Object.fromEntries(statuses))} in ${seconds.toFixed(1)} s; /readyz ${readiness.length} probes\n`,
    );
    for (const key of statuses.keys()) expect(['200 ok', '503 OVERLOADED']).toContain(key);
    expect(statuses.get('200 ok') ?? 0).toBeGreaterThan(0);
    expect(readiness.length).toBeGreaterThan(0);
    expect(readiness.every((s) => s === 200)).toBe(true);
    expect(service.child.exitCode).toBeNull();
  }, 900_000);
});
