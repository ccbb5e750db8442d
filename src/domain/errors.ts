/**
 * The service's own errors: typed values with a stable `code` (the `extensions.code` clients
 * see). Layers below the API throw them; src/graphql/errors.ts turns every one into a GraphQL
 * error in one place (Apollo's formatError), and src/http/error-status.ts maps each code to an
 * HTTP status. Nothing here depends on GraphQL, HTTP or a library's message text.
 */

/** Codes of the errors a client can get, beside the hardening layer's (src/graphql/limits/errors.ts). */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  TIMEOUT: 'TIMEOUT',
  OVERLOADED: 'OVERLOADED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  REQUEST_ABORTED: 'REQUEST_ABORTED',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A domain error: its code says what the client did or what failed, its message says it in words. */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCodeValue;
}

/**
 * An argument whose value breaks a rule: BAD_USER_INPUT naming the argument, the value and the
 * rule. `rule` (e.g. `unknownRole`) is a stable name a caller may branch on; the message may change.
 */
export class InvalidArgumentError extends DomainError {
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor(
    readonly argument: string,
    readonly value: unknown,
    /** What the value breaks, in words ("must be between 1 and 100"). */
    readonly reason: string,
    readonly rule?: string,
  ) {
    super(`Argument "${argument}" has invalid value ${JSON.stringify(value)}: ${reason}.`);
  }
}

/** The rule of a compared or requested role that does not exist. */
export const UNKNOWN_ROLE_RULE = 'unknownRole';
