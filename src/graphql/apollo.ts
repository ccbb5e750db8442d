import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLContext } from './context.ts';
import { DocumentCache } from './limits/document-cache.ts';
import { createFormatError, DEFAULT_QUERY_LIMITS, queryLimitsPlugin, type QueryLimits } from './limits/index.ts';
import { wellFormedTextPlugin } from './limits/well-formed-text.ts';
import { resolvers } from './resolvers/index.ts';
import { loadTypeDefs } from './schema.ts';

export interface ApolloOptions {
  production: boolean;
  /** Query limits (docs/security.md); defaults to DEFAULT_QUERY_LIMITS. */
  limits?: QueryLimits;
  /** Introspection (the playground needs it); on unless GRAPHQL_INTROSPECTION=false. */
  introspection?: boolean;
  /** The landing page plugin for browsers on GET /graphql (src/http/playground.ts); none when left out. */
  landingPage?: ApolloServerPlugin;
  /** Extra plugins, such as the metrics recorder of src/http/metrics.ts. */
  plugins?: ApolloServerPlugin<GraphQLContext>[];
}

/**
 * Ends each operation's read session (commit, client back to the pool) once its response is
 * ready, whether it succeeded or not, so that one snapshot covers the whole operation.
 */
export function readSessionPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          await contextValue.reads.end();
        },
      };
    },
  };
}

/** The GraphQL server. */
export function createApolloServer(options: ApolloOptions): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    typeDefs: loadTypeDefs(),
    resolvers,
    introspection: options.introspection ?? true,
    includeStacktraceInErrorResponses: !options.production,
    hideSchemaDetailsFromClientErrors: options.production,
    parseOptions: { maxTokens: (options.limits ?? DEFAULT_QUERY_LIMITS).maxTokens },
    // Batches are allowed; src/http/server.ts refuses those larger than limits.maxBatch.
    allowBatchedHttpRequests: true,
    // src/main.ts drains requests on SIGTERM and stops Apollo last; Apollo's own signal handler
    // would stop it at once and fail the requests still in flight.
    stopOnTerminationSignals: false,
    // Parsed documents are cached, but only small ones and not too many (see document-cache.ts).
    documentStore: new DocumentCache(),
    formatError: createFormatError({ production: options.production }),
    plugins: [
      options.landingPage ?? ApolloServerPluginLandingPageDisabled(),
      readSessionPlugin(),
      queryLimitsPlugin<GraphQLContext>(options.limits ?? DEFAULT_QUERY_LIMITS),
      wellFormedTextPlugin<GraphQLContext>(),
      ...(options.plugins ?? []),
    ],
  });
}
