import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLContext } from './context.ts';
import { figureWindowOf } from '../stats/figure-cache.ts';
import { DocumentCache } from './limits/document-cache.ts';
import {
  createFormatError,
  DEFAULT_QUERY_LIMITS,
  noIntrospectionRule,
  queryLimitsPlugin,
  type QueryLimits,
} from './limits/index.ts';
import { wellFormedTextPlugin } from './limits/well-formed-text.ts';
import { ManifestCache, type PersistedQueriesMode } from './persisted-queries.ts';
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
  /** max-age of public answers in seconds (CACHE_MAX_AGE_SECONDS); 60 unless given. */
  cacheMaxAge?: number;
  /** Persisted queries (PERSISTED_QUERIES); the manifest is required for `only`. */
  persistedQueries?: { mode: PersistedQueriesMode; manifest?: Map<string, string> };
  /** Where APQ registrations live (shared by every instance through Redis); Apollo's in-memory store when left out. */
  apqCache?: KeyValueCache<string>;
}

/**
 * Cache-Control of GraphQL answers: Apollo's cache control plugin computes the policy from the
 * schema's @cacheControl hints (every field public for `maxAge` by default); this one makes an
 * answer private and uncacheable when it ran a mutation or carried credentials, and writes the
 * public policy as `public, max-age=N`.
 */
function privateWhenPersonal(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, operation, response }) {
          const personal = operation?.operation === 'mutation' || Boolean(request.http?.headers.get('authorization'));
          const current = response.http.headers.get('cache-control') ?? 'no-store';
          const publicPolicy = /^max-age=(\d+), public$/.exec(current);
          if (personal || !publicPolicy || publicPolicy[1] === '0')
            response.http.headers.set('cache-control', 'private, no-store');
          else response.http.headers.set('cache-control', `public, max-age=${publicPolicy[1]}`);
        },
      };
    },
  };
}

/**
 * Ends each operation's read session (commit, client back to the pool) once its response is
 * ready, whether it succeeded or not, so that one snapshot covers the whole operation.
 */
export function readSessionPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          // Writes and what a mutation reads back go to the primary; only queries use replicas.
          if (operation?.operation !== 'query') contextValue.reads.pinPrimary();
        },
        async willSendResponse({ contextValue, operation, operationName }) {
          const reads = contextValue.reads;
          // A query read on exactly one snapshot: its answer holds for that snapshot's window (src/http/operation-cache.ts).
          if (operation?.operation === 'query' && reads.opened.length === 1 && !reads.replicaLost) {
            contextValue.request.answeredOn = figureWindowOf(reads.opened[0] ?? [], contextValue.asOf);
            contextValue.request.operationName = operationName ?? undefined;
          }
          await reads.end();
          if (contextValue.reads.replicaLost) contextValue.request.replicaLost = true;
          if (operation?.operation === 'mutation') await contextValue.rememberWrite().catch(() => undefined);
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
    // Introspection off is our own validation rule, whose error formatError knows by its class.
    introspection: true,
    ...(options.introspection === false ? { validationRules: [noIntrospectionRule] } : {}),
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
    persistedQueries:
      options.persistedQueries?.mode === 'off'
        ? false
        : options.persistedQueries?.mode === 'only' && options.persistedQueries.manifest
          ? { cache: new ManifestCache(options.persistedQueries.manifest), ttl: null }
          : { ttl: null, ...(options.apqCache ? { cache: options.apqCache } : {}) },
    plugins: [
      options.landingPage ?? ApolloServerPluginLandingPageDisabled(),
      readSessionPlugin(),
      ApolloServerPluginCacheControl({ defaultMaxAge: options.cacheMaxAge ?? 60 }),
      privateWhenPersonal(),
      queryLimitsPlugin<GraphQLContext>(options.limits ?? DEFAULT_QUERY_LIMITS),
      wellFormedTextPlugin<GraphQLContext>(),
      ...(options.plugins ?? []),
    ],
  });
}
