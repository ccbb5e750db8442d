/**
 * GET /roles/:slug — the role's page as HTML: the content of `npm run report` (overview,
 * salary paragraph, responsibilities, how to become one) plus a salary histogram with the
 * quartiles marked, openings per month, the sample size and confidence label, and a link to the
 * same figures in the playground. The data is ROLE_PAGE_QUERY's answer, nothing else.
 */
import type { Confidence } from '../../domain/salary.ts';
import type { PageGroup, RolePageData, RolePageOptions as QueryOptions } from '../../report/role-page-query.ts';
import { countOf, KNOWN_REQUIREMENTS, REQUIREMENT_TEXT } from '../../report/markdown.ts';
import { histogramSvg, periodLabel, trendSvg } from './charts.ts';
import { escapeHtml, formatCount, formatMoney, formatShare, htmlMoneyInProse, renderLayout } from './layout.ts';

export interface RolePageOptions {
  /** Link to the playground (false when PLAYGROUND=off). */
  playground: boolean;
  /** The page's filter and outlier switch, from its query string (parseRolePageParams). */
  view?: QueryOptions;
}

/** A query-string value the page cannot use: 400, naming the parameter, value and rule. */
export class BadPageParamError extends Error {}

const SENIORITY_NAMES = ['JUNIOR', 'MID', 'SENIOR', 'LEAD'] as const;
/** The query-string parameters a role page understands, in the order its links write them. */
export const PAGE_FILTERS = ['country', 'remote', 'seniority', 'source'] as const;

/**
 * The filter and outlier switch of `/roles/<slug>?country=DE&remote=true&seniority=SENIOR&source=x&outliers=include`.
 * Values go to the API's PostingFilter, which checks country and source; remote and seniority are checked here.
 */
export function parseRolePageParams(params: URLSearchParams): QueryOptions {
  const filter: Record<string, string | boolean> = {};
  const country = params.get('country')?.trim();
  if (country) filter.country = country;
  const remote = params.get('remote')?.trim();
  if (remote) {
    if (remote !== 'true' && remote !== 'false')
      throw new BadPageParamError(`The parameter remote=${remote} must be true or false.`);
    filter.remote = remote === 'true';
  }
  const seniority = params.get('seniority')?.trim().toUpperCase();
  if (seniority) {
    if (!(SENIORITY_NAMES as readonly string[]).includes(seniority)) {
      throw new BadPageParamError(`The parameter seniority=${seniority} must be one of ${SENIORITY_NAMES.join(', ')}.`);
    }
    filter.seniority = seniority;
  }
  const source = params.get('source')?.trim();
  if (source) filter.source = source;
  const outliers = params.get('outliers')?.trim();
  if (outliers && outliers !== 'include' && outliers !== 'exclude') {
    throw new BadPageParamError(`The parameter outliers=${outliers} must be include or exclude.`);
  }
  return { filter, excludeOutliers: outliers !== 'include' };
}

/** The page's address with `changes` applied to its query string (undefined removes a parameter). */
function pageHref(slug: string, view: QueryOptions | undefined, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const name of PAGE_FILTERS) {
    const value = view?.filter?.[name];
    if (value !== undefined) params.set(name, String(value));
  }
  if (view?.excludeOutliers === false) params.set('outliers', 'include');
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) params.delete(name);
    else params.set(name, value);
  }
  const search = params.toString();
  return `/roles/${encodeURIComponent(slug)}${search ? `?${search}` : ''}`;
}

export const CONFIDENCE_TEXT: Record<Confidence, string> = {
  INSUFFICIENT: 'Insufficient: fewer than 5 salaries',
  LOW: 'Low: 5 to 14 salaries',
  MEDIUM: 'Medium: 15 to 49 salaries',
  HIGH: 'High: 50 or more salaries',
};

/** The figures of the page as a query to run in the playground (the slug written in). */
export function playgroundQuery(slug: string, view?: QueryOptions): string {
  const entries = Object.entries(view?.filter ?? {});
  const filter = entries.length
    ? `(filter: { ${entries.map(([k, v]) => `${k}: ${typeof v === 'boolean' || k === 'seniority' ? String(v) : JSON.stringify(v)}`).join(', ')} })`
    : '';
  const salaryArgs = view?.excludeOutliers ? '(excludeOutliers: true)' : '';
  return `# The figures of the /roles/${slug.replace(/[\r\n]/g, ' ')} page. Press the run button (or Ctrl-Enter).
query RoleFigures {
  role(slug: ${JSON.stringify(slug)}) {
    title
    stats${filter} {
      openings
      employers
      postingsSeen
      duplicatesRemoved
      sources { source postingsSeen openings }
      salary${salaryArgs} {
        mean median p25 p75 sampleSize confidence
        histogram(buckets: 10) { lowerBound upperBound count }
      }
      degreeRequirement {
        employerShare postingShare employersRequiring employersKnown postingsRequiring postingsKnown
        postingsByRequirement { requirement count } employersByRequirement { requirement count }
      }
    }
    trend(interval: MONTH${filter ? `, ${filter.slice(1, -1)}` : ''}) { period openingsAtEnd postings }
  }
}
`;
}

export function playgroundHref(slug: string, view?: QueryOptions): string {
  return `/graphql?query=${encodeURIComponent(playgroundQuery(slug, view))}`;
}

const paragraph = (text: string | null): string =>
  text === null || text === '' ? '' : `<p>${escapeHtml(htmlMoneyInProse(text))}</p>\n`;

function items(list: RolePageData['responsibilities']): string {
  if (list.length === 0) return '';
  const lis = list
    .map(
      (item) =>
        `<li value="${item.position}"><strong>${escapeHtml(item.title)}</strong>: ${escapeHtml(htmlMoneyInProse(item.text))}</li>`,
    )
    .join('\n');
  return `<ol class="items">\n${lis}\n</ol>\n`;
}

function outlierNote(role: RolePageData, view: QueryOptions | undefined): string {
  const { salary, withOutliers } = role.stats;
  if (view?.excludeOutliers === false) {
    return `<p class="outliers">All ${formatCount(withOutliers.count)} salaries are included. <a href="${escapeHtml(pageHref(role.slug, view, { outliers: undefined }))}">Leave outliers out</a></p>\n`;
  }
  if (salary.outliersExcluded === 0) return '';
  return (
    `<p class="outliers">${formatCount(salary.outliersExcluded)} outlier salar${salary.outliersExcluded === 1 ? 'y is' : 'ies are'} left out of these figures ` +
    `(modified z-score above 3.5; see the methodology). With ${salary.outliersExcluded === 1 ? 'it' : 'them'}: average ${formatMoney(withOutliers.mean)}, ` +
    `median ${formatMoney(withOutliers.median)}, range ${formatMoney(withOutliers.min)} to ${formatMoney(withOutliers.max)}. ` +
    `<a href="${escapeHtml(pageHref(role.slug, view, { outliers: 'include' }))}">Include all salaries</a></p>\n`
  );
}

function filters(role: RolePageData, view: QueryOptions | undefined): string {
  const active = view?.filter ?? {};
  const link = (label: string, name: string, value: string) => {
    const current = String(active[name] ?? '') === value;
    return current
      ? `<li><strong aria-current="true">${escapeHtml(label)}</strong></li>`
      : `<li><a href="${escapeHtml(pageHref(role.slug, view, { [name]: value }))}">${escapeHtml(label)}</a></li>`;
  };
  const any = (name: string) =>
    active[name] === undefined
      ? `<li><strong aria-current="true">Any</strong></li>`
      : `<li><a href="${escapeHtml(pageHref(role.slug, view, { [name]: undefined }))}">Any</a></li>`;
  const countries = [
    ...new Set([
      ...role.stats.byCountry.groups.map((g) => g.key[0]?.value).filter((v): v is string => Boolean(v)),
      ...(typeof active.country === 'string' ? [active.country.toUpperCase()] : []),
    ]),
  ];
  const sources = [
    ...new Set([...role.sources.map((s) => s.name), ...(typeof active.source === 'string' ? [active.source] : [])]),
  ];
  const groups = [
    ['Country', 'country', countries.map((c) => [c, c])],
    [
      'Remote',
      'remote',
      [
        ['Remote', 'true'],
        ['On site', 'false'],
      ],
    ],
    ['Seniority', 'seniority', SENIORITY_NAMES.map((s) => [s.charAt(0) + s.slice(1).toLowerCase(), s])],
    ['Source', 'source', sources.map((s) => [s, s])],
  ] as const;
  const rows = groups
    .filter(([, , values]) => values.length > 0)
    .map(
      ([label, name, values]) =>
        `<div><dt>${label}</dt><dd><ul>${any(name)}${values.map(([text, value]) => link(text, name, value)).join('')}</ul></dd></div>`,
    )
    .join('\n');
  return `<section aria-labelledby="filters">
<h2 id="filters">Filters</h2>
<dl class="filters">
${rows}
</dl>
</section>
`;
}

function groupTable(
  caption: string,
  heading: string,
  groups: PageGroup[],
  label: (value: string | null) => string,
): string {
  if (groups.length === 0) return '';
  const rows = groups
    .map(
      (g) =>
        `<tr><th scope="row">${escapeHtml(label(g.key[0]?.value ?? null))}</th><td class="num">${formatCount(g.openings)}</td><td class="num">${formatMoney(g.salary.median)}</td><td class="num">${formatCount(g.salary.count)}</td></tr>`,
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table class="group-table">
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">${heading}</th><th scope="col" class="num">Openings</th><th scope="col" class="num">Median salary</th><th scope="col" class="num">Salaries</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

function breakdowns(role: RolePageData): string {
  const seniority = groupTable('Salary by seniority', 'Seniority', role.stats.bySeniority.groups, (v) =>
    v === null ? 'Not stated' : v.charAt(0) + v.slice(1).toLowerCase(),
  );
  const { byCountry } = role.stats;
  const more =
    byCountry.totalGroups > byCountry.groups.length
      ? ` (top ${byCountry.groups.length} of ${byCountry.totalGroups})`
      : '';
  const countries = groupTable(
    `Top countries by openings${more}`,
    'Country',
    byCountry.groups,
    (v) => v ?? 'Not stated',
  );
  if (!seniority && !countries) return '';
  return `<section aria-labelledby="breakdowns">
<h2 id="breakdowns">By seniority and country</h2>
${seniority}
${countries}
</section>
`;
}

function sources(role: RolePageData): string {
  if (role.sources.length === 0) return '';
  const items = role.sources
    .map(
      (s) =>
        `<li><strong>${escapeHtml(s.name)}</strong>: ${formatCount(s.postings)} posting${s.postings === 1 ? '' : 's'}${s.lastImportedAt ? `, last imported <time datetime="${escapeHtml(s.lastImportedAt)}">${escapeHtml(s.lastImportedAt.slice(0, 10))}</time>` : ''}</li>`,
    )
    .join('\n');
  return `<section aria-labelledby="sources">
<h2 id="sources">Sources</h2>
<ul class="sources">
${items}
</ul>
</section>
`;
}

function overview(role: RolePageData): string {
  const { stats } = role;
  const degree = stats.degreeRequirement;
  return `<section aria-labelledby="overview">
<h2 id="overview">Overview</h2>
<dl class="figures">
<div class="figure-openings"><dt>Job openings</dt><dd>${formatCount(stats.openings)}<small>at ${formatCount(stats.employers)} employer${stats.employers === 1 ? '' : 's'}</small></dd></div>
<div class="figure-mean"><dt>Average salary</dt><dd>${formatMoney(stats.salary.mean)}<small>median ${formatMoney(stats.salary.median)}</small></dd></div>
<div class="figure-degree"><dt>Degree requirement</dt><dd>${formatShare(degree.employerShare)}<small>of employers require a degree (${formatCount(degree.employersRequiring)} of ${formatCount(degree.employersKnown)}): an employer counts when any of its postings asks for one</small></dd></div>
<div class="figure-degree-postings"><dt>Postings requiring a degree</dt><dd>${formatShare(degree.postingShare)}<small>of postings ask for a degree (${formatCount(degree.postingsRequiring)} of ${formatCount(degree.postingsKnown)} that say)</small></dd></div>
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
    .map(
      (b) =>
        `<tr><td>${formatMoney(b.lowerBound)} to ${formatMoney(b.upperBound)}</td><td class="num">${formatCount(b.count)}</td></tr>`,
    )
    .join('\n');
  return `<section aria-labelledby="distribution">
<h2 id="distribution">Salary distribution</h2>
<figure class="card" tabindex="0">
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
    .map(
      (p) =>
        `<tr><th scope="row">${escapeHtml(periodLabel(p.period, true))}</th><td class="num">${formatCount(p.openingsAtEnd)}</td><td class="num">${formatCount(p.postings)}</td></tr>`,
    )
    .join('\n');
  return `<section aria-labelledby="trend">
<h2 id="trend">${heading}</h2>
<figure class="card" tabindex="0">
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

/**
 * The degree requirement as the four labels, for employers (each by its strongest label) and for
 * postings (docs/methodology.md, "Degree requirement from the text"); nothing without postings.
 */
function degreeLabels(role: RolePageData): string {
  const degree = role.stats.degreeRequirement;
  if (role.stats.openings === 0) return '';
  const rows = KNOWN_REQUIREMENTS.map(
    (r) =>
      `<tr><th scope="row">${escapeHtml(REQUIREMENT_TEXT[r])}</th><td class="num">${formatCount(countOf(degree.employersByRequirement, r))}</td>` +
      `<td class="num">${formatCount(countOf(degree.postingsByRequirement, r))}</td></tr>`,
  ).join('\n');
  const unknownPostings = countOf(degree.postingsByRequirement, 'UNKNOWN');
  const unknownEmployers = countOf(degree.employersByRequirement, 'UNKNOWN');
  const unknown =
    unknownPostings === 0
      ? ''
      : `<p class="degree-unknown">${formatCount(unknownPostings)} posting${unknownPostings === 1 ? '' : 's'} (${formatCount(unknownEmployers)} employer${unknownEmployers === 1 ? '' : 's'} ` +
        `with no other) say nothing about a degree and are left out of the shares.</p>\n`;
  return `<section aria-labelledby="degree-labels">
<h2 id="degree-labels">Degree requirement</h2>
<table class="degree-table">
<caption>${escapeHtml(role.title)} employers and postings by degree requirement (an employer by the strongest of its postings)</caption>
<thead><tr><th scope="col">The ad or the employer</th><th scope="col" class="num">Employers</th><th scope="col" class="num">Postings</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${unknown}</section>
`;
}

/** Postings seen, duplicates removed and the source mix (docs/methodology.md, "Duplicates across sources"). */
function postingSources(role: RolePageData): string {
  const { stats } = role;
  const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;
  const summary =
    `<p class="dedupe">${plural(stats.postingsSeen, 'open posting', 'open postings')} seen, ` +
    `<strong class="duplicates-removed">${plural(stats.duplicatesRemoved, 'duplicate', 'duplicates')} removed</strong>: ` +
    `the same ad on several sources (same employer, title and location, posted within the window) counts once, ` +
    `which leaves ${plural(stats.openings, 'opening', 'openings')}.</p>\n`;
  if (stats.sources.length === 0) {
    return `<section aria-labelledby="posting-sources">\n<h2 id="posting-sources">Postings and sources</h2>\n${summary}</section>\n`;
  }
  const rows = stats.sources
    .map(
      (s) =>
        `<tr><th scope="row">${escapeHtml(s.source)}</th><td class="num">${formatCount(s.postingsSeen)}</td><td class="num">${formatCount(s.openings)}</td></tr>`,
    )
    .join('\n');
  return `<section aria-labelledby="posting-sources">
<h2 id="posting-sources">Postings and sources</h2>
${summary}<table class="sources-table">
<caption>Open ${escapeHtml(role.title)} postings per source</caption>
<thead><tr><th scope="col">Source</th><th scope="col" class="num">Postings seen</th><th scope="col" class="num">Openings first seen there</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
`;
}

/** The page body (inside the layout's <main>). */
export function rolePageBody(role: RolePageData, options: RolePageOptions): string {
  const title = escapeHtml(role.title);
  // Sections without content are left out: a role without prose shows no empty headings.
  const responsibilities = `${paragraph(role.responsibilitiesIntro)}${items(role.responsibilities)}`;
  const become = `${paragraph(role.careerIntro)}${paragraph(role.careerStepsIntro)}${items(role.careerSteps)}${paragraph(role.conclusion)}`;
  const summary = paragraph(role.summary);
  const parts = [
    `<h1>${title} Average Salaries and Statistics</h1>\n`,
    overview(role),
    outlierNote(role, options.view),
    filters(role, options.view),
    summary
      ? `<section aria-labelledby="average-salary">\n<h2 id="average-salary">Average Salary</h2>\n${summary}</section>\n`
      : '',
    distribution(role),
    degreeLabels(role),
    breakdowns(role),
    trend(role),
    postingSources(role),
    responsibilities
      ? `<section aria-labelledby="responsibilities">\n<h2 id="responsibilities">Responsibilities</h2>\n${responsibilities}</section>\n`
      : '',
    become
      ? `<section aria-labelledby="become">\n<h2 id="become">How to become a ${title}?</h2>\n${become}</section>\n`
      : '',
    sources(role),
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
        `<p><a class="playground" href="${escapeHtml(playgroundHref(role.slug, options.view))}">Open these figures in the GraphQL playground</a></p>\n</section>\n`,
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
