import { type ASTVisitor, GraphQLError, type ValidationContext } from 'graphql';

/** The error of an introspection query while GRAPHQL_INTROSPECTION=false; formatError gives it its code. */
export class IntrospectionDisabledError extends GraphQLError {}

const MESSAGE =
  'Introspection is disabled on this server (GRAPHQL_INTROSPECTION=false): the query asked for __schema or __type.';

/**
 * The validation rule that refuses __schema and __type, in place of Apollo's own (which only its
 * message would tell apart from other validation errors): the error is of a class of ours.
 */
export function noIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type')
        context.reportError(new IntrospectionDisabledError(MESSAGE, { nodes: node }));
    },
  };
}
