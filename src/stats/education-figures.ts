import {
  EDUCATION_LEVELS,
  EDUCATION_REQUIREMENTS,
  type EducationLevel,
  type EducationRequirement,
} from '../domain/education.ts';
import { dedupes, type PostingFilter } from '../domain/posting-filter.ts';

/**
 * A posting's degree-requirement label in SQL: the stored label, or, for rows written before the
 * label existed, what their degree_required says (true REQUIRED, false NOT_MENTIONED, null UNKNOWN).
 */
export function educationRequirementSql(alias: string): string {
  return `coalesce(${alias}.education_requirement, CASE WHEN ${alias}.degree_required THEN 'REQUIRED'::"EducationRequirement"
    WHEN NOT ${alias}.degree_required THEN 'NOT_MENTIONED'::"EducationRequirement" ELSE 'UNKNOWN'::"EducationRequirement" END)`;
}

/** Its level: the stored one, or ANY for an older row whose degree_required is true. */
export function educationLevelSql(alias: string): string {
  return `coalesce(${alias}.education_level, CASE WHEN ${alias}.education_requirement IS NULL AND ${alias}.degree_required THEN 'ANY'::"EducationLevel" END)`;
}

/**
 * The label of a counted row `alias` under `filter`: with dedupe, its group's (set on the group's
 * earliest member from the earliest member whose requirement is known, the same member as
 * degreeSql's boolean, src/importer/posting-groups.ts); without, its own.
 */
export function countedEducationRequirementSql(alias: string, filter: PostingFilter): string {
  const own = educationRequirementSql(alias);
  return dedupes(filter)
    ? `(CASE WHEN ${alias}.group_education_requirement IS NULL THEN ${own} ELSE ${alias}.group_education_requirement END)`
    : own;
}

/** The level of a counted row, from the same member as countedEducationRequirementSql's label. */
export function countedEducationLevelSql(alias: string, filter: PostingFilter): string {
  const own = educationLevelSql(alias);
  return dedupes(filter)
    ? `(CASE WHEN ${alias}.group_education_requirement IS NULL THEN ${own} ELSE ${alias}.group_education_level END)`
    : own;
}

/**
 * An employer's label, as an aggregate over its counted rows' education_requirement: the strongest
 * (docs/methodology.md, "Degree requirement from the text"). The enum is declared strongest first
 * (REQUIRED, REQUIRED_OR_EQUIVALENT, PREFERRED, NOT_MENTIONED, UNKNOWN) and PostgreSQL orders an
 * enum by its declaration, so min() is the strongest, and UNKNOWN only when every row is UNKNOWN:
 * REQUIRED exactly when any row requires a degree (today's employer rule), known when any row is.
 */
export const employerRequirementSql = (column = 'education_requirement'): string => `min(${column})`;

/** Per label (EDUCATION_REQUIREMENTS order), the rows of a relation whose `column` has it, as one int[] aggregate. */
export function requirementCountsSql(column: string): string {
  return `array[${EDUCATION_REQUIREMENTS.map((r) => `count(*) FILTER (WHERE ${column} = '${r}')`).join(', ')}]::int[]`;
}

/**
 * One int[] aggregate over a relation with columns education_requirement and education_level:
 * the postings per label (in EDUCATION_REQUIREMENTS order), then per level (EDUCATION_LEVELS order).
 */
export function educationCountsSql(): string {
  const counts = [
    ...EDUCATION_REQUIREMENTS.map((r) => `count(*) FILTER (WHERE education_requirement = '${r}')`),
    ...EDUCATION_LEVELS.map((l) => `count(*) FILTER (WHERE education_level = '${l}')`),
  ];
  return `array[${counts.join(', ')}]::int[]`;
}

export interface RequirementCount {
  requirement: EducationRequirement;
  count: number;
}

export interface EducationCounts {
  postingsByRequirement: RequirementCount[];
  postingsByLevel: { level: EducationLevel; count: number }[];
  /** Employers per label (their strongest, employerRequirementSql); UNKNOWN: employers none of whose postings says. */
  employersByRequirement: RequirementCount[];
}

/**
 * The counts of educationCountsSql and of requirementCountsSql over the employers (null, for a
 * role without postings, is all zeros); every label and level is listed.
 */
export function educationCounts(counts: number[] | null, employerCounts: number[] | null): EducationCounts {
  const n = EDUCATION_REQUIREMENTS.length;
  return {
    postingsByRequirement: EDUCATION_REQUIREMENTS.map((requirement, i) => ({ requirement, count: counts?.[i] ?? 0 })),
    postingsByLevel: EDUCATION_LEVELS.map((level, i) => ({ level, count: counts?.[n + i] ?? 0 })),
    employersByRequirement: EDUCATION_REQUIREMENTS.map((requirement, i) => ({
      requirement,
      count: employerCounts?.[i] ?? 0,
    })),
  };
}
