/**
 * GET /roles/:slug — the role's page as HTML: the content of `npm run report` (overview,
 * salary paragraph, responsibilities, how to become one) plus a salary histogram with the
 * quartiles marked, openings per month, the sample size and confidence label, and a link to the
 * same figures in the playground. The data is ROLE_PAGE_QUERY's answer, nothing else.
 */
import type { Confidence, RolePageData } from '../../report/role-page-query.ts';
import { histogramSvg, periodLabel, trendSvg } from './charts.ts';
import { escapeHtml, formatCount, formatMoney, formatShare, htmlMoneyInProse, renderLayout } from './layout.ts';

export interface RolePageOptions {
  /** Link to the playground (false when PLAYGROUND=off). */
  playground: boolean;
}

export const CONFIDENCE_TEXT: Record<Confidence, string> = {
  INSUFFICIENT: 'Insufficient: fewer than 5 salaries',
  LOW: 'Low: 5 to 14 salaries',
  MEDIUM: 'Medium: 15 to 49 salaries',
  HIGH: 'High: 50 or more salaries',
};

/** The figures of the page as a query to run in the playground (the slug written in). */
export function playgroundQuery(slug: string): string {
  return `# The figures of the /roles/${slug.replace(/[\r\n]/g, ' ')} page. Press the run button (or Ctrl-Enter).
query RoleFigures {
  role(slug: ${JSON.stringify(slug)}) {
    title
    stats {
      openings
      employers
      salary {
        mean median p25 p75 sampleSize confidence
        histogram(buckets: 10) { lowerBound upperBound count }
      }
      degreeRequirement { employerShare employersRequiring employersKnown }
    }
    trend(interval: MONTH) { period openingsAtEnd postings }
  }
}
`;
}

export function playgroundHref(slug: string): string {
  return `/graphql?query=${encodeURIComponent(playgroundQuery(slug))}`;
}

const paragraph = (text: string | null): string => (text === null || text === '' ? '' : `<p>${escapeHtml(htmlMoneyInProse(text))}</p>\n`);

function items(list: RolePageData['responsibilities']): string {
  if (list.length === 0) return '';
  const lis = list
    .map((item) => `<li value="${item.position}"><strong>${escapeHtml(item.title)}</strong>: ${escapeHtml(htmlMoneyInProse(item.text))}</li>`)
    .join('\n');
  return `<ol class="items">\n${lis}\n</ol>\n`;
}

function overview(role: RolePageData): string {
  const { stats } = role;
  const degree = stats.degreeRequirement;
  return `<section aria-labelledby="overview">
<h2 id="overview">Overview</h2>
<dl class="figures">
<div class="figure-openings"><dt>Job openings</dt><dd>${formatCount(stats.openings)}<small>at ${formatCount(stats.employers)} employer${stats.employers === 1 ? '' : 's'}</small></dd></div>
<div class="figure-mean"><dt>Average salary</dt><dd>${formatMoney(stats.salary.mean)}<small>median ${formatMoney(stats.salary.median)}</small></dd></div>
<div class="figure-degree"><dt>Degree requirement</dt><dd>${formatShare(degree.employerShare)}<small>of employers require a degree (${formatCount(degree.employersRequiring)} of ${formatCount(degree.employersKnown)})</small></dd></div>
</dl>
</section>
`;
}

function distribution(role: RolePageData): string {
  const { salary } = role.stats;
  const sample = `<ul class="stats">
<li>Sample size: <strong class="sample-size">${formatCount(salary.sampleSize)}</strong> salar${salary.sampleSize === 1 ? 'y' : 'ies'}</li>
<li>Confidence: <span class="badge ${escapeHtml(salary.confidence)}">${escapeHtml(CONFIDENCE_TEXT[salary.confidence] ?? salary.confidence)}</span></li>
</ul>
`;
  if (salary.histogram.length === 0) {
    return `<section aria-labelledby="distribution">
<h2 id="distribution">Salary distribution</h2>
<p>No salaries have been reported for this role yet.</p>
${sample}</section>
`;
  }
  const chartTitle = `Distribution of annual ${role.title} salaries`;
  const rows = salary.histogram
    .map((b) => `<tr><td>${formatMoney(b.lowerBound)} to ${formatMoney(b.upperBound)}</td><td class="num">${formatCount(b.count)}</td></tr>`)
    .join('\n');
  return `<section aria-labelledby="distribution">
<h2 id="distribution">Salary distribution</h2>
<figure class="card">
${histogramSvg('histogram', chartTitle, salary.histogram, salary, salary.sampleSize)}
<ul class="legend" aria-hidden="true"><li><span class="swatch bar"></span>Salaries per range</li><li><span class="swatch median"></span>Median</li><li><span class="swatch pct"></span>25th and 75th percentiles</li></ul>
<figcaption>Annual salaries in US dollars, in ${salary.histogram.length} equal ranges from the lowest to the highest salary.</figcaption>
</figure>
<ul class="stats">
<li>25th percentile: <strong>${formatMoney(salary.p25)}</strong></li>
<li>Median: <strong>${formatMoney(salary.median)}</strong></li>
<li>75th percentile: <strong>${formatMoney(salary.p75)}</strong></li>
<li>Range: <strong>${formatMoney(salary.min)}</strong> to <strong>${formatMoney(salary.max)}</strong></li>
</ul>
${sample}<details>
<summary>The histogram as a table</summary>
<table class="histogram-table">
<caption>Number of ${escapeHtml(role.title)} salaries per range</caption>
<thead><tr><th scope="col">Annual salary</th><th scope="col" class="num">Salaries</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</details>
</section>
`;
}

function trend(role: RolePageData): string {
  // Monthly, unless the postings span too many months for one trend (fetchRolePage): then yearly.
  const unit = role.trend.length > 0 && role.trend.every((p) => /^\d{4}$/.test(p.period)) ? 'year' : 'month';
  const heading = `Openings by ${unit}`;
  if (role.trend.length === 0) {
    return `<section aria-labelledby="trend">
<h2 id="trend">${heading}</h2>
<p>No postings yet.</p>
</section>
`;
  }
  const points = role.trend.map((p) => ({ period: p.period, value: p.openingsAtEnd }));
  const rows = role.trend
    .map((p) => `<tr><th scope="row">${escapeHtml(periodLabel(p.period, true))}</th><td class="num">${formatCount(p.openingsAtEnd)}</td><td class="num">${formatCount(p.postings)}</td></tr>`)
    .join('\n');
  return `<section aria-labelledby="trend">
<h2 id="trend">${heading}</h2>
<figure class="card">
${trendSvg('trend-chart', `Open ${role.title} postings at the end of each ${unit}`, points, `open postings at the end of each ${unit}`)}
<figcaption>Postings still open at the end of each ${unit} (for the current ${unit}, now).</figcaption>
</figure>
<details>
<summary>The trend as a table</summary>
<table class="trend-table">
<caption>${escapeHtml(role.title)} postings per ${unit}</caption>
<thead><tr><th scope="col">${unit === 'year' ? 'Year' : 'Month'}</th><th scope="col" class="num">Open at the end of the ${unit}</th><th scope="col" class="num">Posted in the ${unit}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</details>
</section>
`;
}

/** The page body (inside the layout's <main>). */
export function rolePageBody(role: RolePageData, options: RolePageOptions): string {
  const title = escapeHtml(role.title);
  const parts = [
    `<h1>${title} Average Salaries and Statistics</h1>\n`,
    overview(role),
    role.summary === null ? '' : `<section aria-labelledby="average-salary">\n<h2 id="average-salary">Average Salary</h2>\n${paragraph(role.summary)}</section>\n`,
    distribution(role),
    trend(role),
    `<section aria-labelledby="responsibilities">\n<h2 id="responsibilities">Responsibilities</h2>\n${paragraph(role.responsibilitiesIntro)}${items(role.responsibilities)}</section>\n`,
    `<section aria-labelledby="become">\n<h2 id="become">How to become a ${title}?</h2>\n${paragraph(role.careerIntro)}${paragraph(role.careerStepsIntro)}${items(role.careerSteps)}${paragraph(role.conclusion)}</section>\n`,
  ];
  parts.push(
    `<section aria-labelledby="compare">\n<h2 id="compare">Compare with other roles</h2>\n` +
      `<form method="get" action="/compare"><input type="hidden" name="roles" value="${escapeHtml(role.slug)}">` +
      `<label for="compare-with">Other roles (slugs, comma-separated)</label> <input id="compare-with" name="roles" size="30"> <button type="submit">Compare</button></form>\n` +
      `<p><a href="/roles/${encodeURIComponent(role.slug)}.csv">Download these figures as CSV</a></p>\n</section>\n`,
  );
  if (options.playground) {
    parts.push(
      `<section aria-labelledby="api">\n<h2 id="api">These figures in the API</h2>\n` +
        `<p>Every figure on this page comes from one GraphQL query. Open the same figures in the playground to change the query, filters or currency.</p>\n` +
        `<p><a class="playground" href="${escapeHtml(playgroundHref(role.slug))}">Open these figures in the GraphQL playground</a></p>\n</section>\n`,
    );
  }
  return parts.join('');
}

/** The whole HTML document of a role's page. */
export function renderRolePage(role: RolePageData, options: RolePageOptions): string {
  return renderLayout({
    title: `${role.title} salaries and statistics`,
    description: `${role.title}: ${role.stats.openings} job openings, average salary ${formatMoney(role.stats.salary.mean)}, ${formatShare(role.stats.degreeRequirement.employerShare)} of employers require a degree.`,
    body: rolePageBody(role, options),
    playground: options.playground,
  });
}
