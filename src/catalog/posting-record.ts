import type { Seniority } from '../domain/field-rules.ts';
import { senioritySql } from '../db/sql/seniority.ts';
import { educationLevelSql, educationRequirementSql } from '../stats/education-figures.ts';
import type { EducationLevel, EducationOrigin, EducationRequirement } from '../domain/education.ts';

/** A stored posting as the API shows it (the importer's validated row is PostingImportRow). */
export interface PostingRecord {
  id: number;
  roleId: number;
  employerId: number;
  source: string;
  externalId: string;
  title: string | null;
  location: string | null;
  country: string | null;
  remote: boolean | null;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string | null;
  salaryPeriod: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR' | null;
  annualSalaryUsd: number | null;
  degreeRequired: boolean | null;
  /** Stated or inferred. */
  seniority: Seniority | null;
  postedAt: Date;
  closedAt: Date | null;
  open: boolean;
  /** The earliest posting of its group of duplicates (its own id when it is that one). */
  groupId: number | null;
  salaryText: string | null;
  salaryEstimated: boolean | null;
  description: string | null;
  employmentType: string | null;
  url: string | null;
  educationRequirement: EducationRequirement;
  educationLevel: EducationLevel | null;
  educationEvidence: string | null;
  educationOrigin: EducationOrigin | null;
}

/**
 * The columns of a PostingRecord a list reads only when the query selects the GraphQL field that
 * shows them (PostingRecord's own name, or `education` for its four columns); a field not named
 * here (role, employer, duplicates...) is resolved from the columns every list reads.
 */
const FIELD_COLUMNS: Record<string, () => string> = {
  source: () => 'p.source',
  externalId: () => 'p.external_id AS "externalId"',
  title: () => 'p.title',
  location: () => 'p.location',
  country: () => 'p.country',
  remote: () => 'p.remote',
  salaryMin: () => 'p.salary_min AS "salaryMin"',
  salaryMax: () => 'p.salary_max AS "salaryMax"',
  salaryCurrency: () => 'p.salary_currency AS "salaryCurrency"',
  salaryPeriod: () => 'p.salary_period AS "salaryPeriod"',
  annualSalaryUsd: () => 'o.amount_usd AS "annualSalaryUsd"',
  degreeRequired: () => 'p.degree_required AS "degreeRequired"',
  seniority: () => `${senioritySql('p')} AS seniority`,
  salaryText: () => 'p.salary_text AS "salaryText"',
  salaryEstimated: () => 'p.salary_estimated AS "salaryEstimated"',
  description: () => 'p.description',
  employmentType: () => 'p.employment_type AS "employmentType"',
  url: () => 'p.url',
  education:
    () => `${educationRequirementSql('p')} AS "educationRequirement", ${educationLevelSql('p')} AS "educationLevel",
    p.education_evidence AS "educationEvidence",
    coalesce(p.education_origin, CASE WHEN p.education_requirement IS NULL AND p.degree_required IS NOT NULL THEN 'STATED'::"EducationOrigin" END) AS "educationOrigin"`,
};

/** The GraphQL fields of Posting that postingColumns can leave out (the others cost no column of their own). */
export const OPTIONAL_POSTING_FIELDS: ReadonlySet<string> = new Set(Object.keys(FIELD_COLUMNS));

/**
 * Columns of a PostingRecord from posting `p` joined with its observation `o`; `at` is the as-of
 * placeholder. With `fields` (GraphQL field names of Posting), only the columns those fields
 * show plus the ones every posting needs (its id, role, employer, group, dates and open state):
 * a list of 20 x 20 titles reads neither descriptions nor salaries. The record is then partial,
 * which only the resolvers of the fields asked for read.
 */
export function postingColumns(at: string, fields?: readonly string[]): string {
  const base = `p.id, p.role_id AS "roleId", p.employer_id AS "employerId", p.group_id AS "groupId",
    p.posted_at AS "postedAt", p.closed_at AS "closedAt", (p.posted_at <= ${at} AND (p.closed_at IS NULL OR p.closed_at > ${at})) AS open`;
  const chosen = fields ? [...new Set(fields)].filter((f) => f in FIELD_COLUMNS) : Object.keys(FIELD_COLUMNS);
  return [base, ...chosen.map((f) => (FIELD_COLUMNS[f] as () => string)())].join(',\n    ');
}

/** Whether postingColumns(at, fields) reads the observation `o` (so a list must join it). */
export const readsObservation = (fields?: readonly string[]): boolean => !fields || fields.includes('annualSalaryUsd');
