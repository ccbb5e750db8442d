import type { SalaryPeriod, Seniority } from '../domain/field-rules.ts';
import { importOneRow, type WriteDatabase } from './import-one-row.ts';
import type { PostingRecord } from './posting-record.ts';
import { postingsByIds } from './postings.ts';
import type { UserError } from './user-errors.ts';

/** A posting's fields that a write may change; undefined keeps a field, null clears it. */
export interface PostingChanges {
  title?: string | null;
  location?: string | null;
  company?: string | null;
  country?: string | null;
  remote?: boolean | null;
  salaryMin?: number | null;
  salaryMax?: number | null;
  salaryCurrency?: string | null;
  salaryPeriod?: SalaryPeriod | null;
  degreeRequired?: boolean | null;
  seniority?: Seniority | null;
  postedAt?: Date | null;
  closedAt?: Date | null;
}

export interface NewPosting extends PostingChanges {
  externalId: string;
  /** 'manual' when left out. */
  source?: string | null;
  /** The role's slug; an unknown slug creates the role. */
  role: string;
  /** Title of a role created by this posting. */
  roleTitle?: string | null;
}

export interface PostingWrite {
  posting: PostingRecord | null;
  userErrors: UserError[];
}

const CHANGEABLE: readonly (keyof PostingChanges)[] = [
  'title',
  'location',
  'company',
  'country',
  'remote',
  'salaryMin',
  'salaryMax',
  'salaryCurrency',
  'salaryPeriod',
  'degreeRequired',
  'seniority',
  'postedAt',
  'closedAt',
];

const NOT_FOUND: UserError[] = [{ field: ['input', 'id'], rule: 'postingId', message: 'is not the id of a posting' }];

/** A stored posting as an import row: its role's slug, its employer's name and its own (stated) fields. */
async function storedRow(db: WriteDatabase, id: number): Promise<Record<string, unknown> | null> {
  const { rows } = await db.pool.query<Record<string, unknown>>(
    `SELECT p.external_id AS "externalId", p.source, r.slug AS role, p.title, coalesce(p.company_name, e.name) AS company, p.location, p.country,
            p.remote, p.salary_min AS "salaryMin", p.salary_max AS "salaryMax", p.salary_currency AS "salaryCurrency",
            p.salary_period AS "salaryPeriod", p.seniority,
            p.posted_at AS "postedAt", p.closed_at AS "closedAt",
            -- A requirement read from the description is read again from it; only a stated one is a stated value.
            CASE WHEN p.education_origin = 'TEXT' THEN NULL ELSE p.degree_required END AS "degreeRequired",
            p.salary_text AS "salaryText", p.salary_estimated AS "salaryEstimated", p.description,
            p.employment_type AS "employmentType", p.url
     FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id
     WHERE p.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

async function readPosting(db: WriteDatabase, id: number, asOf: Date): Promise<PostingRecord | null> {
  const [posting] = await postingsByIds(db.pool, [id], asOf);
  return posting ?? null;
}

async function rewrite(db: WriteDatabase, id: number | null, changes: PostingChanges, asOf: Date): Promise<PostingWrite> {
  const stored = id === null ? null : await storedRow(db, id);
  if (id === null || stored === null) return { posting: null, userErrors: NOT_FOUND };
  const row = { ...stored };
  for (const field of CHANGEABLE) if (changes[field] !== undefined) row[field] = changes[field];
  const userErrors = await importOneRow(db, 'postings', row);
  if (userErrors.length > 0) return { posting: null, userErrors };
  return { posting: await readPosting(db, id, asOf), userErrors: [] };
}

/**
 * Creates a posting (or, when its source and externalId exist already, replaces it, as a
 * re-import would) through the importer, and returns it as of `asOf`.
 */
export async function createPosting(db: WriteDatabase, input: NewPosting, asOf: Date): Promise<PostingWrite> {
  const userErrors = await importOneRow(db, 'postings', { ...input });
  if (userErrors.length > 0) return { posting: null, userErrors };
  // The importer trims text; the row is found again under the trimmed key.
  const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM posting WHERE source = $1 AND external_id = $2', [
    (input.source ?? 'manual').trim() || 'manual',
    input.externalId.trim(),
  ]);
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`posting ${JSON.stringify(input.externalId)} was imported but cannot be found`);
  return { posting: await readPosting(db, id, asOf), userErrors: [] };
}

/**
 * Changes the given fields of posting `id` (null when the caller's id named none): the stored
 * posting, overlaid with `changes`, is imported again, so the import's rules check the result.
 */
export function updatePosting(db: WriteDatabase, id: number | null, changes: PostingChanges, asOf: Date): Promise<PostingWrite> {
  return rewrite(db, id, changes, asOf);
}

/** Sets a posting's closedAt; one before its postedAt breaks the import's `closedBeforePosted` rule. */
export function closePosting(db: WriteDatabase, id: number | null, closedAt: Date, asOf: Date): Promise<PostingWrite> {
  return rewrite(db, id, { closedAt }, asOf);
}
