import { formatPercent, formatUsd } from '../stats/format.ts';
import type { RolePageData } from './role-page-query.ts';

const numbered = (items: RolePageData['responsibilities']): string[] =>
  items.map((item) => `${item.position}. **${item.title}**: ${item.text}`);

/** The role page in the layout of the seed page (shared/seed/backend-developer.md). */
export function renderMarkdown(role: RolePageData): string {
  const { stats } = role;
  const blocks: (string | null)[] = [
    `# ${role.title} Average Salaries and Statistics`,
    [
      '## Overview',
      `- Job openings: ${stats.openings}`,
      `- Average Salary: ${formatUsd(stats.salary.mean)}`,
      `- Degree Requirement: ${formatPercent(stats.degreeRequirement.employerShare)} of employers require a degree`,
    ].join('\n'),
    role.summary === null ? null : `## Average Salary\n${role.summary}`,
    ['## Responsibilities', role.responsibilitiesIntro].filter((s) => s !== null).join('\n'),
    ...numbered(role.responsibilities),
    [`## How to become a ${role.title}?`, role.careerIntro].filter((s) => s !== null).join('\n'),
    role.careerStepsIntro,
    ...numbered(role.careerSteps),
    role.conclusion,
  ];
  return blocks.filter((b): b is string => b !== null).join('\n\n');
}
