import type { ApolloServer } from '@apollo/server';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLContext } from './context.ts';

export class QueryFailedError extends Error {
  constructor(readonly errors: readonly { message: string; extensions?: Record<string, unknown> }[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/**
 * Runs an operation in-process through the same schema, resolvers and loaders as HTTP clients.
 * Given a typed document (src/graphql/generated/operations.ts), result and variables are typed by it.
 */
export async function runQuery<T, V extends Record<string, unknown> = Record<string, unknown>>(
  apollo: ApolloServer<GraphQLContext>,
  contextValue: GraphQLContext,
  query: string | TypedDocumentNode<T, V>,
  variables: V,
): Promise<T> {
  const response = await apollo.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('incremental delivery is not used here');
  // A read replica failed under the operation: all of it again on the primary (one snapshot).
  if (contextValue.reads.replicaLost && !contextValue.request.primaryOnly)
    return runQuery(apollo, contextValue.onPrimary(), query, variables);
  const { data, errors } = response.body.singleResult;
  if (errors?.length) throw new QueryFailedError(errors);
  return data as T;
}
