import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import { InvalidArgumentError } from '../domain/errors.ts';
import { usdPerUnitSql } from '../db/sql/salary-sql.ts';
import { countedCondition, reportCondition, salaryPostingSql } from '../db/sql/posting-conditions.ts';
import { filterKey, type PostingFilter } from '../domain/posting-filter.ts';
import { safeAvg, safeStddev } from './safe-aggregates.ts';
import { SqlParams } from '../db/sql/sql-params.ts';
import type { Confidence } from '../domain/salary.ts';
import { tCritical975 } from '../domain/t-distribution.ts';

export type SalarySource = 'POSTINGS' | 'REPORTS' | 'ALL';

/** Which observations a salary figure covers and how they are shown. */
export interface SalarySpec {
  filter: PostingFilter;
  source: SalarySource;
  /** ISO 4217, upper case. */
  currency: string;
  excludeOutliers: boolean;
}

export function salarySpecKey(spec: SalarySpec): string {
  return JSON.stringify([filterKey(spec.filter), spec.source, spec.currency, spec.excludeOutliers]);
}

export interface SalaryFigures {
  count: number;
  outliersExcluded: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p25: number | null;
  p75: number | null;
  p90: number | null;
  stddev: number | null;
  standardError: number | null;
  meanConfidenceInterval: { level: number; lower: number; upper: number } | null;
}

/** A currency without an exchange rate: the `currency` argument's (the one client input that names a currency here). */
export class UnknownCurrencyError extends InvalidArgumentError {
  constructor(readonly currency: string) {
    super('currency', currency, 'must be a currency of the exchange-rate table (or USD)', 'unknownCurrency');
  }
}

/** Modified z-score cut-off (Iglewicz and Hoaglin). */
export const OUTLIER_CUTOFF = 3.5;

export function confidenceOf(count: number): Confidence {
  if (count < 5) return 'INSUFFICIENT';
  if (count < 15) return 'LOW';
  if (count < 50) return 'MEDIUM';
  return 'HIGH';
}

/**
 * How observations are grouped within a role (breakdowns): a posting's group is the `g` column of
 * the counted postings (observationCtes' `counted`, which grouping needs); a report's is a text
 * expression over standalone report `o`, or null when reports cannot belong to any group.
 */
export interface ObservationGroups {
  report: ((o: string) => string) | null;
}

/**
 * CTEs `obs(role_id, g, v)` (every observation the spec covers, in the target currency, with its
 * group `g`: '' without groups) and `kept(role_id, g, v)` (obs less outliers when asked, detected
 * within each group), plus `target(rate)`. `counted`, when given, names a CTE of the rows the
 * spec's filter counts with the posting whose observation each contributes (role_id, salary_id,
 * and with `groups` the posting's group g: postingFigureCtes' or a breakdown's
 * `matching`): the observations are then joined to it instead of to another scan of the postings.
 */
export function observationCtes(
  params: SqlParams,
  ids: string,
  spec: SalarySpec,
  at: string,
  groups?: ObservationGroups,
  counted?: string,
): string {
  if (groups && !counted) throw new Error('grouped observations take their groups from the counted postings');
  const currency = params.add(spec.currency);
  const parts: string[] = [];
  // A posting's observation carries the posting's role (the importer writes both together), so
  // the condition on o.role_id lets the observations be read by their own index, not all of them.
  if (spec.source !== 'REPORTS' && counted) {
    parts.push(`SELECT m.role_id, ${groups ? 'm.g' : `''`} AS g, o.amount_usd / t.rate AS v
      FROM ${counted} m JOIN salary_observation o ON o.posting_id = m.salary_id CROSS JOIN target t
      WHERE o.role_id = ANY(${ids})`);
  } else if (spec.source !== 'REPORTS') {
    // With dedupe, a group contributes the salary of its earliest member that has one.
    parts.push(`SELECT p.role_id, '' AS g, o.amount_usd / t.rate AS v
      FROM posting p JOIN salary_observation o ON o.posting_id = ${salaryPostingSql('p', spec.filter)} CROSS JOIN target t
      WHERE o.role_id = ANY(${ids}) AND p.role_id = ANY(${ids}) AND ${countedCondition('p', spec.filter, at, params)}`);
  }
  if (spec.source !== 'POSTINGS' && (!groups || groups.report)) {
    parts.push(`SELECT o.role_id, ${groups?.report ? groups.report('o') : `''`} AS g, o.amount_usd / t.rate AS v
      FROM salary_observation o CROSS JOIN target t
      WHERE o.role_id = ANY(${ids}) AND ${reportCondition('o', spec.filter, at, params)}`);
  }
  if (parts.length === 0) parts.push(`SELECT NULL::int AS role_id, NULL::text AS g, NULL::float8 AS v WHERE false`);
  // Converting USD amounts into the target currency uses its rate as of the request.
  const kept = spec.excludeOutliers
    ? `center AS (
         SELECT role_id, g, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS med FROM obs GROUP BY role_id, g
       ), spread AS (
         SELECT o.role_id, o.g, c.med,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(o.v - c.med)) AS mad,
                ${safeAvg('abs(o.v - c.med)')} AS meanad
         FROM obs o JOIN center c USING (role_id, g) GROUP BY o.role_id, o.g, c.med
       ), kept AS (
         SELECT o.role_id, o.g, o.v FROM obs o JOIN spread s USING (role_id, g)
         WHERE CASE WHEN s.mad > 0 THEN 0.6745 * abs(o.v - s.med) / s.mad <= ${OUTLIER_CUTOFF}
                    WHEN s.meanad > 0 THEN abs(o.v - s.med) / (1.253314 * s.meanad) <= ${OUTLIER_CUTOFF}
                    ELSE true END
       )`
    : `kept AS (SELECT role_id, g, v FROM obs)`;
  return `target AS (SELECT ${usdPerUnitSql(currency, at)} AS rate),
    obs AS (${parts.join('\n UNION ALL\n')}),
    ${kept}`;
}

export interface FigureRow {
  role_id: number;
  rate: number | null;
  n_all: number;
  count: number;
  mean: number | null;
  pct: number[] | null;
  min: number | null;
  max: number | null;
  stddev: number | null;
}

/** The statistics columns of a figures row (n_all, count, mean, pct, min, max, stddev) as SalaryFigures. */
export function toSalaryFigures(r: Omit<FigureRow, 'role_id' | 'rate'>): SalaryFigures {
  const twoOrMore = r.count >= 2 && r.mean !== null && r.stddev !== null;
  const se = twoOrMore ? (r.stddev as number) / Math.sqrt(r.count) : null;
  // The t value is computed here, not sent to SQL as a table of 2,000 values on every call.
  const margin = se === null ? null : tCritical975(r.count - 1) * se;
  return {
    count: r.count,
    outliersExcluded: r.n_all - r.count,
    mean: r.mean,
    median: r.pct?.[2] ?? null,
    min: r.min,
    max: r.max,
    p10: r.pct?.[0] ?? null,
    p25: r.pct?.[1] ?? null,
    p75: r.pct?.[3] ?? null,
    p90: r.pct?.[4] ?? null,
    stddev: twoOrMore ? r.stddev : null,
    standardError: se,
    meanConfidenceInterval:
      margin === null ? null : { level: 0.95, lower: (r.mean as number) - margin, upper: (r.mean as number) + margin },
  };
}

/** The aggregates behind SalaryFigures over a relation with column `v` (overflow-safe mean and deviation). */
export const FIGURE_AGGREGATES = `count(*)::int AS count, ${safeAvg('v')} AS mean,
         percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY v) AS pct,
         min(v) AS min, max(v) AS max, ${safeStddev('v')} AS stddev`;

/** The columns of a FigureRow (but role_id and rate) from all_counts `a` and figures `f` (FIGURE_AGGREGATES). */
export function figureColumnsSql(a: string, f: string): string {
  return `coalesce(${a}.n_all, 0) AS n_all, coalesce(${f}.count, 0) AS count, ${f}.mean, ${f}.pct, ${f}.min, ${f}.max, ${f}.stddev`;
}

/** Salary figures of each role for one spec, in one statement. */
export async function loadSalaryFigures(
  db: Queryable,
  roleIds: readonly number[],
  spec: SalarySpec,
  asOf: Date,
): Promise<SalaryFigures[]> {
  return (await loadSalaryWithHistograms(db, roleIds, spec, undefined, asOf)).map((r) => r.figures);
}

export interface HistogramSpec {
  /** Equal-width buckets over min..max, used when `bucketWidth` is undefined. */
  buckets: number;
  bucketWidth?: number;
}

export interface HistogramBucket {
  lowerBound: number;
  upperBound: number;
  count: number;
}

export const MAX_WIDTH_BUCKETS = 1000;

export class TooManyBucketsError extends InvalidArgumentError {
  constructor(
    readonly bucketWidth: number,
    readonly needed: number,
  ) {
    super(
      'bucketWidth',
      bucketWidth,
      `bucketWidth ${bucketWidth} needs ${needed} buckets to cover min..max; at most ${MAX_WIDTH_BUCKETS}`,
      'tooManyBuckets',
    );
  }
}

interface BucketRow {
  role_id: number;
  n: number;
  i: number;
  lower: number;
  upper: number;
  count: number;
}

/**
 * Histograms of each role for one spec: `buckets` equal-width buckets from min to max (one
 * bucket when min = max), or buckets of `bucketWidth` aligned on its multiples. A value on a
 * boundary belongs to the upper bucket; max belongs to the last bucket.
 */
export async function loadHistograms(
  db: Queryable,
  roleIds: readonly number[],
  spec: SalarySpec,
  histogram: HistogramSpec,
  asOf: Date,
): Promise<HistogramBucket[][]> {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const ctes = observationCtes(params, ids, spec, at);
  const sql = `
WITH ${ctes},
range AS (SELECT role_id, min(v) AS lo, max(v) AS hi FROM kept GROUP BY role_id),
${bucketCtes(params, histogram)}
SELECT b.role_id, b.n, b.i, b.lower, b.upper, coalesce(t.count, 0) AS count
FROM bucket b LEFT JOIN tally t ON t.role_id = b.role_id AND t.i = b.i
ORDER BY b.role_id, b.i`;
  const { rows } = await hotQuery<BucketRow>(db, sql, params.values);
  const byRole = new Map<number, HistogramBucket[]>(roleIds.map((id) => [id, []]));
  for (const r of rows) {
    if (r.n > MAX_WIDTH_BUCKETS && histogram.bucketWidth !== undefined)
      throw new TooManyBucketsError(histogram.bucketWidth, r.n);
    byRole.get(r.role_id)?.push({ lowerBound: r.lower, upperBound: r.upper, count: r.count });
  }
  return roleIds.map((id) => byRole.get(id) ?? []);
}

/**
 * CTEs layout, bucket and tally of a histogram over `kept` and `range(role_id, lo, hi)`: the
 * buckets of each role (`buckets` equal-width ones, or of `bucketWidth` on its multiples) and
 * the observations per bucket.
 */
export function bucketCtes(params: SqlParams, histogram: HistogramSpec): string {
  const layout =
    histogram.bucketWidth === undefined
      ? (() => {
          const n = params.add(histogram.buckets, '::int');
          return `SELECT role_id, lo AS start, (CASE WHEN hi > lo THEN ${n} ELSE 1 END)::float8 AS n,
                         CASE WHEN hi > lo THEN (hi - lo) / ${n} ELSE 0 END AS width, hi, true AS equal FROM range`;
        })()
      : (() => {
          const w = params.add(histogram.bucketWidth, '::float8');
          // float8, not int: a narrow width over a wide range needs more buckets than an int holds
          // (reported as TooManyBucketsError, not as an SQL overflow).
          return `SELECT role_id, floor(lo / ${w}) * ${w} AS start, floor(hi / ${w}) - floor(lo / ${w}) + 1 AS n,
                         ${w} AS width, hi, false AS equal FROM range`;
        })();
  return `layout AS (${layout}),
bucket AS (
  SELECT l.role_id, l.n, i, l.start + i * l.width AS lower,
         CASE WHEN l.equal AND i = l.n - 1 THEN l.hi ELSE l.start + (i + 1) * l.width END AS upper
  FROM layout l CROSS JOIN LATERAL generate_series(0, least(l.n, ${MAX_WIDTH_BUCKETS})::int - 1) AS i
),
tally AS (
  SELECT k.role_id,
         CASE WHEN l.width = 0 THEN 0 ELSE greatest(0, least(floor((k.v - l.start) / l.width), l.n - 1, ${MAX_WIDTH_BUCKETS}))::int END AS i,
         count(*)::int AS count
  FROM kept k JOIN layout l USING (role_id) GROUP BY 1, 2
)`;
}

export interface SalaryWithHistogram {
  figures: SalaryFigures;
  histogram: HistogramBucket[];
}

/**
 * Salary figures and, with `buckets`, an equal-width histogram of each role for one spec, in one
 * statement: the observations are read once, and the histogram's range is the figures' min and
 * max. The same buckets as loadHistograms (a role page asks for both). Equal-width buckets only:
 * they cannot fail, so the figures never fail for them.
 */
export async function loadSalaryWithHistograms(
  db: Queryable,
  roleIds: readonly number[],
  spec: SalarySpec,
  buckets: number | undefined,
  asOf: Date,
): Promise<SalaryWithHistogram[]> {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const ctes = observationCtes(params, ids, spec, at);
  const sql = `
WITH ${ctes},
${salaryFigureCtes(params, 'figures', buckets)}
SELECT ids.role_id, ${SALARY_FIGURE_COLUMNS}
FROM unnest(${ids}) AS ids(role_id)
${salaryFigureJoins('figures', buckets)}`;
  const { rows } = await hotQuery<SalaryHistogramRow>(db, sql, params.values);
  if (rows[0] && rows[0].rate === null) throw new UnknownCurrencyError(spec.currency);
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`salary figures missing for role ${id}`);
    return toSalaryWithHistogram(r);
  });
}

/**
 * Over observationCtes: all_counts, the figures' aggregates as CTE `figures`, and with `buckets`
 * an equal-width histogram (its range the figures' min and max) as arrays in CTE hist.
 */
export function salaryFigureCtes(params: SqlParams, figures: string, buckets?: number): string {
  const base = `all_counts AS (SELECT role_id, count(*)::int AS n_all FROM obs GROUP BY role_id),
${figures} AS (SELECT role_id, ${FIGURE_AGGREGATES} FROM kept GROUP BY role_id)`;
  if (buckets === undefined) return base;
  return `${base},
range AS (SELECT role_id, min AS lo, max AS hi FROM ${figures}),
${bucketCtes(params, { buckets })},
hist AS (
  SELECT b.role_id, array_agg(b.lower ORDER BY b.i) AS lowers, array_agg(b.upper ORDER BY b.i) AS uppers,
         array_agg(coalesce(t.count, 0) ORDER BY b.i) AS counts
  FROM bucket b LEFT JOIN tally t ON t.role_id = b.role_id AND t.i = b.i GROUP BY b.role_id
)`;
}

/** The select list of a SalaryHistogramRow over salaryFigureCtes (lowers, uppers, counts null without a histogram). */
export const SALARY_FIGURE_COLUMNS = `(SELECT rate FROM target) AS rate, ${figureColumnsSql('a', 'sf')}, h.lowers, h.uppers, h.counts`;

/** The joins of salaryFigureCtes to `ids`, for SALARY_FIGURE_COLUMNS. */
export function salaryFigureJoins(figures: string, buckets?: number): string {
  return `LEFT JOIN all_counts a ON a.role_id = ids.role_id
LEFT JOIN ${figures} sf ON sf.role_id = ids.role_id
${
  buckets === undefined
    ? 'LEFT JOIN (SELECT NULL::int AS role_id, NULL::float8[] AS lowers, NULL::float8[] AS uppers, NULL::int[] AS counts) h ON false'
    : 'LEFT JOIN hist h ON h.role_id = ids.role_id'
}`;
}

export type SalaryHistogramRow = FigureRow & {
  lowers: number[] | null;
  uppers: number[] | null;
  counts: number[] | null;
};

/** A row of SALARY_FIGURE_COLUMNS as figures and histogram (empty without one). */
export function toSalaryWithHistogram(r: SalaryHistogramRow): SalaryWithHistogram {
  const counts = r.counts ?? [];
  return {
    figures: toSalaryFigures(r),
    histogram: counts.map((count, i) => ({
      lowerBound: (r.lowers as number[])[i] as number,
      upperBound: (r.uppers as number[])[i] as number,
      count,
    })),
  };
}
