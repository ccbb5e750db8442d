import crypto from 'node:crypto';
import type pg from 'pg';
import { hotQuery } from '../db/prepared.ts';
import type { Queryable } from '../db/read-session.ts';
import type { Statement } from '../db/sql/sql-params.ts';
import { filterKey, type PostingFilter } from '../domain/posting-filter.ts';
import {
  breakdownSpecKey,
  breakdownStatement,
  toBreakdowns,
  type BreakdownRow,
  type BreakdownSpec,
} from './breakdown.ts';
import { figureWindowOf, figureWindowSql, nextPeriodStart, type FigureWindow } from './figure-cache.ts';
import { sourceMixStatement, toSourceMixes, type SourceMixRow } from './posting-figures.ts';
import { roleFiguresStatement, toRoleFigures, type RoleFigureRow } from './role-figures.ts';
import { salarySpecKey, type SalarySpec } from './salary-stats.ts';
import { toTrends, trendStatement, type TrendInterval, type TrendRow } from './trend.ts';

/**
 * Figure snapshots: the default panels of a role's page (its headline figures, breakdowns, trend
 * and source mix) computed right after an import wrote to the role and stored in PostgreSQL
 * (figure_snapshot), so that the first reader after the write, in whichever process, reads rows
 * instead of computing them (at 10M postings the largest role's page took longer than the
 * statement timeout).
 * A row answers exactly the operations that would compute the same figures: those whose snapshot
 * has the row's shared version and role version (so the same rows of the role and of the groups
 * its postings lead) and whose instant lies in [valid_from, valid_until) (so no posting opened or
 * closed in between). A write to the role (a mutation, a reprocess, another import still running)
 * or a TRUNCATE changes a version, and readers compute again: a snapshot can be missing, never
 * stale. A write to other roles, or to the exchange rates, leaves the row in use: every panel is
 * in US dollars (checked below), whose rate is 1 whatever the table holds.
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
/** The figure cache's key of loadBreakdowns for a spec. */
export const breakdownKind = (spec: BreakdownSpec): string => `breakdown|${breakdownSpecKey(spec)}`;
/** The figure cache's key of loadTrends for an interval and filter. */
export const trendKind = (interval: TrendInterval, filter: PostingFilter): string =>
  `trend|${interval}|${filterKey(filter)}`;
/** The figure cache's key of loadSourceMix for a filter. */
export const sourceMixKind = (filter: PostingFilter): string => `source-mix|${filterKey(filter)}`;

// The README's query (no histogram) reads the report's headline row less its histogram columns.
const PLAIN_KIND = roleFiguresKind(DEFAULT_FIGURE_SPEC, undefined);

/**
 * A role page's salary arguments, as ROLE_PAGE_QUERY asks for them with its defaults
 * (src/report/role-page-query.ts): the report and the API keep outliers, the HTML page
 * (/roles/:slug) leaves them out unless asked to include them.
 */
const PAGE_SALARY_SPECS: readonly SalarySpec[] = [
  DEFAULT_FIGURE_SPEC,
  { ...DEFAULT_FIGURE_SPEC, excludeOutliers: true },
];
// A row's versions do not cover exchange rates (migration 20261204190000_role_versions): a panel in another currency would read them.
if (PAGE_SALARY_SPECS.some((spec) => spec.currency !== 'USD'))
  throw new Error('figure snapshots store panels in USD only: their validity does not follow exchange rates');

/** A role page's breakdowns over a salary spec, as ROLE_PAGE_QUERY asks for them. */
export const pageBreakdowns = (salary: SalarySpec): BreakdownSpec[] => [
  { salary, minSampleSize: 1, by: ['SENIORITY'], first: 10, orderBy: { field: 'KEY', direction: 'ASC' } },
  { salary, minSampleSize: 1, by: ['COUNTRY'], first: 5, orderBy: { field: 'OPENINGS', direction: 'DESC' } },
];

/**
 * One panel of a role page that an import precomputes: the statement of its loader (whose text
 * depends on the panel's arguments only) and the loader's own mapping of its rows. Every row
 * carries its role_id; a role's rows are stored in statement order and mapped as the loader maps them.
 */
interface Panel {
  /** The figure cache's kind of the loader this panel answers. */
  kind: string;
  statement: (ids: readonly number[], asOf: Date) => Statement;
  toValues: (rows: RoleRow[], ids: readonly number[]) => unknown[];
  /** A bound of the panel's own on its validity (a trend's current period ends), if any. */
  until?: (asOf: number) => number;
}
type RoleRow = { role_id: number };

// Casts from RoleRow to each statement's own row type: the rows are that statement's, read back from JSON.
const PANELS: readonly Panel[] = [
  ...PAGE_SALARY_SPECS.flatMap((spec): Panel[] => [
    {
      kind: roleFiguresKind(spec, PAGE_HISTOGRAM_BUCKETS),
      statement: (ids, asOf) => roleFiguresStatement(ids, spec, PAGE_HISTOGRAM_BUCKETS, asOf),
      toValues: (rows, ids) => toRoleFigures(rows as RoleFigureRow[], ids, spec),
    },
    ...pageBreakdowns(spec).map(
      (breakdown): Panel => ({
        kind: breakdownKind(breakdown),
        statement: (ids, asOf) => breakdownStatement(ids, breakdown, asOf),
        toValues: (rows, ids) => toBreakdowns(rows as BreakdownRow[], ids, breakdown),
      }),
    ),
  ]),
  {
    kind: trendKind('MONTH', DEFAULT_FIGURE_SPEC.filter),
    statement: (ids, asOf) => trendStatement(ids, 'MONTH', DEFAULT_FIGURE_SPEC.filter, asOf),
    toValues: (rows, ids) => toTrends(rows as TrendRow[], ids, 'MONTH'),
    until: (asOf) => nextPeriodStart(asOf, 'MONTH'),
  },
  {
    kind: sourceMixKind(DEFAULT_FIGURE_SPEC.filter),
    statement: (ids, asOf) => sourceMixStatement(ids, DEFAULT_FIGURE_SPEC.filter, asOf),
    toValues: (rows, ids) => toSourceMixes(rows as SourceMixRow[], ids),
  },
];
const HEADLINE = PANELS[0] as Panel;

/**
 * What a panel's rows are stored under: its kind and a hash of the statement that computed them
 * (and of the stored form, an array of a role's rows). A row holds that statement's result rows,
 * turned into figures by the reader's own code, so another release with other SQL rules never
 * reads a row of this one: its statement, and so its hash, differs.
 */
const storedKindOf = (panel: Panel): string =>
  `${panel.kind}|${crypto
    .createHash('sha256')
    .update(`rows[]\n${panel.statement([], new Date(0)).text}`)
    .digest('base64url')
    .slice(0, 16)}`;

const STORED_KINDS = PANELS.map(storedKindOf);
/**
 * The kinds a row answers, by the figure cache's kind: each panel's, and the README's query (no
 * histogram), which is the page's headline row less its histogram columns.
 */
const READERS = new Map<string, { panel: Panel; stored: string; plain: boolean }>([
  ...PANELS.map((panel, i) => [panel.kind, { panel, stored: STORED_KINDS[i] as string, plain: false }] as const),
  [PLAIN_KIND, { panel: HEADLINE, stored: STORED_KINDS[0] as string, plain: true }],
]);
export const SNAPSHOT_KINDS: ReadonlySet<string> = new Set(READERS.keys());

// A role's version on the statement's snapshot: the sum of its slots (none yet: 0).
const roleVersionSql = (role: string) =>
  `(SELECT coalesce(sum(rv.version), 0)::text FROM role_version rv WHERE rv.role_id = ${role})`;

const ROLE_VERSIONS_SQL = `SELECT r.id, ${roleVersionSql('r.id')} AS version FROM unnest($1::int[]) AS r(id)`;

// The newer versions win (both only grow as writes commit: the shared one first, then the
// role's); at the same versions, the later instant. Rows of the same roles under other kinds
// (another release's statements) go: no reader of this one reads them.
const STORE_SQL = `WITH gone AS (
  DELETE FROM figure_snapshot WHERE role_id = ANY($2::int[]) AND kind <> ALL($6::text[])
)
INSERT INTO figure_snapshot AS f (kind, role_id, version, role_version, valid_from, valid_until, value)
SELECT v.kind, v.role_id, $4, v.role_version, $5, v.valid_until, v.value
FROM unnest($1::text[], $2::int[], $3::jsonb[], $7::timestamptz[], $8::text[]) AS v(kind, role_id, value, valid_until, role_version)
WHERE EXISTS (SELECT 1 FROM role r WHERE r.id = v.role_id)
ON CONFLICT (kind, role_id) DO UPDATE
SET version = EXCLUDED.version, role_version = EXCLUDED.role_version, valid_from = EXCLUDED.valid_from,
    valid_until = EXCLUDED.valid_until, value = EXCLUDED.value
WHERE (f.version::numeric, f.role_version::numeric, f.valid_from)
    < (EXCLUDED.version::numeric, EXCLUDED.role_version::numeric, EXCLUDED.valid_from)`;

const LOOKUP_SQL = `SELECT f.kind, f.role_id, f.value
FROM unnest($1::text[], $2::int[]) AS k(kind, role_id)
JOIN figure_snapshot f ON f.kind = k.kind AND f.role_id = k.role_id
WHERE f.version = $3 AND f.role_version = ${roleVersionSql('f.role_id')}
  AND f.valid_from <= $4 AND (f.valid_until IS NULL OR f.valid_until > $4)`;

export interface SnapshotSettings {
  /** work_mem of the computing transaction (DB_WORK_MEM): its groupings and percentiles sort. */
  workMem?: string;
  /** SET LOCAL jit = off (PostgreSQL servers; PGlite has no JIT). */
  jitOff?: boolean;
  /**
   * Connections that compute the panels side by side, on one snapshot (a PostgreSQL server:
   * pg_export_snapshot; PGlite has one connection). Default 1.
   */
  connections?: number;
  /**
   * SET LOCAL statement_timeout of the computing transactions, in ms (0: none). Unset, the
   * connection's own applies: none for the command-line tools, DB_STATEMENT_TIMEOUT_MS for the service's pool.
   */
  statementTimeoutMs?: number;
  /**
   * Cancels the computation (pg_cancel_backend of its connections), e.g. when the service shuts
   * down; the refresh then fails and stores nothing. Only on a PostgreSQL server (PGlite's
   * connections share one backend, which cancelling would stop for everyone).
   */
  signal?: AbortSignal;
}

/**
 * Computes the page panels of `roleIds` (PANELS: the headline with its histogram, from which the
 * README's figures follow, the breakdowns, the trend and the source mix) on one REPEATABLE READ
 * snapshot together with that snapshot's data version and next change instant, and stores them.
 * With `settings.connections` above 1 the panels are shared out over that many connections, the
 * others importing the first one's snapshot, so that every panel still reads the same data.
 * Returns the roles stored. Not a ReadSession: its statement timeout is the service's bound on a
 * read, and this computation, paid once by an import, takes longer at 10M postings.
 */
export async function refreshFigureSnapshots(
  pool: pg.Pool,
  roleIds: readonly number[],
  settings: SnapshotSettings = {},
  asOf: Date = new Date(),
): Promise<number> {
  const ids = [...new Set(roleIds)];
  if (ids.length === 0) return 0;
  const done = await refresh(pool, async () => ids, settings, asOf);
  return done === 'busy' ? 0 : done.length;
}

/** One refresher at a time across processes: pg_try_advisory_xact_lock's key (any fixed number of our own). */
const REFRESH_LOCK = 7_305_163_411;

// Roles whose stored panels a committed write outdated: another shared version or role version
// than the snapshot's. Rows only past their valid_until are left to the readers (see refreshOutdatedSnapshots).
const OUTDATED_SQL = `SELECT f.role_id AS id FROM figure_snapshot f
WHERE f.kind = $1 AND (f.version IS DISTINCT FROM $2 OR f.role_version IS DISTINCT FROM ${roleVersionSql('f.role_id')})
ORDER BY f.role_id`;

/**
 * Refreshes the stored panels of every role whose rows a committed write has outdated (a
 * mutation, a reprocess, a write by hand; an import refreshes its own roles as it ends), on one
 * snapshot. Rows that only reached their valid_until (a posting opened or closed as time went
 * on) are not refreshed here: that instant is shared by every role, and refreshing all of them
 * at each such instant would keep a core busy at 10M postings. Only one refresh runs at a time
 * across every process on the database (an advisory lock): 'busy' when another holds it, so
 * that the caller tries again once it is done. Returns the roles refreshed.
 */
export async function refreshOutdatedSnapshots(
  pool: pg.Pool,
  settings: SnapshotSettings = {},
  asOf: Date = new Date(),
): Promise<number[] | 'busy'> {
  return refresh(
    pool,
    async (first, window) =>
      (await first.query<{ id: number }>(OUTDATED_SQL, [STORED_KINDS[0], window.shared ?? '0'])).rows.map((r) => r.id),
    settings,
    asOf,
    true,
  );
}

/**
 * Computes and stores the panels of the roles `pick` names on the first connection's snapshot.
 * With `locking`, the first transaction takes REFRESH_LOCK ('busy' when another holds it) and
 * stores the rows itself, so that the lock ends with their commit.
 */
async function refresh(
  pool: pg.Pool,
  pick: (first: pg.PoolClient, window: FigureWindow) => Promise<number[]>,
  settings: SnapshotSettings,
  asOf: Date,
  locking = false,
): Promise<number[] | 'busy'> {
  const begin = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    ...(settings.workMem ? [`SET LOCAL work_mem = '${settings.workMem}'`] : []),
    ...(settings.jitOff ? ['SET LOCAL jit = off'] : []),
    ...(settings.statementTimeoutMs !== undefined
      ? [`SET LOCAL statement_timeout = ${Math.max(0, Math.floor(settings.statementTimeoutMs))}`]
      : []),
  ].join(';\n');
  // Holding the advisory lock, the first transaction also stores the rows, so that the lock ends
  // with their commit (PGlite's connections share one session: no other connection could store them meanwhile).
  const beginFirst = locking ? begin.replace(' READ ONLY', '') : begin;
  const clients: pg.PoolClient[] = [await pool.connect()];
  const broken = new Set<pg.PoolClient>();
  const begun: pg.PoolClient[] = [];
  const cancel = () => {
    for (const client of clients) {
      // pg keeps the backend's pid (BackendKeyData) on the client without declaring it.
      const pid = (client as unknown as { processID?: number }).processID;
      if (pid) pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    }
  };
  settings.signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (settings.signal?.aborted) throw new Error('the figure refresh was cancelled');
    const first = clients[0] as pg.PoolClient;
    await first.query(beginFirst);
    begun.push(first);
    const locked =
      !locking ||
      (await first.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [REFRESH_LOCK])).rows[0]
        ?.locked === true;
    const window = figureWindowOf((await first.query(figureWindowSql(asOf))).rows, asOf);
    const picked = locked ? await pick(first, window) : [];
    if (picked.length === 0) {
      for (const client of begun.splice(0)) await client.query('COMMIT');
      return locked ? picked : 'busy';
    }
    const ids = [...new Set(picked)];
    const roleVersions = new Map(
      (await first.query<{ id: number; version: string }>(ROLE_VERSIONS_SQL, [ids])).rows.map((r) => [r.id, r.version]),
    );
    const wanted = Math.min(Math.max(1, settings.connections ?? 1), PANELS.length);
    if (wanted > 1) {
      const { rows } = await first.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const exported = rows[0]?.id as string;
      for (let i = 1; i < wanted; i++) {
        const other = await pool.connect();
        clients.push(other);
        await other.query(begin);
        begun.push(other);
        await other.query(`SET TRANSACTION SNAPSHOT '${exported.replace(/'/g, "''")}'`);
      }
    }
    // Each connection takes the next panel not yet taken, in PANELS' order; after a failure none
    // does, and every connection's statement has ended before any transaction is rolled back.
    const results: RoleRow[][] = new Array(PANELS.length);
    let next = 0;
    let failed = false;
    const outcomes = await Promise.allSettled(
      clients.map(async (client) => {
        while (!failed && next < PANELS.length) {
          const i = next++;
          const statement = (PANELS[i] as Panel).statement(ids, asOf);
          try {
            results[i] = (await client.query<RoleRow>(statement.text, statement.values)).rows;
          } catch (error) {
            failed = true;
            throw error;
          }
        }
      }),
    );
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (rejected) throw rejected.reason;
    const kinds: string[] = [];
    const roles: number[] = [];
    const values: string[] = [];
    const untils: (Date | null)[] = [];
    const versions: string[] = [];
    PANELS.forEach((panel, i) => {
      const byRole = new Map<number, RoleRow[]>(ids.map((id) => [id, []]));
      for (const row of results[i] as RoleRow[]) byRole.get(row.role_id)?.push(row);
      const until = Math.min(window.next, panel.until?.(asOf.getTime()) ?? Number.POSITIVE_INFINITY);
      for (const [id, rows] of byRole) {
        kinds.push(STORED_KINDS[i] as string);
        roles.push(id);
        values.push(JSON.stringify(rows));
        untils.push(Number.isFinite(until) ? new Date(until) : null);
        versions.push(roleVersions.get(id) ?? '0');
      }
    });
    const store = [kinds, roles, values, window.shared, asOf, STORED_KINDS, untils, versions];
    if (locking) {
      for (const client of begun.splice(1)) await client.query('COMMIT');
      await first.query(STORE_SQL, store);
    }
    for (const client of begun.splice(0)) await client.query('COMMIT');
    if (!locking) await first.query(STORE_SQL, store);
    return ids;
  } catch (error) {
    for (const client of begun) await client.query('ROLLBACK').catch(() => broken.add(client));
    throw error;
  } finally {
    settings.signal?.removeEventListener('abort', cancel);
    for (const client of clients) client.release(broken.has(client) ? true : undefined);
  }
}

/** The row without its histogram: what the statement returns when no bucket count is asked for (the plain kind). */
function plainOf(row: RoleFigureRow): RoleFigureRow {
  return { ...row, lowers: null, uppers: null, counts: null };
}

/** One stored value a reader asks for: the figure cache's kind (one of SNAPSHOT_KINDS) and a role. */
export interface SnapshotKey {
  kind: string;
  id: number;
}

/**
 * The stored values for `keys` that answer `window` (same shared version, same role version on
 * the window's snapshot, instant in their validity), each as its loader would have returned it,
 * or undefined where none is stored, in one statement whatever the kinds. Their validity ends at
 * the window's next change instant, as any figure's.
 */
export async function storedValues(
  db: Queryable,
  keys: readonly SnapshotKey[],
  window: FigureWindow,
): Promise<(unknown | undefined)[]> {
  const readers = keys.map((k) => READERS.get(k.kind));
  const { rows } = await hotQuery<{ kind: string; role_id: number; value: RoleRow[] }>(db, LOOKUP_SQL, [
    readers.map((r) => r?.stored ?? ''),
    keys.map((k) => k.id),
    window.shared ?? '',
    new Date(window.asOf),
  ]);
  const found = new Map(rows.map((r) => [`${r.kind}#${r.role_id}`, r.value]));
  return keys.map((key, i) => {
    const reader = readers[i];
    const stored = reader && found.get(`${reader.stored}#${key.id}`);
    if (!reader || !stored) return undefined;
    const rows = reader.plain ? (stored as RoleFigureRow[]).map(plainOf) : stored;
    return reader.panel.toValues(rows, [key.id])[0];
  });
}
