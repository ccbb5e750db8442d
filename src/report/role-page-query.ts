import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.ts';
import { type RolePageQuery, type RolePageQueryVariables, RolePageDocument } from '../graphql/generated/operations.ts';
import { QueryFailedError, runQuery } from '../graphql/run-query.ts';

/**
 * The one GraphQL query behind every rendering of a role page (its typed document, RolePageDocument,
 * is generated from this text): the Markdown report, the HTML
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
        postingsSeen
        duplicatesRemoved
        sources { source postingsSeen openings }
        salary(excludeOutliers: $excludeOutliers) {
          currency count sampleSize confidence outliersExcluded mean median min max p25 p75
          histogram(buckets: $buckets) { lowerBound upperBound count }
        }
        withOutliers: salary { count mean median min max }
        degreeRequirement {
          employerShare postingShare employersRequiring employersKnown postingsRequiring postingsKnown
          postingsByRequirement { requirement count } employersByRequirement { requirement count }
        }
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

/** The page's data: generated from ROLE_PAGE_QUERY by GraphQL Code Generator (npm run generate). */
export type RolePageData = NonNullable<RolePageQuery['role']>;
export type PageGroup = RolePageData['stats']['bySeniority']['groups'][number];

/** What a page shows: which postings (the API's PostingFilter input) and whether outliers are left out of the headline figures. */
export interface RolePageOptions {
  filter?: Record<string, string | boolean>;
  excludeOutliers?: boolean;
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
  // The page's filter holds PostingFilter fields only (parseRolePageParams); the API checks the values.
  const filter = (options.filter ?? null) as RolePageQueryVariables['filter'];
  const variables = { slug, filter, excludeOutliers: options.excludeOutliers ?? false };
  try {
    return (await runQuery(apollo, createContext(), RolePageDocument, variables)).role;
  } catch (error) {
    const tooLong =
      error instanceof QueryFailedError &&
      error.errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT' && e.extensions.argumentName === 'interval');
    if (!tooLong) throw error;
    return (await runQuery(apollo, createContext(), RolePageDocument, { ...variables, trendInterval: 'YEAR' })).role;
  }
}
