import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { Lexer, Source, TokenKind } from 'graphql';
import { DomainError } from '../../domain/errors.ts';
import { toGraphQLError } from '../errors.ts';
import { LimitCode, limitError, plainError, type PlainError } from './errors.ts';
import { IntrospectionDisabledError } from './introspection.ts';
import { measureOperation } from './shape.ts';
import { classifyDatabaseError, type DatabaseTrouble } from './unavailable.ts';

export { LimitCode } from './errors.ts';
export { classifyDatabaseError, isDatabaseUnavailable } from './unavailable.ts';
export { measureOperation } from './shape.ts';
export { noIntrospectionRule } from './introspection.ts';

/** The bounds every GraphQL request must stay within (docs/security.md). */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
  maxBatch: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxCost: 50_000,
  maxTokens: 5000,
  maxBatch: 10,
};

/** Seconds a client should wait before retrying while the database is unavailable. */
export const UNAVAILABLE_RETRY_AFTER = 5;

/** Seconds to wait before retrying a query that timed out or found the service overloaded. */
export const BUSY_RETRY_AFTER = 2;

/** The error each kind of database trouble becomes (docs/security.md). */
const TROUBLE: Record<DatabaseTrouble, { code: string; message: string; retryAfter: number }> = {
  UNAVAILABLE: {
    code: LimitCode.UNAVAILABLE,
    message: 'The database is unavailable; retry in a few seconds.',
    retryAfter: UNAVAILABLE_RETRY_AFTER,
  },
  TIMEOUT: {
    code: LimitCode.TIMEOUT,
    message: 'A database statement took longer than the statement timeout; retry later or ask for less.',
    retryAfter: BUSY_RETRY_AFTER,
  },
  OVERLOADED: {
    code: LimitCode.OVERLOADED,
    message: 'The service is overloaded: no database connection became free in time; retry in a few seconds.',
    retryAfter: BUSY_RETRY_AFTER,
  },
  ABORTED: { code: LimitCode.ABORTED, message: 'The request was aborted by its client.', retryAfter: BUSY_RETRY_AFTER },
};

/** Token limit errors seen while parsing, with their numbers, so that formatError can label them. */
const tokenErrors = new WeakMap<object, { limit: number; value: number }>();

/**
 * Counts a document's lexical tokens the way graphql's parser does (comments excluded), those
 * that start before `before` only when it is given.
 */
export function countTokens(text: string, before = Number.POSITIVE_INFINITY): number {
  const lexer = new Lexer(new Source(text));
  let count = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF && token.start < before; token = lexer.advance())
      count += 1;
  } catch {
    // A lexical error ends the count; the parser reports the error itself.
  }
  return count;
}

/**
 * Whether a parse error is the parser's token limit: the parser stops at the first token past the
 * limit, so exactly `maxTokens` tokens precede the error (a syntax error any earlier has fewer,
 * and none can come later). Told from the error's position, not its wording.
 */
function isTokenLimitError(error: Error, source: string, maxTokens: number): boolean {
  const position = (error as { positions?: readonly number[] }).positions?.[0];
  return position !== undefined && countTokens(source, position) === maxTokens && countTokens(source) > maxTokens;
}

/**
 * Depth, alias and cost limits, checked once the operation is known (after validation, with
 * the request's variables, so `first: $n` is costed with its value), the token limit's error
 * labelled, and an operation without a connection failed as a whole. The HTTP status of each
 * code (503 and Retry-After for the database's troubles) is src/http/error-status.ts's.
 */
export function queryLimitsPlugin<TContext extends object>(limits: QueryLimits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async parsingDidStart(requestContext) {
          return async (error?: Error) => {
            const source = requestContext.source ?? '';
            if (!error || !isTokenLimitError(error, source, limits.maxTokens)) return;
            const value = countTokens(source);
            // Apollo copies this message into the GRAPHQL_PARSE_FAILED error it sends; formatError relabels it.
            error.message = `Document has ${value} tokens, more than the limit of ${limits.maxTokens}.`;
            tokenErrors.set(error, { limit: limits.maxTokens, value });
          };
        },
        async didResolveOperation(requestContext) {
          const { operation, document, schema } = requestContext;
          if (!operation) return;
          const raw = requestContext.request.variables;
          const variables =
            raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
          const shape = measureOperation(schema, document, operation, variables);
          if (shape.depth > limits.maxDepth) {
            throw limitError(
              LimitCode.DEPTH,
              `Query depth ${shape.depth} exceeds the limit of ${limits.maxDepth}.`,
              limits.maxDepth,
              shape.depth,
            );
          }
          if (shape.aliases > limits.maxAliases) {
            throw limitError(
              LimitCode.ALIASES,
              `Query uses ${shape.aliases} aliases, more than the limit of ${limits.maxAliases}.`,
              limits.maxAliases,
              shape.aliases,
            );
          }
          if (shape.cost > limits.maxCost) {
            throw limitError(
              LimitCode.COST,
              `Query cost ${shape.cost} exceeds the limit of ${limits.maxCost} (each field costs the product of the \`first\` of the lists around it; see docs/security.md).`,
              limits.maxCost,
              shape.cost,
            );
          }
        },
        async willSendResponse(requestContext) {
          const { body } = requestContext.response;
          if (body.kind !== 'single') return;
          const errors = body.singleResult.errors ?? [];
          const overloaded = errors.find((e) => e.extensions?.code === LimitCode.OVERLOADED);
          if (overloaded) {
            // No connection for the operation means none of it ran: it fails as a whole.
            body.singleResult = { errors: [{ message: overloaded.message, extensions: overloaded.extensions }] };
          }
        },
      };
    },
  };
}

const LIMIT_CODES = new Set<string>(Object.values(LimitCode));

function originalOf(error: unknown): unknown {
  return (error as { originalError?: unknown } | null)?.originalError;
}

/**
 * Apollo's formatError: a domain error thrown below the resolvers becomes its GraphQL error
 * (toGraphQLError, the one mapping), database outages become SERVICE_UNAVAILABLE (a statement that ran out
 * of time TIMEOUT, a pool wait that ran out OVERLOADED), the token limit and
 * disabled introspection get their own codes, and in production an internal error says no
 * more than "Internal server error" (no SQL, no connection details; Apollo already leaves out
 * stack traces and field suggestions there).
 */
export function createFormatError(options: {
  production: boolean;
}): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const domain = originalOf(error);
    if (domain instanceof DomainError) {
      const mapped = toGraphQLError(domain);
      return {
        message: mapped.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: mapped.extensions,
      };
    }
    const code = formatted.extensions?.code;
    const trouble =
      code === 'INTERNAL_SERVER_ERROR' || code === undefined ? classifyDatabaseError(originalOf(error) ?? error) : null;
    if (trouble) {
      const { code: troubleCode, message, retryAfter } = TROUBLE[trouble];
      return {
        message,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: troubleCode, retryAfter },
      };
    }
    if (
      typeof code === 'string' &&
      LIMIT_CODES.has(code) &&
      formatted.extensions &&
      'stacktrace' in formatted.extensions
    ) {
      // A rejected query is the client's doing: the server's stack says nothing useful.
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
      return { ...formatted, extensions };
    }
    const tokens =
      tokenErrors.get(originalOf(error) as object) ?? tokenErrors.get(originalOf(originalOf(error)) as object);
    if (tokens) {
      return {
        message: formatted.message,
        extensions: { code: LimitCode.TOKENS, limit: tokens.limit, value: tokens.value },
      };
    }
    if (originalOf(error) instanceof IntrospectionDisabledError) {
      return {
        message: formatted.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: { code: LimitCode.INTROSPECTION },
      };
    }
    if (options.production && code === 'INTERNAL_SERVER_ERROR') {
      return {
        message: 'Internal server error',
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code },
      };
    }
    return formatted;
  };
}

/** A batch (JSON array body) with more operations than allowed, or null. */
export function checkBatch(body: unknown, maxBatch: number): PlainError | null {
  if (!Array.isArray(body) || body.length <= maxBatch) return null;
  return plainError(LimitCode.BATCH, `Batch of ${body.length} operations exceeds the limit of ${maxBatch}.`, {
    limit: maxBatch,
    value: body.length,
  });
}
