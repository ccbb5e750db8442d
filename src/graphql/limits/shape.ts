import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** Largest page a connection serves; a bigger `first` is costed at this size (the resolver rejects it anyway). */
export const COST_MAX_PAGE = 100;

/** Depth, aliases and cost of one operation, with its fragments expanded. */
export interface OperationShape {
  /** Deepest chain of nested fields (root fields are depth 1); introspection fields are not counted. */
  depth: number;
  /** Aliased fields, each fragment counted as often as it is spread. */
  aliases: number;
  /** See docs/security.md: every field costs the product of the `first` of the lists around it. */
  cost: number;
}

interface Totals {
  depth: number;
  aliases: number;
  cost: number;
}

const ZERO: Totals = { depth: 0, aliases: 0, cost: 0 };

function fieldsOf(type: GraphQLNamedType | undefined): Record<string, GraphQLField<unknown, unknown>> | undefined {
  return type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields() : undefined;
}

/**
 * Measures an operation without executing it. Every fragment is measured once and its totals
 * reused wherever it is spread (cost and alias counts are linear in how often a fragment is
 * used), so a "fragment bomb" that would expand to billions of fields is measured in time
 * proportional to the document's length.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentTotals = new Map<string, Totals>();
  const inProgress = new Set<string>();

  function pageSize(field: GraphQLField<unknown, unknown> | undefined, node: FieldNode): number {
    const argument = field?.args.find((arg) => arg.name === 'first');
    if (!argument) return 1;
    let value: unknown = argument.defaultValue;
    const given = node.arguments?.find((arg) => arg.name.value === 'first');
    if (given) {
      if (given.value.kind === Kind.VARIABLE) {
        const name = given.value.name.value;
        value = name in variables ? variables[name] : defaultOfVariable(name);
      } else {
        value = valueFromAST(given.value, argument.type);
      }
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) return 1;
    return Math.max(1, Math.min(COST_MAX_PAGE, Math.trunc(value)));
  }

  function defaultOfVariable(name: string): unknown {
    const definition = operation.variableDefinitions?.find((v) => v.variable.name.value === name);
    if (!definition?.defaultValue) return undefined;
    return definition.defaultValue.kind === Kind.INT ? Number(definition.defaultValue.value) : undefined;
  }

  function measureFragment(name: string): Totals {
    const cached = fragmentTotals.get(name);
    if (cached) return cached;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(name)) return ZERO; // validation rejects unknown and cyclic fragments
    inProgress.add(name);
    const totals = measureSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
    inProgress.delete(name);
    fragmentTotals.set(name, totals);
    return totals;
  }

  function measureSet(set: SelectionSetNode, type: GraphQLNamedType | undefined): Totals {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    for (const selection of set.selections) {
      let inner: Totals;
      if (selection.kind === Kind.FIELD) {
        // Introspection (__schema, __type, __typename) is cheap and bounded by the token limit;
        // GraphiQL's own introspection query nests deeper than any data query needs to.
        if (selection.name.value.startsWith('__')) continue;
        const field = fieldsOf(type)?.[selection.name.value];
        const children = selection.selectionSet
          ? measureSet(selection.selectionSet, field ? getNamedType(field.type) : undefined)
          : ZERO;
        inner = {
          depth: 1 + children.depth,
          aliases: (selection.alias ? 1 : 0) + children.aliases,
          cost: 1 + pageSize(field, selection) * children.cost,
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const narrowed = selection.typeCondition
          ? (schema.getType(selection.typeCondition.name.value) ?? undefined)
          : type;
        inner = measureSet(selection.selectionSet, narrowed);
      } else {
        inner = measureFragment(selection.name.value);
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
      cost += inner.cost;
    }
    return { depth, aliases, cost };
  }

  const rootType =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  return measureSet(operation.selectionSet, rootType ?? undefined);
}
