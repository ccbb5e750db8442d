import { GraphQLError } from 'graphql';

/** A BAD_USER_INPUT error that names the argument, the value and the rule. */
export function badUserInput(argument: string, value: unknown, rule: string): GraphQLError {
  return new GraphQLError(`Argument "${argument}" has invalid value ${JSON.stringify(value)}: ${rule}.`, {
    extensions: { code: 'BAD_USER_INPUT', argumentName: argument },
  });
}
