import type { Queryable } from '../db/read-session.ts';
import type { EmployerRecord } from '../domain/employer.ts';
import { degreeFiguresSql, degreeRecord, type DegreeRequirementRecord } from './posting-figures.ts';
import { countedEducationLevelSql, countedEducationRequirementSql, educationCountsSql } from './education-figures.ts';
import { countedCondition, degreeSql, salaryPostingSql } from '../db/sql/posting-conditions.ts';
import {
  FIGURE_AGGREGATES,
  figureColumnsSql,
  observationCtes,
  toSalaryFigures,
  UnknownCurrencyError,
  type FigureRow,
  type SalaryFigures,
  type SalarySpec,
} from './salary-stats.ts';
import { senioritySql } from '../db/sql/seniority.ts';
import { SqlParams, type Statement } from '../db/sql/sql-params.ts';

export const DIMENSIONS = [
  'COUNTRY',
  'LOCATION',
  'REMOTE',
  'SENIORITY',
  'EMPLOYER',
  'SOURCE',
  'EMPLOYMENT_TYPE',
  'POSTED_MONTH',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type BreakdownOrderField = 'KEY' | 'OPENINGS' | 'SAMPLE_SIZE' | 'MEAN_SALARY' | 'MEDIAN_SALARY';
export const MAX_DIMENSIONS = 2;

export interface BreakdownSpec {
  by: Dimension[];
  /** Salary arguments; `spec.filter` selects the postings and reports. */
  salary: SalarySpec;
  minSampleSize: number;
  first: number;
  orderBy: { field: BreakdownOrderField; direction: 'ASC' | 'DESC' };
}

export function breakdownSpecKey(spec: BreakdownSpec): string {
  return JSON.stringify([
    spec.by,
    spec.salary.filter,
    spec.salary.source,
    spec.salary.currency,
    spec.salary.excludeOutliers,
    spec.minSampleSize,
    spec.first,
    spec.orderBy,
  ]);
}

export interface BreakdownKeyRecord {
  dimension: Dimension;
  value: string | null;
  employer: EmployerRecord | null;
}

export interface BreakdownGroupRecord {
  key: BreakdownKeyRecord[];
  openings: number;
  employers: number;
  salary: SalaryFigures;
  degreeRequirement: DegreeRequirementRecord;
}

export interface BreakdownRecord {
  totalGroups: number;
  groups: BreakdownGroupRecord[];
}

/**
 * Each dimension's value as text, over posting `p`, and over standalone report `o` where a
 * report has it (null: reports have no such value, so they cannot be in the group). These are
 * the expressions the matching filters compare (postingCondition), so that a group's figures
 * equal those under the equivalent filter.
 */
const DIMENSION_SQL: Record<Dimension, { posting: (p: string) => string; report: ((o: string) => string) | null }> = {
  COUNTRY: { posting: (p) => `${p}.country::text`, report: (o) => `${o}.country::text` },
  LOCATION: { posting: (p) => `text_key(${p}.location)`, report: null },
  REMOTE: { posting: (p) => `${p}.remote::text`, report: null },
  SENIORITY: { posting: (p) => `(${senioritySql(p)})::text`, report: null },
  EMPLOYER: { posting: (p) => `${p}.employer_id::text`, report: null },
  SOURCE: { posting: (p) => `${p}.source`, report: (o) => `${o}.source` },
  EMPLOYMENT_TYPE: { posting: (p) => `text_key(${p}.employment_type)`, report: null },
  POSTED_MONTH: {
    posting: (p) => `to_char(${p}.posted_at AT TIME ZONE 'UTC', 'YYYY-MM')`,
    report: (o) => `to_char(${o}.observed_at AT TIME ZONE 'UTC', 'YYYY-MM')`,
  },
};

/** The group of a row as one never-null text: a JSON array of the dimensions' values (null for unknown). */
function groupSql(by: Dimension[], side: 'posting' | 'report', alias: string): string {
  return `jsonb_build_array(${by.map((d) => (side === 'posting' ? DIMENSION_SQL[d].posting(alias) : DIMENSION_SQL[d].report?.(alias))).join(', ')})::text`;
}

/** A row of breakdownStatement: plain numbers, text and arrays (figure snapshots store it as JSON). */
export interface BreakdownRow extends FigureRow {
  role_id: number;
  rate: number | null;
  g: string | null;
  total: number | null;
  openings: number;
  employers: number;
  postings_requiring: number;
  postings_known: number;
  employers_requiring: number;
  employers_known: number;
  education_counts: number[] | null;
  employer_counts: number[] | null;
  employer_names: (string | null)[] | null;
}

function orderSql(spec: BreakdownSpec): string {
  const dir = spec.orderBy.direction;
  const keyOrder = spec.by
    .map((_, i) => `(j.g::jsonb->>${i}) ${spec.orderBy.field === 'KEY' ? dir : 'ASC'} NULLS LAST`)
    .join(', ');
  // Suppressed groups' salaries are hidden, so they must not place the group either.
  const shown = (expr: string) => `CASE WHEN coalesce(j.count, 0) >= ${spec.minSampleSize} THEN ${expr} END`;
  switch (spec.orderBy.field) {
    case 'KEY':
      return keyOrder;
    case 'OPENINGS':
      return `j.openings ${dir}, ${keyOrder}`;
    case 'SAMPLE_SIZE':
      return `coalesce(j.count, 0) ${dir}, ${keyOrder}`;
    case 'MEAN_SALARY':
      return `${shown('j.mean')} ${dir} NULLS LAST, ${keyOrder}`;
    case 'MEDIAN_SALARY':
      return `${shown('j.pct[3]')} ${dir} NULLS LAST, ${keyOrder}`;
  }
}

/**
 * The breakdown of each role for one spec, in one statement whatever the number of roles and
 * groups: the posting figures (openings, employers, degree shares) and the salary figures
 * (through the same CTEs and aggregates as loadSalaryFigures) of every group, ranked, cut at
 * `first` per role.
 */
export async function loadBreakdowns(
  db: Queryable,
  roleIds: readonly number[],
  spec: BreakdownSpec,
  asOf: Date,
): Promise<BreakdownRecord[]> {
  const statement = breakdownStatement(roleIds, spec, asOf);
  const { rows } = await db.query<BreakdownRow>(statement.text, statement.values);
  return toBreakdowns(rows, roleIds, spec);
}

/** The statement of loadBreakdowns; its text depends on the spec only, never on the roles or the instant. */
export function breakdownStatement(roleIds: readonly number[], spec: BreakdownSpec, asOf: Date): Statement {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const reportsGroupable = spec.by.every((d) => DIMENSION_SQL[d].report !== null);
  // The counted postings, read once: the posting figures group them and the observations join them.
  const matching = `matching AS (
  SELECT p.role_id, ${groupSql(spec.by, 'posting', 'p')} AS g, p.employer_id, ${degreeSql('p', spec.salary.filter)} AS degree_required,
         ${countedEducationRequirementSql('p', spec.salary.filter)} AS education_requirement, ${countedEducationLevelSql('p', spec.salary.filter)} AS education_level,
         ${salaryPostingSql('p', spec.salary.filter)} AS salary_id
  FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${countedCondition('p', spec.salary.filter, at, params)}
)`;
  const ctes = observationCtes(
    params,
    ids,
    spec.salary,
    at,
    { report: reportsGroupable ? (o) => groupSql(spec.by, 'report', o) : null },
    'matching',
  );
  const first = params.add(spec.first, '::int');
  const employerIndexes = spec.by.flatMap((d, i) => (d === 'EMPLOYER' ? [i] : []));
  const employerNames = employerIndexes.length
    ? `ARRAY[${spec.by.map((d, i) => (d === 'EMPLOYER' ? `(SELECT e.name FROM employer e WHERE e.id = (j.g::jsonb->>${i})::int)` : 'NULL::text')).join(', ')}]`
    : 'NULL::text[]';
  const sql = `
WITH ${matching},
${ctes},
posting_figures AS (
  SELECT role_id, g, count(*)::int AS openings, count(DISTINCT employer_id)::int AS employers,
         count(*) FILTER (WHERE degree_required)::int AS postings_requiring,
         count(degree_required)::int AS postings_known, ${educationCountsSql()} AS education_counts
  FROM matching GROUP BY role_id, g
), degree_figures AS (${degreeFiguresSql('matching', 'role_id, g', true)}),
all_counts AS (SELECT role_id, g, count(*)::int AS n_all FROM obs GROUP BY role_id, g),
figures AS (SELECT role_id, g, ${FIGURE_AGGREGATES} FROM kept GROUP BY role_id, g),
grp AS (SELECT role_id, g FROM posting_figures UNION SELECT role_id, g FROM all_counts),
joined AS (
  SELECT grp.role_id, grp.g,
         coalesce(pf.openings, 0) AS openings, coalesce(pf.employers, 0) AS employers,
         coalesce(pf.postings_requiring, 0) AS postings_requiring, coalesce(pf.postings_known, 0) AS postings_known,
         coalesce(df.employers_requiring, 0) AS employers_requiring, coalesce(df.employers_known, 0) AS employers_known,
         pf.education_counts, df.employer_counts,
         ${figureColumnsSql('a', 'f')}
  FROM grp
  LEFT JOIN posting_figures pf USING (role_id, g)
  LEFT JOIN degree_figures df USING (role_id, g)
  LEFT JOIN all_counts a USING (role_id, g)
  LEFT JOIN figures f USING (role_id, g)
), ranked AS (
  SELECT j.*, count(*) OVER (PARTITION BY j.role_id)::int AS total, row_number() OVER (PARTITION BY j.role_id ORDER BY ${orderSql(spec)}) AS rn
  FROM joined j
)
SELECT ids.role_id, (SELECT rate FROM target) AS rate, j.g, j.total, j.openings, j.employers,
       j.postings_requiring, j.postings_known, j.employers_requiring, j.employers_known, j.education_counts, j.employer_counts,
       j.n_all, j.count, j.mean, j.pct, j.min, j.max, j.stddev,
       ${employerNames} AS employer_names
FROM unnest(${ids}) AS ids(role_id)
LEFT JOIN ranked j ON j.role_id = ids.role_id AND j.rn <= ${first}
ORDER BY ids.role_id, j.rn`;
  return { text: sql, values: params.values };
}

/** The breakdowns of `roleIds`, in their order, from the rows of breakdownStatement (in its order). */
export function toBreakdowns(
  rows: readonly BreakdownRow[],
  roleIds: readonly number[],
  spec: BreakdownSpec,
): BreakdownRecord[] {
  if (rows[0] && rows[0].rate === null) throw new UnknownCurrencyError(spec.salary.currency);
  const byRole = new Map<number, BreakdownRecord>(roleIds.map((id) => [id, { totalGroups: 0, groups: [] }]));
  for (const r of rows) {
    const record = byRole.get(r.role_id);
    if (!record || r.g === null) continue;
    record.totalGroups = r.total ?? 0;
    const values = JSON.parse(r.g) as (string | null)[];
    record.groups.push({
      key: spec.by.map((dimension, i) => {
        const value = values[i] ?? null;
        if (dimension !== 'EMPLOYER' || value === null) return { dimension, value, employer: null };
        const name = r.employer_names?.[i] ?? '';
        return { dimension, value: name, employer: { id: Number(value), name } };
      }),
      openings: r.openings,
      employers: r.employers,
      salary: toSalaryFigures(r),
      degreeRequirement: degreeRecord(r),
    });
  }
  return roleIds.map((id) => byRole.get(id) ?? { totalGroups: 0, groups: [] });
}
