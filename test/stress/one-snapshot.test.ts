import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeGeneratedPostings } from '../../scripts/generate-postings.ts';
import type { RunningServer } from '../../src/http/server.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { seedDatabase } from '../../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { gql, startTestServer } from '../support/server.ts';

const ROWS = 100_000;
const RESPONSES = 500;

// Figures that must agree within one response: a role's openings and its postings' totalCount
// under the same filter, twice over, and the same for the whole catalogue of a country. The list
// counts every posting, so the openings are counted with dedupe: false (the generated rows hold
// some duplicates by the grouping rule, which the default would count once).
const QUERY = /* GraphQL */ `
  {
    role(slug: "software-engineer") {
      any: stats(filter: { status: ANY }, dedupe: false) { openings }
      anyPostings: postings(first: 1, filter: { status: ANY }) { totalCount }
      open: stats(dedupe: false) { openings }
      openPostings: postings(first: 1) { totalCount }
      de: stats(filter: { status: ANY, country: "DE" }, dedupe: false) { openings }
      dePostings: postings(first: 1, filter: { status: ANY, country: "DE" }) { totalCount }
    }
  }
`;

interface Answer {
  role: {
    any: { openings: number };
    anyPostings: { totalCount: number };
    open: { openings: number };
    openPostings: { totalCount: number };
    de: { openings: number };
    dePostings: { totalCount: number };
  } | null;
}

describe('one response, one snapshot: figures that must agree do, while an import commits batches', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let file: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-snapshot-')), 'postings.csv');
    await writeGeneratedPostings(file, ROWS);
    server = await startTestServer(db);
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
    if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it(`agrees in ${RESPONSES} responses taken during a ${ROWS}-row import`, async () => {
    // Small batches: many commits, so that many responses fall between two of them.
    let importing = true;
    const imported = importFile(db, 'postings', file, { batchSize: 1000 }).finally(() => (importing = false));
    const seen = new Set<number>();
    const mismatches: unknown[] = [];
    let answered = 0;
    let duringImport = 0;
    const client = async () => {
      while (answered < RESPONSES || importing) {
        if (answered >= RESPONSES * 4) break;
        const wasImporting = importing;
        const res = await gql<Answer>(server.url, QUERY);
        expect(res.errors).toBeUndefined();
        answered += 1;
        const r = res.data?.role;
        if (!r) continue; // the role does not exist before the first batch
        if (wasImporting && importing) duringImport += 1;
        seen.add(r.any.openings);
        if (
          r.any.openings !== r.anyPostings.totalCount ||
          r.open.openings !== r.openPostings.totalCount ||
          r.de.openings !== r.dePostings.totalCount
        ) {
          mismatches.push(r);
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    const summary = await imported;
    expect(summary.inserted).toBe(ROWS);
    expect(mismatches).toEqual([]);
    expect(answered).toBeGreaterThanOrEqual(RESPONSES);
    // The responses really did see the import in progress (else the test could not fail).
    expect(duringImport).toBeGreaterThan(20);
    expect(seen.size).toBeGreaterThan(3);
  }, 900_000);
});
