import type pg from 'pg';
import { postingCondition, type PostingFilter } from './posting-filter.ts';
import { SqlParams } from './sql-params.ts';
import { educationCounts, educationCountsSql, educationLevelSql, educationRequirementSql, type EducationCounts } from './education-figures.ts';

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
}

export interface PostingFiguresRecord {
  openings: number;
  employers: number;
  degreeRequirement: DegreeRequirementRecord;
}

export const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/**
 * The degree rule of docs/methodology.md as SQL over a relation `postings` with role_id,
 * employer_id and degree_required: an employer requires a degree if any of its postings does
 * (bool_or), and its requirement is known if any of its postings' is (bool_or is null only
 * when all are unknown).
 */
export function degreeFiguresSql(postings: string, groupBy: string): string {
  return `SELECT ${groupBy},
         count(*) FILTER (WHERE requires)::int AS employers_requiring,
         count(requires)::int AS employers_known
  FROM (SELECT ${groupBy}, employer_id, bool_or(degree_required) AS requires FROM ${postings} GROUP BY ${groupBy}, employer_id) e
  GROUP BY ${groupBy}`;
}

interface Row {
  role_id: number;
  openings: number;
  employers: number;
  postings_requiring: number;
  postings_known: number;
  employers_requiring: number;
  employers_known: number;
  education_counts: number[] | null;
}

export function degreeRecord(r: Omit<Row, 'role_id' | 'openings' | 'employers'>): DegreeRequirementRecord {
  return {
    ...educationCounts(r.education_counts),
    employerShare: share(r.employers_requiring, r.employers_known),
    postingShare: share(r.postings_requiring, r.postings_known),
    employersRequiring: r.employers_requiring,
    employersKnown: r.employers_known,
    postingsRequiring: r.postings_requiring,
    postingsKnown: r.postings_known,
  };
}

/** Openings, employers and degree requirement of each role over the postings matching `filter`, in one statement. */
export async function loadPostingFigures(pool: pg.Pool, roleIds: readonly number[], filter: PostingFilter, asOf: Date): Promise<PostingFiguresRecord[]> {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const sql = `
WITH matching AS (
  SELECT p.role_id, p.employer_id, p.degree_required,
         ${educationRequirementSql('p')} AS education_requirement, ${educationLevelSql('p')} AS education_level
  FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${postingCondition('p', filter, at, params)}
), posting_figures AS (
  SELECT role_id, count(*)::int AS openings, count(DISTINCT employer_id)::int AS employers,
         count(*) FILTER (WHERE degree_required)::int AS postings_requiring,
         count(degree_required)::int AS postings_known, ${educationCountsSql()} AS education_counts
  FROM matching GROUP BY role_id
), degree_figures AS (${degreeFiguresSql('matching', 'role_id')})
SELECT ids.role_id,
       coalesce(pf.openings, 0) AS openings, coalesce(pf.employers, 0) AS employers,
       coalesce(pf.postings_requiring, 0) AS postings_requiring, coalesce(pf.postings_known, 0) AS postings_known,
       coalesce(df.employers_requiring, 0) AS employers_requiring, coalesce(df.employers_known, 0) AS employers_known,
       pf.education_counts
FROM unnest(${ids}) AS ids(role_id)
LEFT JOIN posting_figures pf ON pf.role_id = ids.role_id
LEFT JOIN degree_figures df ON df.role_id = ids.role_id`;
  const { rows } = await pool.query<Row>(sql, params.values);
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`posting figures missing for role ${id}`);
    return { openings: r.openings, employers: r.employers, degreeRequirement: degreeRecord(r) };
  });
}
