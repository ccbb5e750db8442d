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

type Degree = RolePageData['stats']['degreeRequirement'];
type Requirement = Degree['postingsByRequirement'][number]['requirement'];

/** The four known labels as the pages say them (docs/methodology.md, "Degree requirement from the text"). */
export const REQUIREMENT_TEXT: Record<Exclude<Requirement, 'UNKNOWN'>, string> = {
  REQUIRED: 'require a degree',
  REQUIRED_OR_EQUIVALENT: 'require a degree or equivalent experience',
  PREFERRED: 'prefer a degree',
  NOT_MENTIONED: 'do not ask for one',
};
export const KNOWN_REQUIREMENTS = Object.keys(REQUIREMENT_TEXT) as Exclude<Requirement, 'UNKNOWN'>[];

export const countOf = (counts: Degree['postingsByRequirement'], requirement: Requirement): number =>
  counts.find((c) => c.requirement === requirement)?.count ?? 0;

/**
 * Whether the label split says more than the headline share: some counted posting requires a
 * degree with an alternative or prefers one. A stated degreeRequired only gives REQUIRED and
 * NOT_MENTIONED, so the seed page (and any page of stated flags) keeps its three lines.
 */
export const showsLabelSplit = (degree: Degree): boolean =>
  countOf(degree.postingsByRequirement, 'REQUIRED_OR_EQUIVALENT') + countOf(degree.postingsByRequirement, 'PREFERRED') >
  0;

function labelLine(what: string, counts: Degree['postingsByRequirement']): string {
  const unknown = countOf(counts, 'UNKNOWN');
  const parts = KNOWN_REQUIREMENTS.map((r) => `${countOf(counts, r)} ${REQUIREMENT_TEXT[r]}`);
  return `  - ${what}: ${parts.join(', ')}${unknown > 0 ? ` (${unknown} do not say)` : ''}`;
}

/**
 * The Overview's lines after the headline degree share, each only when it has something to say:
 * the label split (showsLabelSplit), postings seen and duplicates removed (when any was), the
 * source mix (with two sources or more).
 */
function overviewDetails(stats: RolePageData['stats']): string[] {
  const lines: string[] = [];
  const degree = stats.degreeRequirement;
  if (showsLabelSplit(degree)) {
    lines.push(
      labelLine('Employers', degree.employersByRequirement),
      labelLine('Postings', degree.postingsByRequirement),
    );
  }
  if (stats.duplicatesRemoved > 0) {
    lines.push(`- Postings seen: ${stats.postingsSeen}, duplicates removed: ${stats.duplicatesRemoved}`);
  }
  if (stats.sources.length > 1) {
    lines.push(
      `- Sources: ${stats.sources.map((s) => `${escapeMarkdownText(s.source)} ${s.postingsSeen} (${s.openings} first seen there)`).join(', ')}`,
    );
  }
  return lines;
}

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
      ...overviewDetails(stats),
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
