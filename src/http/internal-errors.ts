import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type pino from 'pino';

/**
 * Logs every error that reaches a client as INTERNAL_SERVER_ERROR once, with the request id
 * (from the X-Request-Id header that src/http/server.ts sets on each request), the operation
 * and the original error with its stack. Client errors (bad input, limits, authentication) and
 * an unreachable database are not logged as failures.
 */
export function internalErrorLogPlugin(logger: Pick<pino.Logger, 'error'>): ApolloServerPlugin<object> {
  return {
    async requestDidStart() {
      let raw: readonly GraphQLError[] = [];
      return {
        async didEncounterErrors({ errors }) {
          raw = [...raw, ...errors];
        },
        async willSendResponse({ request, response, operationName }) {
          // In-process operations (the pages' runQuery) have no HTTP request: their caller logs a failure once.
          if (response.body.kind !== 'single' || !request.http) return;
          const formatted = response.body.singleResult.errors ?? [];
          const reqId = request.http?.headers.get('x-request-id');
          formatted.forEach((error, index) => {
            if (error.extensions?.code !== 'INTERNAL_SERVER_ERROR') return;
            // Apollo formats the errors in the order it met them.
            const original = raw[index];
            const cause = original?.originalError ?? original ?? error;
            logger.error(
              { reqId, err: cause, operationName: operationName ?? undefined, path: error.path },
              'internal server error',
            );
          });
        },
      };
    },
  };
}
