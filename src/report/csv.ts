import type { ApolloServer } from '@apollo/server';
import { stringify } from 'csv-stringify/sync';
import type { GraphQLContext } from '../graphql/context.ts';
import {
  type CsvFiguresFragment,
  type CsvGroupFiguresFragment,
  RoleCsvDocument,
  RolesCsvDocument,
  type RolesCsvQuery,
} from '../graphql/generated/operations.ts';
import { runQuery } from '../graphql/run-query.ts';

/**
 * CSV exports (docs/exports.md): RFC 4180 (comma, CRLF, double quotes doubled), UTF-8 without BOM,
 * a header row, figures as plain numbers (full precision, `.` as decimal point), an empty cell
 * for a missing figure. Text cells that a spreadsheet would run as a formula (starting with =, +,
 * -, @, tab or carriage return) are prefixed with a single quote.
 */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
): string {
  const safe = (cell: string | number | null | undefined) => {
    if (cell === null || cell === undefined) return '';
    if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
    return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  };
  return stringify([header.map(safe), ...rows.map((row) => row.map(safe))], { record_delimiter: '\r\n' });
}

// The figures of a row, as fragments of the two queries below (their typed documents, generated
// by npm run generate, are what runs). Salaries as the role pages show them by default: outliers
// left out (docs/methodology.md); a breakdown's groups take that argument on the breakdown itself.
export const CSV_FIGURES = /* GraphQL */ `
  fragment CsvFigures on RoleStats {
    openings
    employers
    salary(excludeOutliers: true) { currency count outliersExcluded mean median p25 p75 min max }
    degreeRequirement { employerShare postingShare }
  }
  fragment CsvGroupFigures on BreakdownGroup {
    openings
    employers
    salary { currency count outliersExcluded mean median p25 p75 min max }
    degreeRequirement { employerShare postingShare }
  }
`;

type Figures = CsvFiguresFragment | CsvGroupFiguresFragment;

/** The figure columns shared by both exports, in order. */
export const FIGURE_COLUMNS = [
  'openings',
  'employers',
  'salary_currency',
  'salary_count',
  'salary_outliers_excluded',
  'salary_mean',
  'salary_median',
  'salary_p25',
  'salary_p75',
  'salary_min',
  'salary_max',
  'employer_degree_share',
  'posting_degree_share',
] as const;

const figureCells = (f: Figures) => [
  f.openings,
  f.employers,
  f.salary.currency,
  f.salary.count,
  f.salary.outliersExcluded,
  f.salary.mean,
  f.salary.median,
  f.salary.p25,
  f.salary.p75,
  f.salary.min,
  f.salary.max,
  f.degreeRequirement.employerShare,
  f.degreeRequirement.postingShare,
];

export const ROLES_CSV_QUERY = /* GraphQL */ `
  query RolesCsv($after: String) {
    roles(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { slug title stats { ...CsvFigures } } }
    }
  }
`;

export const ROLES_CSV_COLUMNS = ['slug', 'title', ...FIGURE_COLUMNS] as const;

/** `/roles.csv`: one row per role, ordered by slug: the figures of the roles list. */
export async function rolesCsv(
  apollo: ApolloServer<GraphQLContext>,
  createContext: () => GraphQLContext,
): Promise<string> {
  const rows: (string | number | null)[][] = [];
  let after: string | null = null;
  for (;;) {
    const data: RolesCsvQuery = await runQuery(apollo, createContext(), RolesCsvDocument, { after });
    for (const { node } of data.roles.edges) rows.push([node.slug, node.title, ...figureCells(node.stats)]);
    if (!data.roles.pageInfo.hasNextPage || !data.roles.pageInfo.endCursor) break;
    after = data.roles.pageInfo.endCursor;
  }
  return toCsv(ROLES_CSV_COLUMNS, rows);
}

export const ROLE_CSV_QUERY = /* GraphQL */ `
  query RoleCsv($slug: String!) {
    role(slug: $slug) {
      slug
      title
      stats {
        ...CsvFigures
        byCountry: breakdown(by: [COUNTRY], first: 100, orderBy: { field: KEY }, excludeOutliers: true) { groups { key { value } ...CsvGroupFigures } }
        bySeniority: breakdown(by: [SENIORITY], first: 100, orderBy: { field: KEY }, excludeOutliers: true) { groups { key { value } ...CsvGroupFigures } }
      }
    }
  }
`;

export const ROLE_CSV_COLUMNS = ['slug', 'title', 'group_by', 'group', ...FIGURE_COLUMNS] as const;

/**
 * `/roles/<slug>.csv`: the page's figures (`group_by` = `all`), then one row per country
 * (`country`, ISO code) and per seniority (`seniority`); an empty `group` is the postings whose
 * value is unknown. Null when there is no such role.
 */
export async function roleCsv(
  apollo: ApolloServer<GraphQLContext>,
  createContext: () => GraphQLContext,
  slug: string,
): Promise<string | null> {
  const { role } = await runQuery(apollo, createContext(), RoleCsvDocument, { slug });
  if (!role) return null;
  const rows: (string | number | null)[][] = [[role.slug, role.title, 'all', '', ...figureCells(role.stats)]];
  for (const [name, breakdown] of [
    ['country', role.stats.byCountry],
    ['seniority', role.stats.bySeniority],
  ] as const) {
    for (const g of breakdown.groups)
      rows.push([role.slug, role.title, name, g.key[0]?.value ?? '', ...figureCells(g)]);
  }
  return toCsv(ROLE_CSV_COLUMNS, rows);
}
