import { formatPercent, formatUsd } from './format.ts';

/** Placeholders that role prose may contain, and the figure each stands for. */
export const PROSE_PLACEHOLDERS = {
  title: 'the role title',
  openings: 'number of open postings',
  employers: 'distinct employers with open postings',
  meanSalary: 'mean annual salary in USD, e.g. $88800',
  medianSalary: 'median annual salary in USD',
  employerDegreeShare: 'share of employers requiring a degree, e.g. 33%',
  postingDegreeShare: 'share of postings requiring a degree',
} as const;

export type ProsePlaceholder = keyof typeof PROSE_PLACEHOLDERS;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Placeholders in `template` that are not in PROSE_PLACEHOLDERS (own keys only: `{{toString}}` is not one). */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((name) => !Object.hasOwn(PROSE_PLACEHOLDERS, name));
}

/** The figures that prose placeholders stand for. */
export interface ProseFigures {
  openings: number;
  employers: number;
  salary: { mean: number | null; median: number | null };
  degreeRequirement: { employerShare: number | null; postingShare: number | null };
}

/** Fills a prose template with a role's current figures; unknown placeholders stay visible. */
export function renderProse(template: string | null, title: string, stats: ProseFigures): string | null {
  if (template === null) return null;
  const values: Record<ProsePlaceholder, string> = {
    title,
    openings: String(stats.openings),
    employers: String(stats.employers),
    meanSalary: formatUsd(stats.salary.mean),
    medianSalary: formatUsd(stats.salary.median),
    employerDegreeShare: formatPercent(stats.degreeRequirement.employerShare),
    postingDegreeShare: formatPercent(stats.degreeRequirement.postingShare),
  };
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as ProsePlaceholder] : whole,
  );
}

/** Whether a template needs statistics to render (so resolvers can skip loading them). */
export function needsStats(template: string | null): boolean {
  return template?.includes('{{') === true;
}
