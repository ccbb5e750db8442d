import { formatPercent, formatUsd } from '../stats/format.ts';
import type { RolePageData } from './role-page-query.ts';

/**
 * A title as literal Markdown text: Markdown's inline markers are backslash-escaped and HTML's
 * `<`, `>` and `&` become entities, so that a title shows as written and never as markup; a line
 * break (which would start a new block) becomes a space. Ordinary titles come out unchanged.
 */
export function escapeMarkdownText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]~]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const numbered = (items: RolePageData['responsibilities']): string[] =>
  items.map((item) => `${item.position}. **${escapeMarkdownText(item.title)}**: ${item.text}`);

/** The role page in the layout of the seed page (shared/seed/backend-developer.md). */
export function renderMarkdown(role: RolePageData): string {
  const { stats } = role;
  const title = escapeMarkdownText(role.title);
  const blocks: (string | null)[] = [
    `# ${title} Average Salaries and Statistics`,
    [
      '## Overview',
      `- Job openings: ${stats.openings}`,
      `- Average Salary: ${formatUsd(stats.salary.mean)}`,
      `- Degree Requirement: ${formatPercent(stats.degreeRequirement.employerShare)} of employers require a degree`,
    ].join('\n'),
    role.summary === null ? null : `## Average Salary\n${role.summary}`,
    ['## Responsibilities', role.responsibilitiesIntro].filter((s) => s !== null).join('\n'),
    ...numbered(role.responsibilities),
    [`## How to become a ${title}?`, role.careerIntro].filter((s) => s !== null).join('\n'),
    role.careerStepsIntro,
    ...numbered(role.careerSteps),
    role.conclusion,
  ];
  return blocks.filter((b): b is string => b !== null).join('\n\n');
}
