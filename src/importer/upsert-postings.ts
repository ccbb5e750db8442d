import { insertMissingEmployersSql } from './insert-missing-employers.ts';
import { insertMissingRolesSql } from './insert-missing-roles.ts';
import { normalizeEmployerName } from '../domain/normalize-employer.ts';
import { dedupeKeyColumn, regroupStagedSql } from './posting-groups.ts';
import type { PostingImportRow } from './posting-schema.ts';
import { amountUsdSql, annualizedSql, midpointSql } from '../db/sql/salary-sql.ts';
import { StagingTable } from './staging-table.ts';

/** How an employer's name is shown: trimmed, runs of white space one space. */
export const displayName = (name: string): string => name.trim().replace(/\s+/g, ' ');

const num = (n: number | null): string | null => (n === null ? null : String(n));
const bool = (b: boolean | null): string | null => (b === null ? null : b ? 't' : 'f');
const time = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** Staging table of one batch of postings. */
export const postingStagingTable = new StagingTable<PostingImportRow>('import_stage_postings', [
  { name: 'external_id', type: 'text', value: (r) => r.externalId },
  { name: 'source', type: 'text', value: (r) => r.source },
  { name: 'role', type: 'text', value: (r) => r.role },
  { name: 'role_title', type: 'text', value: (r) => r.roleTitle },
  { name: 'title', type: 'text', value: (r) => r.title },
  { name: 'company', type: 'text', value: (r) => r.company },
  { name: 'employer_key', type: 'text', value: (r) => normalizeEmployerName(r.company) },
  { name: 'company_name', type: 'text', value: (r) => displayName(r.company) },
  { name: 'location', type: 'text', value: (r) => r.location },
  { name: 'country', type: 'text', value: (r) => r.country },
  { name: 'remote', type: 'boolean', value: (r) => bool(r.remote) },
  { name: 'salary_min', type: 'float8', value: (r) => num(r.salaryMin) },
  { name: 'salary_max', type: 'float8', value: (r) => num(r.salaryMax) },
  { name: 'salary_currency', type: 'text', value: (r) => r.salaryCurrency },
  { name: 'salary_period', type: '"SalaryPeriod"', value: (r) => r.salaryPeriod },
  { name: 'degree_required', type: 'boolean', value: (r) => bool(r.degreeRequired) },
  { name: 'seniority', type: '"Seniority"', value: (r) => r.seniority },
  { name: 'employment_type', type: 'text', value: (r) => r.employmentType },
  { name: 'posted_at', type: 'timestamptz', value: (r) => time(r.postedAt) },
  { name: 'closed_at', type: 'timestamptz', value: (r) => time(r.closedAt) },
  dedupeKeyColumn<PostingImportRow>(),
  { name: 'salary_text', type: 'text', value: (r) => r.salaryText },
  { name: 'salary_estimated', type: 'boolean', value: (r) => bool(r.salaryEstimated) },
  // Staged only (not stored): a salary read from salaryText that is implausible is dropped, not the row.
  { name: 'salary_from_text', type: 'boolean', value: (r) => bool(r.salaryFromText) },
  { name: 'description', type: 'text', value: (r) => r.description },
  { name: 'url', type: 'text', value: (r) => r.url },
  { name: 'education_requirement', type: '"EducationRequirement"', value: (r) => r.educationRequirement },
  { name: 'education_level', type: '"EducationLevel"', value: (r) => r.educationLevel },
  { name: 'education_evidence', type: 'text', value: (r) => r.educationEvidence },
  { name: 'education_origin', type: '"EducationOrigin"', value: (r) => r.educationOrigin },
  { name: 'role_origin', type: '"RoleOrigin"', value: (r) => r.roleOrigin },
  { name: 'salary_origin', type: '"SalaryOrigin"', value: (r) => r.salaryOrigin },
]);

const POSTING_COLUMNS = [
  'role_id',
  'employer_id',
  'title',
  'location',
  'country',
  'remote',
  'salary_min',
  'salary_max',
  'salary_currency',
  'salary_period',
  'degree_required',
  'seniority',
  'employment_type',
  'company_name',
  'posted_at',
  'closed_at',
  'dedupe_key',
  'salary_text',
  'salary_estimated',
  'description',
  'url',
  'education_requirement',
  'education_level',
  'education_evidence',
  'education_origin',
  'role_origin',
  'salary_origin',
];

const OBSERVATION_COLUMNS = [
  'role_id',
  'source',
  'amount',
  'currency',
  'period',
  'amount_usd',
  'observed_at',
  'country',
];

/**
 * Inserts or updates the salary observation of each posting `p` (a CTE or table of posting rows)
 * that has a salary: the midpoint, annualized and converted at the rate of postedAt, under the
 * posting's role. The import's upsert and npm run reprocess both keep observations with it.
 */
export function postingObservationsSql(p: string): string {
  const amount = annualizedSql(midpointSql(`${p}.salary_min`, `${p}.salary_max`), `${p}.salary_period`);
  return `INSERT INTO salary_observation AS o (posting_id, external_id, ${OBSERVATION_COLUMNS.join(', ')})
       SELECT ${p}.id, NULL, ${p}.role_id, ${p}.source, a.amount, ${p}.salary_currency, ${p}.salary_period,
              ${amountUsdSql('a.amount', `${p}.salary_currency`, `${p}.posted_at`)}, ${p}.posted_at, ${p}.country
       FROM ${p} CROSS JOIN LATERAL (SELECT ${amount} AS amount) a
       WHERE ${p}.salary_min IS NOT NULL OR ${p}.salary_max IS NOT NULL
       ON CONFLICT (posting_id) DO UPDATE SET ${OBSERVATION_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
       WHERE (${OBSERVATION_COLUMNS.map((c) => `o.${c}`).join(', ')})
             IS DISTINCT FROM (${OBSERVATION_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})`;
}

/**
 * The statements that upsert the staged postings (one batch, keys already unique) and keep their
 * salary observations in step; the last one returns the counts (inserted, updated):
 * - missing roles and employers are created first;
 * - a posting is inserted, or updated (with updated_at) only when some column differs;
 * - each inserted or updated posting with a salary gets exactly one observation (midpoint,
 *   annualized, converted to USD), following its role, country and dates; one that lost its salary
 *   loses its observation. Unchanged postings keep theirs untouched;
 * - the duplicate groups of every key the batch touched are brought up to date (posting-groups.ts).
 */
export function upsertPostingsSql(stagingTable: string): string[] {
  const steps = upsertPostingsSteps(stagingTable);
  return [...steps.upsert, ...steps.group];
}

/** upsertPostingsSql's statements in two steps: the upserts, then the regrouping (timed apart by the importer). */
export function upsertPostingsSteps(stagingTable: string): { upsert: string[]; group: string[] } {
  const upsert = `WITH up AS (
       INSERT INTO posting AS p (source, external_id, ${POSTING_COLUMNS.join(', ')})
       SELECT s.source, s.external_id, r.id, e.id, s.title, s.location, s.country, s.remote, s.salary_min, s.salary_max,
              s.salary_currency, s.salary_period, s.degree_required, s.seniority, s.employment_type, s.company_name, s.posted_at, s.closed_at, s.dedupe_key,
              s.salary_text, s.salary_estimated, s.description, s.url,
              s.education_requirement, s.education_level, s.education_evidence, s.education_origin, s.role_origin, s.salary_origin
       FROM ${stagingTable} s
       JOIN role r ON r.slug = s.role
       JOIN employer e ON e.normalized_name = s.employer_key
       -- In file order, so that ids (the tie-break of employer spellings) follow it.
       ORDER BY s.line
       ON CONFLICT (source, external_id) DO UPDATE SET
         ${POSTING_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()
       WHERE (${POSTING_COLUMNS.map((c) => `p.${c}`).join(', ')})
             IS DISTINCT FROM (${POSTING_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})
       RETURNING p.id, (p.xmax = 0) AS inserted, p.role_id, p.source, p.country, p.posted_at,
                 p.salary_min, p.salary_max, p.salary_currency, p.salary_period
     ),
     dropped AS (
       -- Only an updated posting can have an observation to lose: an inserted one has a new id.
       DELETE FROM salary_observation o USING up
       WHERE o.posting_id = up.id AND NOT up.inserted AND up.salary_min IS NULL AND up.salary_max IS NULL
     ),
     observed AS (
       ${postingObservationsSql('up')}
     )
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;
  // Each employer of the batch is then named by the most frequent spelling of its postings (on a tie, the earliest).
  // Only employers for which the batch holds another spelling than their name can change name:
  // when every row of the batch spells an employer as it is named, that spelling only gained
  // postings (or kept its count), so it stays the most frequent. The counts are employer_spelling's,
  // which triggers on posting keep (migration 20261203190000): counting the postings of those
  // employers read most of the table each batch (at 10M postings, a sequential scan per batch).
  const rename = `UPDATE employer e SET name = m.spelling
     FROM (
       SELECT DISTINCT ON (es.employer_id) es.employer_id, es.spelling
       FROM employer_spelling es
       WHERE es.employer_id IN (
         SELECT e2.id FROM employer e2 JOIN ${stagingTable} s2 ON s2.employer_key = e2.normalized_name
         WHERE s2.company_name IS DISTINCT FROM e2.name
       )
       ORDER BY es.employer_id, es.postings DESC, es.first_posting_id
     ) m
     WHERE e.id = m.employer_id AND e.name IS DISTINCT FROM m.spelling`;
  return {
    upsert: [insertMissingRolesSql(stagingTable), insertMissingEmployersSql(stagingTable), upsert, rename],
    group: regroupStagedSql(stagingTable),
  };
}
