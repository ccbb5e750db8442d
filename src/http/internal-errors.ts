import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type pino from 'pino';

type Log = Pick<pino.Logger, 'error'>;

/**
 * Logs every error that reaches a client as INTERNAL_SERVER_ERROR once, with the request's log
 * (and so its request id), the operation and the original error with its stack; client errors
 * (bad input, limits, authentication) and an unreachable database are not logged as failures.
 */
export function internalErrorLogPlugin(): { plugin: ApolloServerPlugin<object>; track<T extends object>(context: T, log: Log): T } {
  const logs = new WeakMap<object, Log>();
  const plugin: ApolloServerPlugin<object> = {
    async requestDidStart() {
      let raw: readonly GraphQLError[] = [];
      return {
        async didEncounterErrors({ errors }) {
          raw = [...raw, ...errors];
        },
        async willSendResponse({ contextValue, response, operationName }) {
          const log = logs.get(contextValue);
          if (!log || response.body.kind !== 'single') return;
          const formatted = response.body.singleResult.errors ?? [];
          formatted.forEach((error, index) => {
            if (error.extensions?.code !== 'INTERNAL_SERVER_ERROR') return;
            const original = raw[index];
            const cause = original?.originalError ?? original ?? error;
            log.error({ err: cause, operationName: operationName ?? undefined, path: error.path }, 'internal server error');
          });
        },
      };
    },
  };
  return {
    plugin,
    track(context, log) {
      logs.set(context, log);
      return context;
    },
  };
}
