import crypto from 'node:crypto';
import type pg from 'pg';
import { hotQuery } from '../db/prepared.ts';
import type { Queryable } from '../db/read-session.ts';
import { figureWindowOf, figureWindowSql, type FigureWindow } from './figure-cache.ts';
import { roleFiguresStatement, toRoleFigures, type RoleFigureRow, type RoleFigures } from './role-figures.ts';
import { salarySpecKey, type SalarySpec } from './salary-stats.ts';

/**
 * Figure snapshots: a role's default figures computed right after an import wrote to the role and
 * stored in PostgreSQL (figure_snapshot), so that the first reader after the write, in whichever
 * process, reads one row instead of computing them (at 1M postings 420 ms for the largest role).
 * A row answers exactly the operations that would compute the same figures: those whose snapshot
 * has the row's data version (so the same data) and whose instant lies in [valid_from,
 * valid_until) (so no posting opened or closed in between). Any other write (a mutation, a
 * reprocess, another import still running) changes the version, and readers compute again: a
 * snapshot can be missing, never stale.
 */

/** The figures of `stats { ... salary { ... } }` with no arguments: open postings, duplicates once, every source, USD, outliers kept. */
export const DEFAULT_FIGURE_SPEC: SalarySpec = {
  filter: { status: 'OPEN', dedupe: true },
  source: 'ALL',
  currency: 'USD',
  excludeOutliers: false,
};

/** The histogram of a role page's headline salary (ROLE_PAGE_QUERY's $buckets default). */
export const PAGE_HISTOGRAM_BUCKETS = 10;

/** The figure cache's key of loadRoleFigures for a spec and histogram (the loaders' and the snapshots' one key). */
export const roleFiguresKind = (spec: SalarySpec, buckets: number | undefined): string =>
  `role-figures|${salarySpecKey(spec)}|${buckets ?? ''}`;

/**
 * The kinds a row answers: a role page's headline (with its histogram), which is stored, and the
 * README's query (no histogram), which is the same row less its histogram columns.
 */
const PAGE_KIND = roleFiguresKind(DEFAULT_FIGURE_SPEC, PAGE_HISTOGRAM_BUCKETS);
const PLAIN_KIND = roleFiguresKind(DEFAULT_FIGURE_SPEC, undefined);
export const SNAPSHOT_KINDS: ReadonlySet<string> = new Set([PAGE_KIND, PLAIN_KIND]);

/**
 * What a row is stored under: the page's kind and a hash of the statement that computed it. A
 * row holds that statement's result row (the SQL's figures, turned into RoleFigures by the
 * reader's own code), so another release with other SQL rules never reads a row of this one:
 * its statement, and so its hash, differs.
 */
const STORED_KIND = `${PAGE_KIND}|${crypto
  .createHash('sha256')
  .update(roleFiguresStatement([], DEFAULT_FIGURE_SPEC, PAGE_HISTOGRAM_BUCKETS, new Date(0)).text)
  .digest('base64url')
  .slice(0, 16)}`;

// The newer version wins (versions only grow as writes commit); at one version, the later instant.
// Rows of the same roles under other kinds (another release's statement) go: no reader of this one reads them.
const STORE_SQL = `WITH gone AS (
  DELETE FROM figure_snapshot WHERE role_id = ANY($2::int[]) AND kind <> $1
)
INSERT INTO figure_snapshot AS f (kind, role_id, version, valid_from, valid_until, value)
SELECT $1, v.role_id, $4, $5, $6, v.value
FROM unnest($2::int[], $3::jsonb[]) AS v(role_id, value)
WHERE EXISTS (SELECT 1 FROM role r WHERE r.id = v.role_id)
ON CONFLICT (kind, role_id) DO UPDATE
SET version = EXCLUDED.version, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, value = EXCLUDED.value
WHERE f.version::numeric < EXCLUDED.version::numeric
   OR (f.version = EXCLUDED.version AND f.valid_from < EXCLUDED.valid_from)`;

const LOOKUP_SQL = `SELECT role_id, value FROM figure_snapshot
WHERE kind = $1 AND role_id = ANY($2::int[]) AND version = $3
  AND valid_from <= $4 AND (valid_until IS NULL OR valid_until > $4)`;

export interface SnapshotSettings {
  /** work_mem of the computing transaction (DB_WORK_MEM): its groupings and percentiles sort. */
  workMem?: string;
  /** SET LOCAL jit = off (PostgreSQL servers; PGlite has no JIT). */
  jitOff?: boolean;
}

/**
 * Computes the default figures of `roleIds` (with the page's histogram, from which the plain
 * kind follows: the same statement less its histogram) on one REPEATABLE READ snapshot together
 * with that snapshot's data version and next change instant, and stores them. Returns the roles stored.
 * Not a ReadSession: its statement timeout is the service's bound on a read, and this computation,
 * paid once by an import, takes longer at 10M postings.
 */
export async function refreshFigureSnapshots(
  pool: pg.Pool,
  roleIds: readonly number[],
  settings: SnapshotSettings = {},
  asOf: Date = new Date(),
): Promise<number> {
  const ids = [...new Set(roleIds)];
  if (ids.length === 0) return 0;
  const client = await pool.connect();
  let broken = false;
  try {
    const locals = [
      ...(settings.workMem ? [`SET LOCAL work_mem = '${settings.workMem}'`] : []),
      ...(settings.jitOff ? ['SET LOCAL jit = off'] : []),
    ];
    await client.query(['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', ...locals].join(';\n'));
    let window: FigureWindow;
    let rows: RoleFigureRow[];
    try {
      window = figureWindowOf((await client.query(figureWindowSql(asOf))).rows, asOf);
      const statement = roleFiguresStatement(ids, DEFAULT_FIGURE_SPEC, PAGE_HISTOGRAM_BUCKETS, asOf);
      rows = (await client.query<RoleFigureRow>(statement.text, statement.values)).rows;
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    }
    const until = Number.isFinite(window.next) ? new Date(window.next) : null;
    await client.query(STORE_SQL, [
      STORED_KIND,
      rows.map((r) => r.role_id),
      rows.map((r) => JSON.stringify(r)),
      window.version,
      asOf,
      until,
    ]);
    return rows.length;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/** The row without its histogram: what the statement returns when no bucket count is asked for (the plain kind). */
function plainOf(row: RoleFigureRow): RoleFigureRow {
  return { ...row, lowers: null, uppers: null, counts: null };
}

/**
 * The stored figures of `kind` (one of SNAPSHOT_KINDS) for `ids` that answer `window` (same data
 * version, instant in their validity), by role. Their validity ends at the window's next change
 * instant, as any figure's.
 */
export async function storedFigures(
  db: Queryable,
  kind: string,
  ids: readonly number[],
  window: FigureWindow,
): Promise<Map<number, RoleFigures>> {
  const { rows } = await hotQuery<{ role_id: number; value: RoleFigureRow }>(db, LOOKUP_SQL, [
    STORED_KIND,
    ids,
    window.version,
    new Date(window.asOf),
  ]);
  const found = rows.map((r) => r.role_id);
  const figures = toRoleFigures(
    rows.map((r) => (kind === PLAIN_KIND ? plainOf(r.value) : r.value)),
    found,
    DEFAULT_FIGURE_SPEC,
  );
  return new Map(found.map((id, i) => [id, figures[i] as RoleFigures]));
}
