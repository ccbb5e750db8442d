import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.ts';
import { type RolePageQuery, RolePageDocument } from '../graphql/generated/operations.ts';
import { QueryFailedError, runQuery } from '../graphql/run-query.ts';

/**
 * The one GraphQL query behind every rendering of a role page (its typed document, RolePageDocument,
 * is generated from this text): the Markdown report, the HTML
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

export type { Confidence } from '../graphql/generated/operations.ts';

/** The page's data: generated from ROLE_PAGE_QUERY by GraphQL Code Generator (npm run generate). */
export type RolePageData = NonNullable<RolePageQuery['role']>;

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
    return (await runQuery(apollo, createContext(), RolePageDocument, { slug })).role;
  } catch (error) {
    const tooLong =
      error instanceof QueryFailedError &&
      error.errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT' && e.extensions.argumentName === 'interval');
    if (!tooLong) throw error;
    return (await runQuery(apollo, createContext(), RolePageDocument, { slug, trendInterval: 'YEAR' })).role;
  }
}
