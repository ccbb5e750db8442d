import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { Broken, isoDateTime } from '../../domain/field-rules.ts';

function parse(value: unknown): Date {
  const parsed = typeof value === 'string' ? isoDateTime(value.trim()) : new Broken('isoDate', 'must be a string');
  if (parsed instanceof Broken) {
    throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}: ${parsed.message}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return parsed;
}

/** ISO 8601 instants, read with the importer's date rule (a date alone is midnight UTC). */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, as an ISO 8601 date-time string (a date alone means midnight UTC).',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return parse(value).toISOString();
    throw new GraphQLError(`DateTime cannot serialize ${JSON.stringify(value)}`);
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING)
      throw new GraphQLError('DateTime must be a string such as "2026-01-31T09:30:00Z"', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    return parse(ast.value);
  },
});
