import type pg from 'pg';

export interface SalaryStatsRecord {
  currency: string;
  count: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
}

export interface DegreeRequirementRecord {
  employerShare: number | null;
  postingShare: number | null;
  employersRequiring: number;
  employersKnown: number;
  postingsRequiring: number;
  postingsKnown: number;
}

export interface RoleStatsRecord {
  roleId: number;
  openings: number;
  employers: number;
  salary: SalaryStatsRecord;
  degreeRequirement: DegreeRequirementRecord;
}

/**
 * The rules of docs/methodology.md, for many roles in one statement:
 *  - open posting: posted_at <= as-of and (closed_at is null or later than as-of);
 *  - salary observations: those of open postings plus the role's standalone reports observed
 *    by the as-of time, in USD; median is percentile_cont(0.5);
 *  - an employer requires a degree if any of its open postings does (bool_or), and its
 *    requirement is known if any of its open postings' is (bool_or is null only when all are).
 */
const ROLE_STATS_SQL = `
WITH ids AS (
  SELECT DISTINCT unnest($1::int[]) AS role_id
), open_posting AS (
  SELECT p.id, p.role_id, p.employer_id, p.degree_required
  FROM posting p
  WHERE p.role_id = ANY($1::int[])
    AND p.posted_at <= $2
    AND (p.closed_at IS NULL OR p.closed_at > $2)
), posting_figures AS (
  SELECT role_id,
         count(*)::int AS openings,
         count(DISTINCT employer_id)::int AS employers,
         count(*) FILTER (WHERE degree_required)::int AS postings_requiring,
         count(degree_required)::int AS postings_known
  FROM open_posting
  GROUP BY role_id
), employer_degree AS (
  SELECT role_id, employer_id, bool_or(degree_required) AS requires
  FROM open_posting
  GROUP BY role_id, employer_id
), degree_figures AS (
  SELECT role_id,
         count(*) FILTER (WHERE requires)::int AS employers_requiring,
         count(requires)::int AS employers_known
  FROM employer_degree
  GROUP BY role_id
), observation AS (
  SELECT o.role_id, o.amount_usd
  FROM salary_observation o
  JOIN open_posting op ON op.id = o.posting_id
  UNION ALL
  SELECT o.role_id, o.amount_usd
  FROM salary_observation o
  WHERE o.posting_id IS NULL AND o.role_id = ANY($1::int[]) AND o.observed_at <= $2
), salary_figures AS (
  SELECT role_id,
         count(*)::int AS count,
         avg(amount_usd) AS mean,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY amount_usd) AS median,
         min(amount_usd) AS min,
         max(amount_usd) AS max
  FROM observation
  GROUP BY role_id
)
SELECT ids.role_id,
       coalesce(pf.openings, 0) AS openings,
       coalesce(pf.employers, 0) AS employers,
       coalesce(pf.postings_requiring, 0) AS postings_requiring,
       coalesce(pf.postings_known, 0) AS postings_known,
       coalesce(df.employers_requiring, 0) AS employers_requiring,
       coalesce(df.employers_known, 0) AS employers_known,
       coalesce(sf.count, 0) AS salary_count,
       sf.mean, sf.median, sf.min, sf.max
FROM ids
LEFT JOIN posting_figures pf ON pf.role_id = ids.role_id
LEFT JOIN degree_figures df ON df.role_id = ids.role_id
LEFT JOIN salary_figures sf ON sf.role_id = ids.role_id`;

interface Row {
  role_id: number;
  openings: number;
  employers: number;
  postings_requiring: number;
  postings_known: number;
  employers_requiring: number;
  employers_known: number;
  salary_count: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
}

const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** Statistics of each role in `roleIds` as of `asOf`, in the order asked (roles without data get zeros). */
export async function loadRoleStats(pool: pg.Pool, roleIds: readonly number[], asOf: Date): Promise<RoleStatsRecord[]> {
  const { rows } = await pool.query<Row>(ROLE_STATS_SQL, [roleIds, asOf]);
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((roleId) => {
    const r = byId.get(roleId);
    if (!r) throw new Error(`role statistics missing for role ${roleId}`);
    return {
      roleId,
      openings: r.openings,
      employers: r.employers,
      salary: { currency: 'USD', count: r.salary_count, mean: r.mean, median: r.median, min: r.min, max: r.max },
      degreeRequirement: {
        employerShare: share(r.employers_requiring, r.employers_known),
        postingShare: share(r.postings_requiring, r.postings_known),
        employersRequiring: r.employers_requiring,
        employersKnown: r.employers_known,
        postingsRequiring: r.postings_requiring,
        postingsKnown: r.postings_known,
      },
    };
  });
}
