import { GraphQLError } from 'graphql';

/**
 * Stable `extensions.code` values of every rejection made by the hardening layer. Clients may
 * branch on them; the messages name the limit and the value but may change wording.
 */
export const LimitCode = {
  DEPTH: 'DEPTH_LIMIT_EXCEEDED',
  ALIASES: 'ALIAS_LIMIT_EXCEEDED',
  COST: 'COST_LIMIT_EXCEEDED',
  TOKENS: 'TOKEN_LIMIT_EXCEEDED',
  BATCH: 'BATCH_LIMIT_EXCEEDED',
  PAYLOAD: 'PAYLOAD_TOO_LARGE',
  RATE: 'RATE_LIMITED',
  INTROSPECTION: 'INTROSPECTION_DISABLED',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  OVERLOADED: 'OVERLOADED',
  ABORTED: 'REQUEST_ABORTED',
  CORS: 'CORS_ORIGIN_NOT_ALLOWED',
} as const;

export type LimitCodeValue = (typeof LimitCode)[keyof typeof LimitCode];

/** The JSON shape of one error, for responses written outside Apollo (413, 429, batches). */
export interface PlainError {
  message: string;
  extensions: { code: string; [key: string]: unknown };
}

export function plainError(code: LimitCodeValue, message: string, extra: Record<string, unknown> = {}): PlainError {
  return { message, extensions: { code, ...extra } };
}

/**
 * A GraphQL error for a limit: `extensions.limit` and `extensions.value` carry the numbers, and
 * `extensions.http` (which Apollo removes from the response) sets the HTTP status.
 */
export function limitError(
  code: LimitCodeValue,
  message: string,
  limit: number,
  value: number,
  status = 400,
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, limit, value, http: { status } } });
}
