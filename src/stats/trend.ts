import type { Queryable } from '../db/read-session.ts';
import { InvalidArgumentError } from '../domain/errors.ts';
import { degreeFiguresSql, degreeRecord, type DegreeRequirementRecord } from './posting-figures.ts';
import { countedEducationLevelSql, countedEducationRequirementSql, educationCountsSql } from './education-figures.ts';
import { countedCondition, degreeSql, reportCondition, salaryPostingSql } from '../db/sql/posting-conditions.ts';
import { dedupes, type PostingFilter } from '../domain/posting-filter.ts';
import { safeAvg } from './safe-aggregates.ts';
import { SqlParams, type Statement } from '../db/sql/sql-params.ts';

export type TrendInterval = 'MONTH' | 'QUARTER' | 'YEAR';

export interface TrendPointRecord {
  period: string;
  start: Date;
  end: Date;
  postings: number;
  openingsAtEnd: number;
  employers: number;
  salary: { count: number; mean: number | null; median: number | null };
  degreeRequirement: DegreeRequirementRecord;
}

export const MAX_PERIODS = 600;

export class TooManyPeriodsError extends InvalidArgumentError {
  constructor(
    interval: TrendInterval,
    readonly periods: number,
  ) {
    super('interval', interval, `the range spans ${periods} periods; at most ${MAX_PERIODS}`, 'tooManyPeriods');
  }
}

// Fixed SQL fragments per interval (never user text). Periods are calendar periods in UTC.
const INTERVALS: Record<TrendInterval, { unit: string; step: string; months: number; label: string }> = {
  MONTH: { unit: 'month', step: '1 month', months: 1, label: 'YYYY-MM' },
  QUARTER: { unit: 'quarter', step: '3 months', months: 3, label: 'YYYY-"Q"Q' },
  YEAR: { unit: 'year', step: '1 year', months: 12, label: 'YYYY' },
};

/** A row of trendStatement: plain numbers, text and arrays (figure snapshots store it as JSON, where its dates become text). */
export interface TrendRow {
  role_id: number;
  wanted: number;
  period: string;
  start: Date | string;
  end: Date | string;
  postings: number;
  openings_at_end: number;
  employers: number;
  postings_requiring: number;
  postings_known: number;
  employers_requiring: number;
  employers_known: number;
  salary_count: number;
  salary_mean: number | null;
  salary_median: number | null;
  education_counts: number[] | null;
  employer_counts: number[] | null;
}

/**
 * Figures per calendar period of postedAt (docs/methodology.md, "Trends"), for many roles in
 * one statement. Postings match the filter but its status and dates (which choose the
 * periods); a period's openingsAtEnd counts matching postings posted before its end and not
 * closed by then, however long ago they were posted (closures after the request instant are
 * not counted yet).
 */
export async function loadTrends(
  db: Queryable,
  roleIds: readonly number[],
  interval: TrendInterval,
  filter: PostingFilter,
  asOf: Date,
): Promise<TrendPointRecord[][]> {
  const statement = trendStatement(roleIds, interval, filter, asOf);
  const { rows } = await db.query<TrendRow>(statement.text, statement.values);
  return toTrends(rows, roleIds, interval);
}

/** The statement of loadTrends; its text depends on the interval and filter only, never on the roles or the instant. */
export function trendStatement(
  roleIds: readonly number[],
  interval: TrendInterval,
  filter: PostingFilter,
  asOf: Date,
): Statement {
  const { unit, step, months, label } = INTERVALS[interval];
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const after = params.add(filter.postedAfter ?? null, '::timestamptz');
  const before = params.add(filter.postedBefore ?? null, '::timestamptz');
  const bucket = (col: string) => `date_trunc('${unit}', ${col} AT TIME ZONE 'UTC')`;
  // postedAfter/postedBefore choose the periods; a posting from before them that is still open
  // counts in openingsAtEnd, so the other conditions alone select the postings.
  const undated: PostingFilter = { ...filter, postedAfter: undefined, postedBefore: undefined };
  // What opens and closes: each matching posting; with dedupe, each run of a group's overlapping
  // member intervals (a group is open while any member is), closures after now not counted yet.
  // A group's members by their index (LATERAL ... OFFSET 0): misestimating the groups, the planner
  // hashed the whole posting table for them, a cost that grows with the table, not the role.
  const spans = dedupes(filter)
    ? `SELECT role_id, s, closed_at FROM matching WHERE group_size = 1
       UNION ALL
       SELECT role_id, ${bucket('min(posted_at)')}, nullif(max(coalesce(closed_at, 'infinity')), 'infinity') FROM (
         SELECT *, sum(fresh) OVER (PARTITION BY gid ORDER BY posted_at, closed_at NULLS LAST ROWS UNBOUNDED PRECEDING) AS run FROM (
           SELECT gid, role_id, posted_at, closed_at,
                  CASE WHEN posted_at > max(coalesce(closed_at, 'infinity')) OVER (PARTITION BY gid ORDER BY posted_at, closed_at NULLS LAST
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 1 ELSE 0 END AS fresh
           FROM (
             SELECT g.id AS gid, g.role_id, gm.posted_at, CASE WHEN gm.closed_at <= ${at} THEN gm.closed_at END AS closed_at
             FROM matching g
             CROSS JOIN LATERAL (SELECT q.posted_at, q.closed_at FROM posting q WHERE q.group_id = g.id AND q.posted_at <= ${at} OFFSET 0) gm
             WHERE g.group_size > 1
           ) members
         ) marked
       ) runs GROUP BY gid, role_id, run`
    : `SELECT role_id, s, closed_at FROM matching`;
  const sql = `
WITH matching AS (
  SELECT p.id, p.role_id, p.employer_id, ${degreeSql('p', filter)} AS degree_required, ${salaryPostingSql('p', filter)} AS salary_id,
         p.group_size, p.posted_at, p.closed_at, ${bucket('p.posted_at')} AS s,
         ${countedEducationRequirementSql('p', filter)} AS education_requirement, ${countedEducationLevelSql('p', filter)} AS education_level
  FROM posting p
  WHERE p.role_id = ANY(${ids}) AND p.posted_at <= ${at} AND ${countedCondition('p', undated, at, params, false)}
), spans AS (${spans}
), bounds AS (
  SELECT ids.role_id,
         date_trunc('${unit}', coalesce(${after}, m.first) AT TIME ZONE 'UTC') AS first_s,
         date_trunc('${unit}', least(coalesce(${before} - interval '1 microsecond', ${at}), ${at}) AT TIME ZONE 'UTC') AS last_s
  FROM unnest(${ids}) AS ids(role_id)
  LEFT JOIN (SELECT role_id, min(posted_at) AS first FROM matching GROUP BY role_id) m ON m.role_id = ids.role_id
), span AS (
  SELECT role_id, first_s, last_s,
         ((extract(year FROM last_s) - extract(year FROM first_s)) * 12 + extract(month FROM last_s) - extract(month FROM first_s))::int / ${months} + 1 AS wanted
  FROM bounds WHERE first_s IS NOT NULL AND first_s <= last_s
), period AS (
  SELECT sp.role_id, sp.wanted, s FROM span sp
  CROSS JOIN LATERAL generate_series(sp.first_s, least(sp.last_s, sp.first_s + ${MAX_PERIODS - 1} * interval '${step}'), interval '${step}') AS s
), carried AS (
  -- Postings from before the first period that are still open when it starts.
  SELECT sp.role_id, count(*)::int AS n FROM span sp JOIN spans m ON m.role_id = sp.role_id
  WHERE m.s < sp.first_s AND NOT coalesce(m.closed_at < sp.first_s AT TIME ZONE 'UTC' AND m.closed_at <= ${at}, false)
  GROUP BY sp.role_id
), opened AS (
  SELECT role_id, s, count(*)::int AS postings, count(DISTINCT employer_id)::int AS employers,
         count(*) FILTER (WHERE degree_required)::int AS postings_requiring, count(degree_required)::int AS postings_known,
         ${educationCountsSql()} AS education_counts
  FROM matching GROUP BY role_id, s
), started AS (
  SELECT role_id, s, count(*)::int AS n FROM spans GROUP BY role_id, s
), closed AS (
  SELECT role_id, ${bucket('closed_at')} AS s, count(*)::int AS n FROM spans WHERE closed_at <= ${at} GROUP BY 1, 2
), degree AS (${degreeFiguresSql('matching', 'role_id, s', true)}
), salary AS (
  SELECT role_id, s, count(*)::int AS n, ${safeAvg('v')} AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median
  FROM (
    -- o.role_id (always the posting's role) lets the observations be read by their own index.
    SELECT m.role_id, m.s, o.amount_usd AS v FROM matching m JOIN salary_observation o ON o.posting_id = m.salary_id AND o.role_id = ANY(${ids})
    UNION ALL
    SELECT o.role_id, ${bucket('o.observed_at')}, o.amount_usd FROM salary_observation o
    WHERE o.role_id = ANY(${ids}) AND ${reportCondition('o', undated, at, params)}
  ) x GROUP BY role_id, s
)
SELECT pe.role_id, pe.wanted, to_char(pe.s, '${label}') AS period,
       pe.s AT TIME ZONE 'UTC' AS start, (pe.s + interval '${step}') AT TIME ZONE 'UTC' AS "end",
       coalesce(o.postings, 0) AS postings,
       (coalesce(ca.n, 0) + sum(coalesce(st.n, 0) - coalesce(c.n, 0)) OVER (PARTITION BY pe.role_id ORDER BY pe.s))::int AS openings_at_end,
       coalesce(o.employers, 0) AS employers,
       coalesce(o.postings_requiring, 0) AS postings_requiring, coalesce(o.postings_known, 0) AS postings_known,
       coalesce(d.employers_requiring, 0) AS employers_requiring, coalesce(d.employers_known, 0) AS employers_known,
       coalesce(sa.n, 0) AS salary_count, sa.mean AS salary_mean, sa.median AS salary_median, o.education_counts, d.employer_counts
FROM period pe
LEFT JOIN carried ca ON ca.role_id = pe.role_id
LEFT JOIN opened o ON o.role_id = pe.role_id AND o.s = pe.s
LEFT JOIN started st ON st.role_id = pe.role_id AND st.s = pe.s
LEFT JOIN closed c ON c.role_id = pe.role_id AND c.s = pe.s
LEFT JOIN degree d ON d.role_id = pe.role_id AND d.s = pe.s
LEFT JOIN salary sa ON sa.role_id = pe.role_id AND sa.s = pe.s
ORDER BY pe.role_id, pe.s`;
  return { text: sql, values: params.values };
}

/** The trends of `roleIds`, in their order, from the rows of trendStatement (in its order). */
export function toTrends(
  rows: readonly TrendRow[],
  roleIds: readonly number[],
  interval: TrendInterval,
): TrendPointRecord[][] {
  const byRole = new Map<number, TrendPointRecord[]>(roleIds.map((id) => [id, []]));
  for (const r of rows) {
    if (r.wanted > MAX_PERIODS) throw new TooManyPeriodsError(interval, r.wanted);
    byRole.get(r.role_id)?.push({
      period: r.period,
      start: new Date(r.start),
      end: new Date(r.end),
      postings: r.postings,
      openingsAtEnd: r.openings_at_end,
      employers: r.employers,
      salary: { count: r.salary_count, mean: r.salary_mean, median: r.salary_median },
      degreeRequirement: degreeRecord(r),
    });
  }
  return roleIds.map((id) => byRole.get(id) ?? []);
}
