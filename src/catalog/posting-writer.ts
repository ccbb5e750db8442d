import type { SalaryPeriod, Seniority } from '../domain/field-rules.ts';
import { regroup } from '../importer/posting-groups.ts';
import { parseSalaryText } from '../importer/raw/salary-text.ts';
import type { PostingRecord } from './posting-record.ts';
import { postingsByIds } from './postings.ts';
import { beginWrite, writeRow, type WriteDatabase, type WriteMode } from './row-writer.ts';
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
  /** The salary as published; read into salaryMin/salaryMax when neither is given (explicit bounds win). */
  salaryText?: string | null;
  salaryEstimated?: boolean | null;
  /** The ad's text; the education requirement is read from it unless degreeRequired states one. */
  description?: string | null;
  employmentType?: string | null;
  url?: string | null;
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
  'salaryText',
  'salaryEstimated',
  'description',
  'employmentType',
  'url',
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

/**
 * A salary that the stored salaryText reads to is the text's, not a stated one: left out of the row
 * (as a requirement read from the description is), so that it is read again from the text as
 * changed, unless the change states a bound. An estimate flag the text gives is the text's too.
 */
function withSalaryFromText(stored: Record<string, unknown>, changes: PostingChanges): Record<string, unknown> {
  const text = stored.salaryText;
  if (typeof text !== 'string') return stored;
  const parsed = parseSalaryText(text, typeof stored.salaryCurrency === 'string' ? stored.salaryCurrency.trim() : null);
  if (!parsed.ok) return stored;
  const row = { ...stored };
  const stated = changes.salaryMin !== undefined || changes.salaryMax !== undefined;
  if (!stated && parsed.salary.min === stored.salaryMin && parsed.salary.max === stored.salaryMax) {
    row.salaryMin = null;
    row.salaryMax = null;
  }
  if (changes.salaryEstimated === undefined && stored.salaryEstimated === parsed.salary.estimated)
    row.salaryEstimated = null;
  return row;
}

async function readPosting(db: WriteDatabase, id: number, asOf: Date): Promise<PostingRecord | null> {
  const [posting] = await postingsByIds(db.pool, [id], asOf);
  return posting ?? null;
}

async function write(
  db: WriteDatabase,
  row: Record<string, unknown>,
  mode: WriteMode,
  asOf: Date,
): Promise<PostingWrite> {
  const written = await writeRow(db, 'postings', row, mode);
  if (written.id === null) return { posting: null, userErrors: written.userErrors };
  return { posting: await readPosting(db, written.id, asOf), userErrors: [] };
}

async function rewrite(
  db: WriteDatabase,
  id: number | null,
  changes: PostingChanges,
  asOf: Date,
): Promise<PostingWrite> {
  const stored = id === null ? null : await storedRow(db, id);
  if (id === null || stored === null) return { posting: null, userErrors: NOT_FOUND };
  const row = withSalaryFromText(stored, changes);
  for (const field of CHANGEABLE) if (changes[field] !== undefined) row[field] = changes[field];
  return write(db, row, 'replace', asOf);
}

/**
 * Creates a posting with the import's rules, and returns it as of `asOf`; one whose source and
 * externalId exist already is refused (user error alreadyExists) and nothing is written.
 */
export function createPosting(db: WriteDatabase, input: NewPosting, asOf: Date): Promise<PostingWrite> {
  return write(db, { ...input }, 'create', asOf);
}

/** Creates a posting, or replaces the one with its source and externalId as a whole, as a re-import would. */
export function upsertPosting(db: WriteDatabase, input: NewPosting, asOf: Date): Promise<PostingWrite> {
  return write(db, { ...input }, 'replace', asOf);
}

/**
 * Changes the given fields of posting `id` (null when the caller's id named none): the stored
 * posting, overlaid with `changes`, is written again with the import's rules, which check the result.
 */
export function updatePosting(
  db: WriteDatabase,
  id: number | null,
  changes: PostingChanges,
  asOf: Date,
): Promise<PostingWrite> {
  return rewrite(db, id, changes, asOf);
}

/** Sets a posting's closedAt; one before its postedAt breaks the import's `closedBeforePosted` rule. */
export function closePosting(db: WriteDatabase, id: number | null, closedAt: Date, asOf: Date): Promise<PostingWrite> {
  return rewrite(db, id, { closedAt }, asOf);
}

export interface PostingDeletion {
  deletedId: number | null;
  userErrors: UserError[];
}

/**
 * Deletes posting `id` (its salary observation goes with it) and, in the same transaction,
 * regroups the postings that shared its duplicate key, so that the group it belonged to gets its
 * next earliest member, size, salary and degree requirement (posting-groups.ts).
 */
export async function deletePosting(db: WriteDatabase, id: number | null): Promise<PostingDeletion> {
  if (id === null) return { deletedId: null, userErrors: NOT_FOUND };
  const client = await db.pool.connect();
  let broken = false;
  try {
    await client.query(beginWrite(db));
    try {
      const { rows } = await client.query<{ employer_id: number; dedupe_key: string | null }>(
        'DELETE FROM posting WHERE id = $1 RETURNING employer_id, dedupe_key',
        [id],
      );
      const deleted = rows[0];
      if (deleted === undefined) {
        await client.query('ROLLBACK');
        return { deletedId: null, userErrors: NOT_FOUND };
      }
      if (deleted.dedupe_key !== null) {
        // The postings left under its key: their groups (the deleted one's among them) are walked again.
        const touched =
          'SELECT p.id, p.group_id, p.employer_id, p.dedupe_key FROM posting p WHERE p.employer_id = $1 AND p.dedupe_key = $2';
        await regroup(client, touched, [deleted.employer_id, deleted.dedupe_key]);
      }
      await client.query('COMMIT');
      return { deletedId: id, userErrors: [] };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    }
  } finally {
    client.release(broken ? true : undefined);
  }
}
