import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import { countedCondition, degreeSql, postingCondition, salaryPostingSql } from '../db/sql/posting-conditions.ts';
import type { PostingFilter } from '../domain/posting-filter.ts';
import { SqlParams, type Statement } from '../db/sql/sql-params.ts';
import {
  countedEducationLevelSql,
  countedEducationRequirementSql,
  educationCounts,
  educationCountsSql,
  employerRequirementSql,
  requirementCountsSql,
  type EducationCounts,
} from './education-figures.ts';

export interface DegreeRequirementRecord {
  employerShare: number | null;
  postingShare: number | null;
  employersRequiring: number;
  employersKnown: number;
  postingsRequiring: number;
  postingsKnown: number;
  /** Postings per label (all five, UNKNOWN included) and per level (of the postings that have one). */
  postingsByRequirement: EducationCounts['postingsByRequirement'];
  postingsByLevel: EducationCounts['postingsByLevel'];
  /** Employers per label: each employer's strongest among its counted postings (all five, UNKNOWN included). */
  employersByRequirement: EducationCounts['employersByRequirement'];
}

export interface PostingFiguresRecord {
  /** Groups of duplicates (or postings, without dedupe) matching the filter. */
  openings: number;
  /** Postings matching the filter, before grouping. */
  postingsSeen: number;
  employers: number;
  degreeRequirement: DegreeRequirementRecord;
}

export const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/**
 * The degree rule of docs/methodology.md as SQL over a relation `postings` with role_id,
 * employer_id and degree_required: an employer requires a degree if any of its postings does
 * (bool_or), and its requirement is known if any of its postings' is (bool_or is null only
 * when all are unknown). With `labels` (the relation then has education_requirement too), also
 * employer_counts: the employers per label, each by its strongest (employerRequirementSql).
 */
export function degreeFiguresSql(postings: string, groupBy: string, labels = false): string {
  return `SELECT ${groupBy},
         count(*) FILTER (WHERE requires)::int AS employers_requiring,
         count(requires)::int AS employers_known${
           labels
             ? `,
         ${requirementCountsSql('requirement')} AS employer_counts`
             : ''
         }
  FROM (SELECT ${groupBy}, employer_id, bool_or(degree_required) AS requires${labels ? `, ${employerRequirementSql()} AS requirement` : ''}
        FROM ${postings} GROUP BY ${groupBy}, employer_id) e
  GROUP BY ${groupBy}`;
}

interface Row {
  role_id: number;
  openings: number;
  postings_seen: number;
  employers: number;
  postings_requiring: number;
  postings_known: number;
  employers_requiring: number;
  employers_known: number;
  education_counts: number[] | null;
  employer_counts: number[] | null;
}

export function degreeRecord(
  r: Omit<Row, 'role_id' | 'openings' | 'employers' | 'postings_seen'>,
): DegreeRequirementRecord {
  return {
    ...educationCounts(r.education_counts, r.employer_counts),
    employerShare: share(r.employers_requiring, r.employers_known),
    postingShare: share(r.postings_requiring, r.postings_known),
    employersRequiring: r.employers_requiring,
    employersKnown: r.employers_known,
    postingsRequiring: r.postings_requiring,
    postingsKnown: r.postings_known,
  };
}

/**
 * The CTEs behind PostingFiguresRecord (matching, per_employer, figures, education, seen) for the
 * roles in `ids` (a placeholder): `matching` holds the rows the figures count, with the posting
 * whose salary observation each contributes (salary_id), so that a statement computing the
 * salary figures too reads them from it instead of scanning the postings again.
 */
export function postingFigureCtes(params: SqlParams, ids: string, filter: PostingFilter, at: string): string {
  // One grouping by (role, employer) gives every figure: the degree rule needs it anyway, and
  // counting employers as its groups avoids a second pass with count(DISTINCT), which sorts.
  const degree = degreeSql('p', filter);
  return `matching AS (
  SELECT p.role_id, p.employer_id, ${degree} AS degree_required, ${salaryPostingSql('p', filter)} AS salary_id,
         ${countedEducationRequirementSql('p', filter)} AS education_requirement, ${countedEducationLevelSql('p', filter)} AS education_level
  FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${countedCondition('p', filter, at, params)}
), per_employer AS (
  SELECT role_id, employer_id, count(*)::int AS postings,
         count(*) FILTER (WHERE degree_required)::int AS postings_requiring,
         count(degree_required)::int AS postings_known,
         bool_or(degree_required) AS requires, ${employerRequirementSql()} AS requirement
  FROM matching GROUP BY role_id, employer_id
), figures AS (
  SELECT role_id, sum(postings)::int AS openings, count(*)::int AS employers,
         sum(postings_requiring)::int AS postings_requiring, sum(postings_known)::int AS postings_known,
         count(*) FILTER (WHERE requires)::int AS employers_requiring, count(requires)::int AS employers_known,
         ${requirementCountsSql('requirement')} AS employer_counts
  FROM per_employer GROUP BY role_id
), education AS (
  SELECT role_id, ${educationCountsSql()} AS education_counts FROM matching GROUP BY role_id
), seen AS (
  SELECT p.role_id, count(*)::int AS n FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${postingCondition('p', filter, at, params)} GROUP BY p.role_id
)`;
}

/** The select list of a PostingFiguresRecord row over postingFigureCtes, joined as POSTING_FIGURE_JOINS to `ids`. */
export const POSTING_FIGURE_COLUMNS = `coalesce(f.openings, 0) AS openings, coalesce(se.n, 0) AS postings_seen, coalesce(f.employers, 0) AS employers,
       coalesce(f.postings_requiring, 0) AS postings_requiring, coalesce(f.postings_known, 0) AS postings_known,
       coalesce(f.employers_requiring, 0) AS employers_requiring, coalesce(f.employers_known, 0) AS employers_known,
       ed.education_counts, f.employer_counts`;
export const POSTING_FIGURE_JOINS = `LEFT JOIN figures f ON f.role_id = ids.role_id
LEFT JOIN education ed ON ed.role_id = ids.role_id
LEFT JOIN seen se ON se.role_id = ids.role_id`;

export type PostingFigureRow = Row;

/** A row of POSTING_FIGURE_COLUMNS as a PostingFiguresRecord. */
export function toPostingFigures(r: Row): PostingFiguresRecord {
  return {
    openings: r.openings,
    postingsSeen: r.postings_seen,
    employers: r.employers,
    degreeRequirement: degreeRecord(r),
  };
}

/**
 * Openings, employers and degree requirement of each role over the postings matching `filter`
 * (each group of duplicates once, unless filter.dedupe is false), and the postings seen before
 * grouping, in one statement.
 */
export async function loadPostingFigures(
  db: Queryable,
  roleIds: readonly number[],
  filter: PostingFilter,
  asOf: Date,
): Promise<PostingFiguresRecord[]> {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const sql = `
WITH ${postingFigureCtes(params, ids, filter, at)}
SELECT ids.role_id, ${POSTING_FIGURE_COLUMNS}
FROM unnest(${ids}) AS ids(role_id)
${POSTING_FIGURE_JOINS}`;
  const { rows } = await hotQuery<Row>(db, sql, params.values);
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`posting figures missing for role ${id}`);
    return toPostingFigures(r);
  });
}

export interface SourceMixRecord {
  source: string;
  /** Postings of this source matching the filter, before grouping. */
  postingsSeen: number;
  /** Groups (or postings, without dedupe) matching the filter whose earliest member is from this source. */
  openings: number;
}

/** Each role's postings per source (before grouping) and openings per source of the earliest member, most postings first, in one statement. */
export async function loadSourceMix(
  db: Queryable,
  roleIds: readonly number[],
  filter: PostingFilter,
  asOf: Date,
): Promise<SourceMixRecord[][]> {
  const statement = sourceMixStatement(roleIds, filter, asOf);
  const { rows } = await db.query<SourceMixRow>(statement.text, statement.values);
  return toSourceMixes(rows, roleIds);
}

/** A row of sourceMixStatement (figure snapshots store it as JSON). */
export interface SourceMixRow {
  role_id: number;
  source: string;
  postings_seen: number;
  openings: number;
}

/** The statement of loadSourceMix; its text depends on the filter only, never on the roles or the instant. */
export function sourceMixStatement(roleIds: readonly number[], filter: PostingFilter, asOf: Date): Statement {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const sql = `
WITH seen AS (
  SELECT p.role_id, p.source, count(*)::int AS n FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${postingCondition('p', filter, at, params)} GROUP BY 1, 2
), counted AS (
  SELECT p.role_id, p.source, count(*)::int AS n FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${countedCondition('p', filter, at, params)} GROUP BY 1, 2
)
SELECT coalesce(s.role_id, c.role_id) AS role_id, coalesce(s.source, c.source) AS source,
       coalesce(s.n, 0) AS postings_seen, coalesce(c.n, 0) AS openings
FROM seen s FULL JOIN counted c ON c.role_id = s.role_id AND c.source = s.source
ORDER BY 1, 3 DESC, 4 DESC, coalesce(s.source, c.source) COLLATE "C"`;
  return { text: sql, values: params.values };
}

/** The source mixes of `roleIds`, in their order, from the rows of sourceMixStatement (in its order). */
export function toSourceMixes(rows: readonly SourceMixRow[], roleIds: readonly number[]): SourceMixRecord[][] {
  const byRole = new Map<number, SourceMixRecord[]>(roleIds.map((id) => [id, []]));
  for (const r of rows)
    byRole.get(r.role_id)?.push({ source: r.source, postingsSeen: r.postings_seen, openings: r.openings });
  return roleIds.map((id) => byRole.get(id) ?? []);
}
