import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.ts';
import { QueryFailedError, runQuery } from '../graphql/run-query.ts';

/**
 * The one GraphQL query behind every rendering of a role page: the Markdown report, the HTML
 * page (/roles/:slug and `npm run report -- --format html`) and `--format json`.
 */
export const ROLE_PAGE_QUERY = /* GraphQL */ `
  query RolePage($slug: String!, $buckets: Int = 10, $trendInterval: TrendInterval = MONTH, $filter: PostingFilter, $excludeOutliers: Boolean = false) {
    role(slug: $slug) {
      slug
      title
      summary
      responsibilitiesIntro
      responsibilities { position title text }
      careerIntro
      careerStepsIntro
      careerSteps { position title text }
      conclusion
      stats(filter: $filter) {
        openings
        employers
        salary(excludeOutliers: $excludeOutliers) {
          currency count sampleSize confidence outliersExcluded mean median min max p25 p75
          histogram(buckets: $buckets) { lowerBound upperBound count }
        }
        withOutliers: salary { count mean median min max }
        degreeRequirement { employerShare postingShare employersRequiring employersKnown postingsRequiring postingsKnown }
        bySeniority: breakdown(by: [SENIORITY], first: 10, orderBy: { field: KEY }, excludeOutliers: $excludeOutliers) {
          groups { key { value } openings salary { count median mean } }
        }
        byCountry: breakdown(by: [COUNTRY], first: 5, excludeOutliers: $excludeOutliers) {
          totalGroups
          groups { key { value } openings salary { count median mean } }
        }
      }
      trend(interval: $trendInterval, filter: $filter) { period openingsAtEnd postings }
      sources { name postings lastImportedAt }
    }
  }
`;

interface PageItem {
  position: number;
  title: string;
  text: string;
}

export type Confidence = 'INSUFFICIENT' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface PageGroup {
  key: { value: string | null }[];
  openings: number;
  salary: { count: number; median: number | null; mean: number | null };
}

/** What a page shows: which postings (the API's PostingFilter input) and whether outliers are left out of the headline figures. */
export interface RolePageOptions {
  filter?: Record<string, string | boolean>;
  excludeOutliers?: boolean;
}

export interface RolePageData {
  slug: string;
  title: string;
  summary: string | null;
  responsibilitiesIntro: string | null;
  responsibilities: PageItem[];
  careerIntro: string | null;
  careerStepsIntro: string | null;
  careerSteps: PageItem[];
  conclusion: string | null;
  stats: {
    openings: number;
    employers: number;
    salary: {
      currency: string;
      count: number;
      sampleSize: number;
      confidence: Confidence;
      outliersExcluded: number;
      mean: number | null;
      median: number | null;
      min: number | null;
      max: number | null;
      p25: number | null;
      p75: number | null;
      histogram: { lowerBound: number; upperBound: number; count: number }[];
    };
    withOutliers: { count: number; mean: number | null; median: number | null; min: number | null; max: number | null };
    degreeRequirement: {
      employerShare: number | null;
      postingShare: number | null;
      employersRequiring: number;
      employersKnown: number;
      postingsRequiring: number;
      postingsKnown: number;
    };
    bySeniority: { groups: PageGroup[] };
    byCountry: { totalGroups: number; groups: PageGroup[] };
  };
  trend: { period: string; openingsAtEnd: number; postings: number }[];
  sources: { name: string; postings: number; lastImportedAt: string | null }[];
}

/**
 * Runs ROLE_PAGE_QUERY for a slug (null when there is no such role). The trend is monthly; when
 * the role's postings span more months than the API allows in one trend, it is yearly instead.
 */
export async function fetchRolePage(
  apollo: ApolloServer<GraphQLContext>,
  createContext: () => GraphQLContext,
  slug: string,
  options: RolePageOptions = {},
): Promise<RolePageData | null> {
  const variables = { slug, filter: options.filter ?? null, excludeOutliers: options.excludeOutliers ?? false };
  try {
    return (await runQuery<{ role: RolePageData | null }>(apollo, createContext(), ROLE_PAGE_QUERY, variables)).role;
  } catch (error) {
    const tooLong =
      error instanceof QueryFailedError &&
      error.errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT' && e.extensions.argumentName === 'interval');
    if (!tooLong) throw error;
    return (await runQuery<{ role: RolePageData | null }>(apollo, createContext(), ROLE_PAGE_QUERY, { ...variables, trendInterval: 'YEAR' })).role;
  }
}
