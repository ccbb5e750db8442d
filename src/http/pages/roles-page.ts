/**
 * GET /roles — every role with its openings, mean and median salary and employer degree share,
 * in a table sortable by each column through plain links (?sort=...&dir=...), 100 roles a page.
 * Every column is ordered by the API's `roles(orderBy:)`; the next page's link carries the API's
 * keyset cursor (?after=...), so a page costs one query however deep it is.
 */
import type { RoleListQuery, RoleOrder } from '../../graphql/generated/operations.ts';
import { escapeHtml, formatCount, formatMoney, formatShare, renderLayout } from './layout.ts';

export const SORT_KEYS = ['title', 'openings', 'mean', 'median', 'degree'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

/** The API's order for each column. */
export const API_ORDER: Record<
  SortKey,
  'TITLE' | 'OPENINGS' | 'MEAN_SALARY' | 'MEDIAN_SALARY' | 'EMPLOYER_DEGREE_SHARE'
> = {
  title: 'TITLE',
  openings: 'OPENINGS',
  mean: 'MEAN_SALARY',
  median: 'MEDIAN_SALARY',
  degree: 'EMPLOYER_DEGREE_SHARE',
};

const DEFAULT_DIR: Record<SortKey, SortDir> = {
  title: 'asc',
  openings: 'desc',
  mean: 'desc',
  median: 'desc',
  degree: 'desc',
};

export const ROLE_LIST_QUERY = /* GraphQL */ `
  query RoleList($first: Int!, $after: String, $orderBy: RoleOrder) {
    roles(first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          slug
          title
          stats {
            openings
            salary { count mean median }
            degreeRequirement { employerShare employersKnown }
          }
        }
      }
    }
  }
`;

/** One row of the query's result (run as its typed document, RoleListDocument): generated from ROLE_LIST_QUERY (npm run generate). */
export type RoleRow = RoleListQuery['roles']['edges'][number]['node'];

export interface RoleSort {
  sort: SortKey;
  dir: SortDir;
}

export class BadSortError extends Error {}

/** Reads ?sort= and ?dir= (title ascending by default); anything else is a BadSortError. */
export function parseSort(params: URLSearchParams): RoleSort {
  const sort = params.get('sort') ?? 'title';
  if (!(SORT_KEYS as readonly string[]).includes(sort)) {
    throw new BadSortError(`sort must be one of ${SORT_KEYS.join(', ')}; got "${sort}"`);
  }
  const dir = params.get('dir') ?? DEFAULT_DIR[sort as SortKey];
  if (dir !== 'asc' && dir !== 'desc') throw new BadSortError(`dir must be asc or desc; got "${dir}"`);
  return { sort: sort as SortKey, dir };
}

/** The variables of ROLE_LIST_QUERY's orderBy for a sort. */
export function apiOrder(order: RoleSort): RoleOrder {
  return { field: API_ORDER[order.sort], direction: order.dir === 'asc' ? 'ASC' : 'DESC' };
}

const LABELS: Record<SortKey, string> = {
  title: 'Role',
  openings: 'Openings',
  mean: 'Mean salary',
  median: 'Median salary',
  degree: 'Employers requiring a degree',
};

const DIR_WORDS: Record<SortKey, Record<SortDir, string>> = {
  title: { asc: 'A to Z', desc: 'Z to A' },
  openings: { asc: 'fewest first', desc: 'most first' },
  mean: { asc: 'lowest first', desc: 'highest first' },
  median: { asc: 'lowest first', desc: 'highest first' },
  degree: { asc: 'lowest first', desc: 'highest first' },
};

/**
 * Where a page of the list is: page 1 has no ?page= (so the sort links stay as they were); a
 * later page has the cursor of the row before it (?after=) and its number, for the heading.
 */
export function pageHref(order: RoleSort, page: number, after?: string): string {
  return `/roles?sort=${order.sort}&dir=${order.dir}${page > 1 && after ? `&page=${page}&after=${encodeURIComponent(after)}` : ''}`;
}

export interface ListPosition {
  page: number;
  pageSize: number;
  totalCount: number;
  /** The cursor the next page starts after; null on the last page. */
  nextAfter: string | null;
}

/** Links to the first and the next page (none when everything fits on one page). */
function pageNav(order: RoleSort, at: ListPosition): string {
  const pages = Math.max(1, Math.ceil(at.totalCount / at.pageSize));
  if (pages === 1) return '';
  const links: string[] = [];
  if (at.page > 1) links.push(`<a href="${escapeHtml(pageHref(order, 1))}" rel="first">First page</a>`);
  if (at.nextAfter !== null && at.page < pages) {
    const next = Math.min(at.pageSize, at.totalCount - at.page * at.pageSize);
    links.push(
      `<a href="${escapeHtml(pageHref(order, at.page + 1, at.nextAfter))}" rel="next">Next ${formatCount(next)}</a>`,
    );
  }
  return `<nav class="pages" aria-label="Pages of the list"><p>Page ${formatCount(at.page)} of ${formatCount(pages)}: ${links.join(' · ')}</p></nav>
`;
}

export function sortHref(key: SortKey, current: RoleSort): string {
  const dir: SortDir = key === current.sort ? (current.dir === 'asc' ? 'desc' : 'asc') : DEFAULT_DIR[key];
  return `/roles?sort=${key}&dir=${dir}`;
}

function headerCell(key: SortKey, current: RoleSort): string {
  const active = key === current.sort;
  const numeric = key !== 'title';
  const next = sortHref(key, current);
  const nextDir = next.endsWith('asc') ? 'asc' : 'desc';
  const arrow = active ? (current.dir === 'asc' ? '▲' : '▼') : '';
  const ariaSort = active ? ` aria-sort="${current.dir === 'asc' ? 'ascending' : 'descending'}"` : '';
  return (
    `<th scope="col"${numeric ? ' class="num"' : ''}${ariaSort}>` +
    `<a href="${escapeHtml(next)}" data-sort="${key}">${LABELS[key]}<span class="visually-hidden">, sort ${DIR_WORDS[key][nextDir]}</span>` +
    `${arrow ? ` <span aria-hidden="true">${arrow}</span>` : ''}</a></th>`
  );
}

/** The whole HTML document of the list of roles. */
export function renderRolesPage(
  rows: RoleRow[],
  order: RoleSort,
  options: { playground: boolean } & Partial<ListPosition>,
): string {
  const at: ListPosition = {
    page: options.page ?? 1,
    pageSize: options.pageSize ?? Math.max(1, rows.length),
    totalCount: options.totalCount ?? rows.length,
    nextAfter: options.nextAfter ?? null,
  };
  const first = (at.page - 1) * at.pageSize + 1;
  const shown =
    at.totalCount > rows.length ? ` Showing ${formatCount(first)}–${formatCount(first + rows.length - 1)}.` : '';
  const body =
    at.totalCount === 0
      ? `<h1>Roles</h1>\n<p>No roles yet. Import postings with <code>npm run import -- postings FILE</code>.</p>\n`
      : `<h1>Roles</h1>
<p class="lead">${formatCount(at.totalCount)} role${at.totalCount === 1 ? '' : 's'} with live figures from their open postings. Select a column heading to sort by it.${shown}</p>
<div class="table-wrap">
<table class="roles">
<caption>Roles, sorted by ${LABELS[order.sort].toLowerCase()} (${DIR_WORDS[order.sort][order.dir]})</caption>
<thead><tr>${SORT_KEYS.map((k) => headerCell(k, order)).join('')}</tr></thead>
<tbody>
${rows
  .map(
    (r) =>
      `<tr data-slug="${escapeHtml(r.slug)}"><th scope="row"><a href="/roles/${encodeURIComponent(r.slug)}">${escapeHtml(r.title)}</a></th>` +
      `<td class="num">${formatCount(r.stats.openings)}</td>` +
      `<td class="num">${formatMoney(r.stats.salary.mean)}</td>` +
      `<td class="num">${formatMoney(r.stats.salary.median)}</td>` +
      `<td class="num">${formatShare(r.stats.degreeRequirement.employerShare)}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
</div>
${pageNav(order, at)}<p>Salaries are annual, in US dollars; “n/a” means no figure yet.</p>
`;
  return renderLayout({
    title: 'Roles · Job-market statistics',
    description: 'Job openings, salaries and degree requirements by role.',
    body,
    playground: options.playground,
  });
}
