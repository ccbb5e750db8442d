import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { importFile } from '../../src/importer/import-file.ts';
import type { ImportOptions, ImportSummary } from '../../src/importer/import-types.ts';

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const text = v instanceof Date ? v.toISOString() : String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Writes rows as a real CSV file and imports it with the importer, as `npm run import` would. */
export async function importRows(
  db: Database,
  kind: 'postings' | 'observations' | 'rates',
  rows: Record<string, unknown>[],
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-rows-'));
  const file = path.join(dir, `${kind}.csv`);
  fs.writeFileSync(
    file,
    [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h])).join(','))].join('\n') + '\n',
  );
  try {
    const summary = await importFile(db, kind, file, options);
    if (summary.rejected > 0) throw new Error(`rows rejected: ${JSON.stringify(summary.errors.slice(0, 3))}`);
    return summary;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
