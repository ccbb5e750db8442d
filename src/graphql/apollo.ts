import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { loadTypeDefs } from './schema.ts';

export interface ApolloOptions {
  production: boolean;
}

/**
 * The GraphQL server. Apollo's own landing page is off: it loads Apollo Sandbox from a CDN,
 * so src/http serves a self-contained playground instead.
 */
export function createApolloServer(options: ApolloOptions): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    typeDefs: loadTypeDefs(),
    resolvers,
    introspection: true,
    includeStacktraceInErrorResponses: !options.production,
    hideSchemaDetailsFromClientErrors: options.production,
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
}
