import { GraphQLError } from 'graphql';
import { type DomainError, InvalidArgumentError } from '../domain/errors.ts';

/**
 * The one mapping of a domain error (src/domain/errors.ts) to the GraphQL error a client gets:
 * its code, and for a bad argument the argument's name and the rule. Domain errors thrown below
 * the resolvers reach it through Apollo's formatError (src/graphql/limits/index.ts); resolvers
 * do not catch and rethrow them.
 */
export function toGraphQLError(error: DomainError): GraphQLError {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error instanceof InvalidArgumentError) {
    extensions.argumentName = error.argument;
    if (error.rule !== undefined) extensions.rule = error.rule;
  }
  return new GraphQLError(error.message, { extensions });
}

/** A BAD_USER_INPUT error that names the argument, the value and the rule (`reason`, in words; `rule`, its stable name). */
export function badUserInput(argument: string, value: unknown, reason: string, rule?: string): GraphQLError {
  return toGraphQLError(new InvalidArgumentError(argument, value, reason, rule));
}
