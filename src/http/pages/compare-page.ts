/**
 * `/compare?roles=a,b,c`: roles side by side (the overview figures in one table) and their
 * salary distributions on one axis (a box plot per role: min, 25th percentile, median, 75th
 * percentile, max), from one `compare` query run in process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../../graphql/context.ts';
import { CompareDocument, type CompareQuery } from '../../graphql/generated/operations.ts';
import { QueryFailedError, runQuery } from '../../graphql/run-query.ts';
import { UNKNOWN_ROLE_RULE } from '../../domain/errors.ts';
import { sendCompressed, snapshotContexts, type ResponseCache } from '../cache.ts';
import { allClientInput, errorCodes } from '../error-status.ts';
import { renderErrorPage } from './error-page.ts';
import { escapeHtml, formatCount, formatMoney, formatMoneyShort, formatShare, renderLayout } from './layout.ts';

export const COMPARE_QUERY = /* GraphQL */ `
  query Compare($roles: [String!]!) {
    compare(roles: $roles) {
      role { slug title }
      stats { openings employers degreeRequirement { employerShare postingShare } }
      salary { count mean median p25 p75 min max }
    }
  }
`;

/** One compared role: generated from COMPARE_QUERY (npm run generate). */
export type ComparedRoleData = CompareQuery['compare'][number];

/** The slugs of `?roles=a,b,c` (also `?roles=a&roles=b`), trimmed, empty ones dropped. */
export function parseCompareRoles(params: URLSearchParams): string[] {
  return params
    .getAll('roles')
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function compareHref(slugs: readonly string[]): string {
  return `/compare?roles=${slugs.map(encodeURIComponent).join(',')}`;
}

const W = 720;
const ROW = 56;
const LEFT = 16;
const RIGHT = 16;
const TOP = 24;
const AXIS_H = 44;
const n = (v: number) => (Math.round(v * 10) / 10).toString();

/** Five round axis ticks covering lo..hi. */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo || Math.max(1, Math.abs(hi));
  const raw = span / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const start = Math.floor(lo / step) * step;
  const out: number[] = [];
  for (let t = start; t <= hi + step * 1e-9 || out.length < 2; t += step) out.push(t);
  return out;
}

/** The box plots of the roles with salaries, on one axis; empty when none has a salary. */
export function boxPlotSvg(roles: ComparedRoleData[]): string {
  const shown = roles.filter((r) => r.salary.count > 0 && r.salary.min !== null && r.salary.max !== null);
  if (shown.length === 0) return '';
  const axis = ticks(
    Math.min(...shown.map((r) => r.salary.min as number)),
    Math.max(...shown.map((r) => r.salary.max as number)),
  );
  const lo = axis[0] as number;
  const hi = axis.at(-1) as number;
  const x = (v: number) => LEFT + ((v - lo) / (hi - lo || 1)) * (W - LEFT - RIGHT);
  const height = TOP + shown.length * ROW + AXIS_H;
  // The outer labels are anchored inwards so that they stay inside the chart.
  const anchor = (i: number) => (i === 0 ? 'start' : i === axis.length - 1 ? 'end' : 'middle');
  const grid = axis
    .map(
      (t, i) =>
        `<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${TOP - 8}" y2="${height - AXIS_H}" stroke="#e2e7ee"/><text x="${n(x(t))}" y="${height - AXIS_H + 22}" text-anchor="${anchor(i)}">${escapeHtml(formatMoneyShort(t))}</text>`,
    )
    .join('');
  const rows = shown
    .map((r, i) => {
      const s = r.salary as { min: number; max: number; p25: number; p75: number; median: number };
      const y = TOP + i * ROW;
      const mid = y + 30;
      return (
        `<g class="box"><text x="${LEFT}" y="${y + 8}" font-weight="600">${escapeHtml(r.role.title)}</text>` +
        `<line x1="${n(x(s.min))}" x2="${n(x(s.max))}" y1="${mid}" y2="${mid}" stroke="#4a5565" stroke-width="2"/>` +
        `<line x1="${n(x(s.min))}" x2="${n(x(s.min))}" y1="${mid - 8}" y2="${mid + 8}" stroke="#4a5565" stroke-width="2"/>` +
        `<line x1="${n(x(s.max))}" x2="${n(x(s.max))}" y1="${mid - 8}" y2="${mid + 8}" stroke="#4a5565" stroke-width="2"/>` +
        `<rect x="${n(x(s.p25))}" y="${mid - 12}" width="${n(Math.max(1, x(s.p75) - x(s.p25)))}" height="24" fill="#bfdbfe" stroke="#2563eb" stroke-width="2"/>` +
        `<line x1="${n(x(s.median))}" x2="${n(x(s.median))}" y1="${mid - 12}" y2="${mid + 12}" stroke="#b91c1c" stroke-width="3"/></g>`
      );
    })
    .join('');
  const desc = shown
    .map(
      (r) =>
        `${r.role.title}: from ${formatMoney(r.salary.min)} to ${formatMoney(r.salary.max)}, middle half ${formatMoney(r.salary.p25)} to ${formatMoney(r.salary.p75)}, median ${formatMoney(r.salary.median)}`,
    )
    .join('; ');
  return `<svg class="chart compare-chart" viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="compare-title compare-desc" xmlns="http://www.w3.org/2000/svg">
<title id="compare-title">Annual salaries of ${escapeHtml(shown.map((r) => r.role.title).join(', '))} on one scale</title>
<desc id="compare-desc">${escapeHtml(desc)}.</desc>
${grid}${rows}
</svg>`;
}

export function renderComparePage(roles: ComparedRoleData[], playground: boolean): string {
  const head = roles
    .map(
      (r) =>
        `<th scope="col" class="num"><a href="/roles/${encodeURIComponent(r.role.slug)}">${escapeHtml(r.role.title)}</a></th>`,
    )
    .join('');
  const row = (label: string, cell: (r: ComparedRoleData) => string) =>
    `<tr><th scope="row">${label}</th>${roles.map((r) => `<td class="num">${cell(r)}</td>`).join('')}</tr>`;
  const table = `<div class="table-wrap" tabindex="0"><table class="compare-table">
<caption>Open postings and annual salaries in US dollars</caption>
<thead><tr><th scope="col">Figure</th>${head}</tr></thead>
<tbody>
${[
  row('Job openings', (r) => formatCount(r.stats.openings)),
  row('Employers', (r) => formatCount(r.stats.employers)),
  row('Average salary', (r) => formatMoney(r.salary.mean)),
  row('Median salary', (r) => formatMoney(r.salary.median)),
  row('25th to 75th percentile', (r) =>
    r.salary.p25 === null ? 'n/a' : `${formatMoney(r.salary.p25)} to ${formatMoney(r.salary.p75)}`,
  ),
  row('Range', (r) => (r.salary.min === null ? 'n/a' : `${formatMoney(r.salary.min)} to ${formatMoney(r.salary.max)}`)),
  row('Salaries', (r) => formatCount(r.salary.count)),
  row('Employers requiring a degree', (r) => formatShare(r.stats.degreeRequirement.employerShare)),
  row('Postings requiring a degree', (r) => formatShare(r.stats.degreeRequirement.postingShare)),
].join('\n')}
</tbody>
</table></div>`;
  const chart = boxPlotSvg(roles);
  const noSalary = roles.filter((r) => r.salary.count === 0).map((r) => escapeHtml(r.role.title));
  const body = `<h1>Compare ${escapeHtml(roles.map((r) => r.role.title).join(', '))}</h1>
<section aria-labelledby="overview"><h2 id="overview">Side by side</h2>
${table}
</section>
${
  chart
    ? `<section aria-labelledby="distributions"><h2 id="distributions">Salary distributions on one scale</h2>
<figure class="card" tabindex="0">${chart}
<ul class="legend" aria-hidden="true"><li><span class="swatch bar"></span>25th to 75th percentile</li><li><span class="swatch median"></span>Median</li><li>Whiskers: lowest and highest salary</li></ul>
<figcaption>Annual salaries in US dollars.${noSalary.length ? ` No salaries yet for ${noSalary.join(', ')}.` : ''}</figcaption></figure>
</section>
`
    : ''
}<form method="get" action="/compare"><label for="compare-roles">Roles to compare (slugs, comma-separated, at most 10)</label>
<input id="compare-roles" name="roles" value="${escapeHtml(roles.map((r) => r.role.slug).join(','))}" size="40"> <button type="submit">Compare</button></form>
`;
  return renderLayout({
    title: `Compare ${roles.map((r) => r.role.title).join(', ')} · Job-market statistics`,
    body,
    playground,
  });
}

export interface CompareDeps {
  apollo: ApolloServer<GraphQLContext>;
  createContext: () => GraphQLContext;
  cache: ResponseCache;
  playground: boolean;
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

export function createCompareRoute(deps: CompareDeps) {
  const error = (req: IncomingMessage, res: ServerResponse, status: number, heading: string, message: string) =>
    sendCompressed(
      req,
      res,
      status,
      Buffer.from(renderErrorPage({ status, heading, message, playground: deps.playground }), 'utf8'),
      {
        ...HEADERS,
        'cache-control': 'no-store',
      },
    );
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return error(req, res, 405, 'Method not allowed', `${req.method} is not supported here; use GET.`);
    const slugs = parseCompareRoles(url.searchParams);
    if (slugs.length === 0)
      return error(
        req,
        res,
        400,
        'Nothing to compare',
        'Name the roles to compare in the address, e.g. /compare?roles=backend-developer,data-engineer.',
      );
    const contexts = snapshotContexts(deps.createContext);
    let etag: string | undefined;
    let data: CompareQuery;
    try {
      etag = await deps.cache.etag(`GET ${url.pathname}${url.search}`, contexts.version);
      if (deps.cache.notModified(req, res, etag)) return;
      data = await runQuery(deps.apollo, contexts.next(), CompareDocument, { roles: slugs });
    } catch (e) {
      if (e instanceof QueryFailedError && allClientInput(errorCodes(e.errors.slice(0, 1)))) {
        const first = e.errors[0] as QueryFailedError['errors'][number];
        const message = first.message;
        const unknown = first.extensions?.rule === UNKNOWN_ROLE_RULE;
        return error(
          req,
          res,
          unknown ? 404 : 400,
          unknown ? 'Role not found' : 'Cannot compare these roles',
          message.replace(/^Argument "roles" has invalid value \[[^\]]*\]: /, 'The list '),
        );
      }
      throw e;
    } finally {
      await contexts.end();
    }
    sendCompressed(req, res, 200, Buffer.from(renderComparePage(data.compare, deps.playground), 'utf8'), {
      ...HEADERS,
      ...deps.cache.publicHeaders(etag),
    });
  };
}
