import type pg from 'pg';
import { hotQuery } from '../db/prepared.ts';
import { postingCondition, type PostingFilter } from './posting-filter.ts';
import { SqlParams } from './sql-params.ts';

export interface DegreeRequirementRecord {
  employerShare: number | null;
  postingShare: number | null;
  employersRequiring: number;
  employersKnown: number;
  postingsRequiring: number;
  postingsKnown: number;
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
}

export function degreeRecord(r: Omit<Row, 'role_id' | 'openings' | 'employers'>): DegreeRequirementRecord {
  return {
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
  // One grouping by (role, employer) gives every figure: the degree rule needs it anyway, and
  // counting employers as its groups avoids a second pass with count(DISTINCT), which sorts.
  const sql = `
WITH per_employer AS (
  SELECT p.role_id, p.employer_id, count(*)::int AS postings,
         count(*) FILTER (WHERE p.degree_required)::int AS postings_requiring,
         count(p.degree_required)::int AS postings_known,
         bool_or(p.degree_required) AS requires
  FROM posting p
  WHERE p.role_id = ANY(${ids}) AND ${postingCondition('p', filter, at, params)}
  GROUP BY p.role_id, p.employer_id
), figures AS (
  SELECT role_id, sum(postings)::int AS openings, count(*)::int AS employers,
         sum(postings_requiring)::int AS postings_requiring, sum(postings_known)::int AS postings_known,
         count(*) FILTER (WHERE requires)::int AS employers_requiring, count(requires)::int AS employers_known
  FROM per_employer GROUP BY role_id
)
SELECT ids.role_id,
       coalesce(f.openings, 0) AS openings, coalesce(f.employers, 0) AS employers,
       coalesce(f.postings_requiring, 0) AS postings_requiring, coalesce(f.postings_known, 0) AS postings_known,
       coalesce(f.employers_requiring, 0) AS employers_requiring, coalesce(f.employers_known, 0) AS employers_known
FROM unnest(${ids}) AS ids(role_id)
LEFT JOIN figures f ON f.role_id = ids.role_id`;
  const { rows } = await hotQuery<Row>(pool, sql, params.values);
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`posting figures missing for role ${id}`);
    return { openings: r.openings, employers: r.employers, degreeRequirement: degreeRecord(r) };
  });
}
