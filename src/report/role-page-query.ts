import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.ts';
import { QueryFailedError, runQuery } from '../graphql/run-query.ts';

/**
 * The one GraphQL query behind every rendering of a role page: the Markdown report, the HTML
 * page (/roles/:slug and `npm run report -- --format html`) and `--format json`.
 */
export const ROLE_PAGE_QUERY = /* GraphQL */ `
  query RolePage($slug: String!, $buckets: Int = 10, $trendInterval: TrendInterval = MONTH) {
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
      stats {
        openings
        employers
        postingsSeen
        duplicatesRemoved
        sources { source postingsSeen openings }
        salary {
          currency count sampleSize confidence mean median min max p25 p75
          histogram(buckets: $buckets) { lowerBound upperBound count }
        }
        degreeRequirement { employerShare postingShare employersRequiring employersKnown }
      }
      trend(interval: $trendInterval) { period openingsAtEnd postings }
    }
  }
`;

interface PageItem {
  position: number;
  title: string;
  text: string;
}

export type Confidence = 'INSUFFICIENT' | 'LOW' | 'MEDIUM' | 'HIGH';

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
    postingsSeen: number;
    duplicatesRemoved: number;
    sources: { source: string; postingsSeen: number; openings: number }[];
    salary: {
      currency: string;
      count: number;
      sampleSize: number;
      confidence: Confidence;
      mean: number | null;
      median: number | null;
      min: number | null;
      max: number | null;
      p25: number | null;
      p75: number | null;
      histogram: { lowerBound: number; upperBound: number; count: number }[];
    };
    degreeRequirement: { employerShare: number | null; postingShare: number | null; employersRequiring: number; employersKnown: number };
  };
  trend: { period: string; openingsAtEnd: number; postings: number }[];
}

/**
 * Runs ROLE_PAGE_QUERY for a slug (null when there is no such role). The trend is monthly; when
 * the role's postings span more months than the API allows in one trend, it is yearly instead.
 */
export async function fetchRolePage(
  apollo: ApolloServer<GraphQLContext>,
  createContext: () => GraphQLContext,
  slug: string,
): Promise<RolePageData | null> {
  try {
    return (await runQuery<{ role: RolePageData | null }>(apollo, createContext(), ROLE_PAGE_QUERY, { slug })).role;
  } catch (error) {
    const tooLong =
      error instanceof QueryFailedError &&
      error.errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT' && e.extensions.argumentName === 'interval');
    if (!tooLong) throw error;
    return (await runQuery<{ role: RolePageData | null }>(apollo, createContext(), ROLE_PAGE_QUERY, { slug, trendInterval: 'YEAR' })).role;
  }
}
