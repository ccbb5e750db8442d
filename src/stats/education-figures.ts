import { EDUCATION_LEVELS, EDUCATION_REQUIREMENTS, type EducationLevel, type EducationRequirement } from '../domain/education.ts';

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

export interface EducationCounts {
  postingsByRequirement: { requirement: EducationRequirement; count: number }[];
  postingsByLevel: { level: EducationLevel; count: number }[];
}

/** The counts of educationCountsSql (null, for a role without postings, is all zeros); every label and level is listed. */
export function educationCounts(counts: number[] | null): EducationCounts {
  const n = EDUCATION_REQUIREMENTS.length;
  return {
    postingsByRequirement: EDUCATION_REQUIREMENTS.map((requirement, i) => ({ requirement, count: counts?.[i] ?? 0 })),
    postingsByLevel: EDUCATION_LEVELS.map((level, i) => ({ level, count: counts?.[n + i] ?? 0 })),
  };
}
