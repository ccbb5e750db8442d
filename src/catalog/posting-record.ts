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

/** Columns of a PostingRecord from posting `p` joined with its observation `o`; `at` is the as-of placeholder. */
export function postingColumns(at: string): string {
  return `p.id, p.role_id AS "roleId", p.employer_id AS "employerId", p.source, p.external_id AS "externalId",
    p.title, p.location, p.country, p.remote, p.salary_min AS "salaryMin", p.salary_max AS "salaryMax",
    p.salary_currency AS "salaryCurrency", p.salary_period AS "salaryPeriod", o.amount_usd AS "annualSalaryUsd",
    p.degree_required AS "degreeRequired", ${senioritySql('p')} AS seniority, p.posted_at AS "postedAt", p.closed_at AS "closedAt",
    (p.posted_at <= ${at} AND (p.closed_at IS NULL OR p.closed_at > ${at})) AS open, p.group_id AS "groupId",

    p.salary_text AS "salaryText", p.salary_estimated AS "salaryEstimated", p.description, p.employment_type AS "employmentType", p.url,
    ${educationRequirementSql('p')} AS "educationRequirement", ${educationLevelSql('p')} AS "educationLevel",
    p.education_evidence AS "educationEvidence",
    coalesce(p.education_origin, CASE WHEN p.education_requirement IS NULL AND p.degree_required IS NOT NULL THEN 'STATED'::"EducationOrigin" END) AS "educationOrigin"`;
}
