import type pg from 'pg';
import { loadConfig } from '../config.ts';
import type { StageColumn } from './staging-table.ts';

/**
 * Title and location as compared for duplicates (docs/methodology.md, "Duplicates across
 * sources"): Unicode NFKC, case folding (upper- then lower-casing, as for employers), NFKC again,
 * punctuation to space, white space collapsed and trimmed. A missing value is ''.
 */
export function normalizeDedupeText(text: string | null | undefined): string {
  if (!text) return '';
  return text
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/\p{P}/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/**
 * The stored part of a posting's duplicate key; with its employer it identifies the postings
 * that may be one ad. Normalized text holds no newline, so the two parts cannot run together.
 */
export function dedupeKey(title: string | null | undefined, location: string | null | undefined): string {
  return `${normalizeDedupeText(title)}\n${normalizeDedupeText(location)}`;
}

/** The staging column that carries a row's key into `posting.dedupe_key`. */
export function dedupeKeyColumn<T extends { title: string | null; location: string | null }>(): StageColumn<T> {
  return { name: 'dedupe_key', type: 'text', value: (r) => dedupeKey(r.title, r.location) };
}

/** The configured window (DEDUPE_WINDOW_DAYS), read at each batch so that a test or a reprocess can change it. */
export function dedupeWindowDays(env: NodeJS.ProcessEnv = process.env): number {
  return loadConfig(env).DEDUPE_WINDOW_DAYS;
}

function windowLiteral(windowDays: number): string {
  if (!Number.isSafeInteger(windowDays) || windowDays < 0)
    throw new Error(`dedupe window must be a whole number of days, got ${windowDays}`);
  return String(windowDays);
}

// The canonical order of a key's postings: earliest first, ties by source, then externalId (byte order).
const CANONICAL = (p: string) => `${p}.posted_at, ${p}.source COLLATE "C", ${p}.external_id COLLATE "C"`;

/**
 * `touched` is a SELECT of posting rows (id, group_id, employer_id, dedupe_key): the postings just
 * written. The keys to regroup are theirs and those of every posting in the group a touched
 * posting was in before (its key may have changed, leaving the old group to be regrouped).
 * With `onlyShared`, a touched posting that was in no group and is alone with its key is left
 * out: it stays a group of one, which costs the batch nothing more. LATERAL ... OFFSET 0 keeps
 * each lookup an index probe per row: the planner cannot estimate the CTEs' sizes and would
 * otherwise scan the whole posting table for a batch of any size.
 */
const keysCte = (touched: string, onlyShared = false) => `touched AS (${touched}),
  keys AS (
    SELECT DISTINCT x.employer_id AS e, x.dedupe_key AS k FROM (
      SELECT t.employer_id, t.dedupe_key FROM touched t
      ${
        onlyShared
          ? `WHERE t.group_id IS NOT NULL
         OR EXISTS (SELECT 1 FROM posting q WHERE q.employer_id = t.employer_id AND q.dedupe_key = t.dedupe_key AND q.id <> t.id)`
          : ''
      }
      UNION ALL
      SELECT o.employer_id, o.dedupe_key FROM touched t
      CROSS JOIN LATERAL (SELECT m.employer_id, m.dedupe_key FROM posting m WHERE m.group_id = t.group_id AND m.id <> t.id OFFSET 0) o
      WHERE t.group_id IS NOT NULL
    ) x WHERE x.dedupe_key IS NOT NULL
  )`;

/**
 * The statements that regroup the keys of the `touched` postings, in the writer's transaction
 * (docs/methodology.md, "Duplicates across sources"):
 * 1. advisory transaction locks on the keys' buckets (REGROUP_LOCK_BUCKETS of them), in bucket
 *    order, so that two writers regroup a key in turn (the next statement's snapshot then sees
 *    what the other one committed, so two ads imported at once by two writers still find each
 *    other). Buckets, not one lock a key: advisory locks live in PostgreSQL's shared lock table
 *    (max_locks_per_transaction x max_connections, 6,400 by default), which a 10,000-key batch
 *    would fill, failing every transaction of the server with "out of shared memory";
 * 2. per key, the groups' first postings by a walk (a recursive CTE that jumps from a group's
 *    first posting to the first posting more than the window after it, one index probe a
 *    group); every posting of the key belongs to the last group started at or before it in the
 *    canonical order; each posting of a group of two or more gets the group's first posting as
 *    group_id, and that first posting the group's size, salary posting and degree requirement (its
 *    boolean, label and level, all three from the earliest member whose requirement is known). A
 *    group of one is stored as group_id null (the columns' defaults), so a new posting that
 *    duplicates nothing costs no update: rewriting every new row once more, with all its
 *    indexes, used to double the import's cost. Rows already right are left alone. A touched
 *    posting without a key (stored before keys existed) is a group of one.
 * JIT is off for the rest of the transaction (after the locks, the first statement, which
 * callers may run alone): the misestimated CTEs would make PostgreSQL spend seconds compiling
 * plans that run in milliseconds.
 */
/** Advisory locks a regrouping writer takes at most (one per bucket of keys), whatever its batch size. */
export const REGROUP_LOCK_BUCKETS = 256;
/** First key of the regrouping locks' two-key form (ASCII "dedu"), apart from other advisory locks. */
const REGROUP_LOCK_SPACE = 0x64656475;

export function regroupSql(touched: string, windowDays: number = dedupeWindowDays()): string[] {
  const span = `interval '${windowLiteral(windowDays)} days'`;
  const lock = `WITH ${keysCte(touched)}
    SELECT count(*) AS locked FROM (
      SELECT pg_advisory_xact_lock(${REGROUP_LOCK_SPACE}, b) FROM (
        SELECT DISTINCT mod(hashtext(e::text || ':' || k) & 2147483647, ${REGROUP_LOCK_BUCKETS}) AS b FROM keys
      ) buckets ORDER BY b
    ) l`;
  const regroup = `WITH RECURSIVE ${keysCte(touched, true)},
  walk AS (
    SELECT k.e, k.k, f.id, f.posted_at FROM keys k
    CROSS JOIN LATERAL (
      SELECT p.id, p.posted_at FROM posting p WHERE p.employer_id = k.e AND p.dedupe_key = k.k
      ORDER BY ${CANONICAL('p')} LIMIT 1
    ) f
    UNION ALL
    SELECT w.e, w.k, n.id, n.posted_at FROM walk w
    CROSS JOIN LATERAL (
      SELECT p.id, p.posted_at FROM posting p
      WHERE p.employer_id = w.e AND p.dedupe_key = w.k AND p.posted_at > w.posted_at + ${span}
      ORDER BY ${CANONICAL('p')} LIMIT 1
    ) n
  ),
  members AS (
    SELECT p.*, count(w.id) OVER (PARTITION BY p.employer_id, p.dedupe_key ORDER BY ${CANONICAL('p')} ROWS UNBOUNDED PRECEDING) AS g
    FROM keys k
    CROSS JOIN LATERAL (
      SELECT p.id, p.employer_id, p.dedupe_key, p.posted_at, p.source, p.external_id, p.salary_min, p.salary_max, p.degree_required,
             p.education_requirement, p.education_level,
             p.group_id, p.group_size, p.group_salary_posting_id, p.group_degree_required,
             p.group_education_requirement, p.group_education_level
      FROM posting p WHERE p.employer_id = k.e AND p.dedupe_key = k.k OFFSET 0
    ) p
    LEFT JOIN walk w ON w.id = p.id
  ),
  summary AS (
    SELECT m.employer_id, m.dedupe_key, m.g,
           (array_agg(m.id ORDER BY ${CANONICAL('m')}))[1] AS leader,
           count(*)::int AS size,
           (array_agg(m.id ORDER BY ${CANONICAL('m')}) FILTER (WHERE m.salary_min IS NOT NULL OR m.salary_max IS NOT NULL))[1] AS salary_id,
           (array_agg(m.id ORDER BY ${CANONICAL('m')}) FILTER (WHERE m.degree_required IS NOT NULL))[1] AS degree_id
    FROM members m GROUP BY m.employer_id, m.dedupe_key, m.g
  ),
  wanted AS (
    SELECT w.* FROM (
      SELECT m.id, m.group_id AS old_group_id, m.group_size AS old_group_size, m.group_salary_posting_id AS old_salary, m.group_degree_required AS old_degree,
             m.group_education_requirement AS old_requirement, m.group_education_level AS old_level,
             CASE WHEN s.size > 1 THEN s.leader END AS group_id,
             CASE WHEN m.id = s.leader THEN s.size ELSE 1 END AS group_size,
             CASE WHEN m.id = s.leader AND s.size > 1 THEN s.salary_id END AS group_salary_posting_id,
             CASE WHEN m.id = s.leader AND s.size > 1 THEN d.degree_required END AS group_degree_required,
             CASE WHEN m.id = s.leader AND s.size > 1 THEN coalesce(d.education_requirement, 'UNKNOWN') END AS group_education_requirement,
             CASE WHEN m.id = s.leader AND s.size > 1 THEN d.education_level END AS group_education_level
      FROM members m JOIN summary s ON s.employer_id = m.employer_id AND s.dedupe_key = m.dedupe_key AND s.g = m.g
      LEFT JOIN members d ON d.id = s.degree_id
    ) w
    WHERE (w.old_group_id, w.old_group_size, w.old_salary, w.old_degree, w.old_requirement, w.old_level)
          IS DISTINCT FROM (w.group_id, w.group_size, w.group_salary_posting_id, w.group_degree_required,
                            w.group_education_requirement, w.group_education_level)
  ),
  singles AS (
    UPDATE posting p SET group_id = NULL, group_size = 1, group_salary_posting_id = NULL, group_degree_required = NULL,
           group_education_requirement = NULL, group_education_level = NULL
    WHERE p.id = ANY(ARRAY(SELECT t.id FROM touched t WHERE t.dedupe_key IS NULL))
      AND (p.group_id IS NOT NULL OR p.group_size <> 1 OR p.group_salary_posting_id IS NOT NULL OR p.group_degree_required IS NOT NULL
           OR p.group_education_requirement IS NOT NULL OR p.group_education_level IS NOT NULL)
    RETURNING 1
  )
  UPDATE posting p SET group_id = w.group_id, group_size = w.group_size,
         group_salary_posting_id = w.group_salary_posting_id, group_degree_required = w.group_degree_required,
         group_education_requirement = w.group_education_requirement, group_education_level = w.group_education_level
  FROM wanted w
  WHERE p.id = ANY(ARRAY(SELECT id FROM wanted)) AND p.id = w.id`;
  return [lock, 'SET LOCAL jit = off', regroup];
}

/**
 * Runs regroupSql's steps for the postings `touched` selects with `params` (the SET LOCAL step
 * takes none), in the caller's transaction, and returns how many postings were updated.
 */
export async function regroup(
  client: pg.ClientBase,
  touched: string,
  params: unknown[],
  windowDays: number = dedupeWindowDays(),
): Promise<number> {
  let changed = 0;
  for (const sql of regroupSql(touched, windowDays)) {
    const result = await client.query(sql, sql.includes('$1') ? params : []);
    if (result.command === 'UPDATE') changed += result.rowCount ?? 0;
  }
  return changed;
}

/**
 * After a batch's upsert, in the same transaction: regroups the keys of the postings this
 * transaction inserted or changed (their updated_at is its now()), so that an older posting
 * imported later, or one whose title, location or employer changed, takes the groups it affects
 * with it. Unchanged re-imported rows cost nothing.
 */
export function regroupStagedSql(stagingTable: string, windowDays: number = dedupeWindowDays()): string[] {
  // One probe of the (source, external_id) key per staged row (LATERAL ... OFFSET 0): the staging
  // table is never analyzed, and once posting is, the planner estimated "updated_at = now()" at one
  // row and joined by scanning the staging table once per written posting (20 s a 10,000-row batch
  // into an analyzed 500k-posting table, twice a batch: 258 rows/s instead of thousands).
  return regroupSql(
    `SELECT p.id, p.group_id, p.employer_id, p.dedupe_key FROM ${stagingTable} s
     CROSS JOIN LATERAL (
       SELECT p.id, p.group_id, p.employer_id, p.dedupe_key FROM posting p
       WHERE p.source = s.source AND p.external_id = s.external_id AND p.updated_at = now()::timestamptz(3) OFFSET 0
     ) p`,
    windowDays,
  );
}
