import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/database.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { roleInputSchema } from './role-input.ts';
import { upsertRole } from './role-writer.ts';
import { importFile, type ImportSummary } from '../importer/import-file.ts';

export const DATA_DIR = path.join(PROJECT_ROOT, 'data');

export interface SeedResult {
  rates: ImportSummary;
  roles: { slug: string; changed: boolean }[];
  postings: ImportSummary;
}

/**
 * Loads the repository's data files: exchange rates, role pages (data/roles/*.json) and the
 * seed postings (data/seed/postings.csv) through the same importer as `npm run import`.
 * Every step is idempotent, so a second run changes nothing.
 */
export async function seedDatabase(db: Database, dataDir = DATA_DIR): Promise<SeedResult> {
  const rates = await importFile(db, 'rates', path.join(dataDir, 'exchange-rates.csv'));
  const roles: SeedResult['roles'] = [];
  const roleDir = path.join(dataDir, 'roles');
  for (const name of fs
    .readdirSync(roleDir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = path.join(roleDir, name);
    const parsed = roleInputSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}: field ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
    }
    const { changed } = await upsertRole(db, parsed.data);
    roles.push({ slug: parsed.data.slug, changed });
  }
  const postings = await importFile(db, 'postings', path.join(dataDir, 'seed', 'postings.csv'));
  if (rates.rejected > 0 || postings.rejected > 0) {
    const first = [...rates.errors, ...postings.errors][0];
    throw new Error(`seed data has invalid rows: ${first ? `line ${first.line}: ${first.message}` : ''}`);
  }
  return { rates, roles, postings };
}

/** True when the database holds no role yet (first start of the embedded database). */
export async function isEmpty(db: Database): Promise<boolean> {
  const { rows } = await db.pool.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM role) AS empty');
  return rows[0]?.empty ?? true;
}
