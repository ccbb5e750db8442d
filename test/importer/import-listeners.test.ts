import path from 'node:path';
import { importFile, type ImportSummary } from '../../src/importer/import-file.ts';
import { onImportFinished } from '../../src/importer/import-listeners.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const fixture = (name: string): string => path.resolve(__dirname, '../fixtures/import', name);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

describe('import listeners: how the metrics learn of imports without the importer importing http/', () => {
  it('hands each finished import summary to every subscribed listener, and none after unsubscribing', async () => {
    const seen: ImportSummary[] = [];
    const unsubscribe = onImportFinished((summary) => seen.push(summary));
    const first = await importFile(db, 'rates', fixture('rates.csv'));
    expect(seen).toEqual([first]);
    expect(first.kind).toBe('rates');
    expect(first.inserted).toBeGreaterThan(0);

    unsubscribe();
    await importFile(db, 'rates', fixture('rates.csv'));
    expect(seen).toHaveLength(1);
  });
});
