import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
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
 * Cache-Control of GraphQL answers: `public, max-age=N` for a query without credentials that
 * resolved at least one field of the schema (introspection alone does not count) without errors;
 * `private, no-store` for the rest (mutations, an Authorization header, errors, N = 0). This is
 * the policy Apollo's cache control plugin computes for this schema, which has no hint that
 * changes it; kept by hand because that plugin wraps every resolver to find out, some 12% of an
 * uncached list's throughput (20 x 20 postings at 1M, 16 connections).
 */
function cachePolicy(maxAge: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, operation, document, response }) {
          const personal = operation?.operation === 'mutation' || Boolean(request.http?.headers.get('authorization'));
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const cacheable =
            !personal &&
            maxAge > 0 &&
            operation?.operation === 'query' &&
            document !== undefined &&
            result !== undefined &&
            !result.errors &&
            resolvedSchemaField(operation, document, result.data);
          response.http.headers.set('cache-control', cacheable ? `public, max-age=${maxAge}` : 'private, no-store');
        },
      };
    },
  };
}

/** Whether the answer holds a root field of the schema (not only __typename, __schema or __type): the keys of `data` are the fields resolved, skipped ones left out. */
function resolvedSchemaField(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  data: Record<string, unknown> | null | undefined,
): boolean {
  if (!data) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode): boolean =>
    set.selections.some((selection) => {
      if (selection.kind === Kind.FIELD)
        return !selection.name.value.startsWith('__') && (selection.alias ?? selection.name).value in data;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) return false;
      seen.add(fragment.name.value);
      return visit(fragment.selectionSet);
    });
  return visit(operation.selectionSet);
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
      // Apollo installs its cache control plugin unless told not to: cachePolicy replaces it.
      ApolloServerPluginCacheControlDisabled(),
      cachePolicy(options.cacheMaxAge ?? 60),
      queryLimitsPlugin<GraphQLContext>(options.limits ?? DEFAULT_QUERY_LIMITS),
      wellFormedTextPlugin<GraphQLContext>(),
      ...(options.plugins ?? []),
    ],
  });
}
