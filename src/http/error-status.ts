import { ErrorCode } from '../domain/errors.ts';
import { BUSY_RETRY_AFTER, LimitCode, UNAVAILABLE_RETRY_AFTER } from '../graphql/limits/index.ts';

/**
 * The one table from an error's code (`extensions.code`) to the HTTP status of the answer that
 * carries it, and the Retry-After seconds of those worth retrying: /graphql, the pages, the
 * comparison and the CSV exports all read it. Codes not listed leave the status as it is.
 */
export const ERROR_STATUS: Readonly<Record<string, { status: number; retryAfter?: number }>> = {
  [ErrorCode.BAD_USER_INPUT]: { status: 400 },
  [ErrorCode.UNAUTHENTICATED]: { status: 401 },
  [LimitCode.PAYLOAD]: { status: 413 },
  [LimitCode.RATE]: { status: 429 },
  [ErrorCode.SERVICE_UNAVAILABLE]: { status: 503, retryAfter: UNAVAILABLE_RETRY_AFTER },
  [ErrorCode.TIMEOUT]: { status: 503, retryAfter: BUSY_RETRY_AFTER },
  [ErrorCode.OVERLOADED]: { status: 503, retryAfter: BUSY_RETRY_AFTER },
};

/** The codes of a GraphQL answer's errors (of each operation of a batch). */
export function errorCodes(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string[] {
  return (errors ?? []).map((e) => e.extensions?.code).filter((code): code is string => typeof code === 'string');
}

/** The error codes of a GraphQL answer's JSON text: one operation's, or each of a batch's. */
export function answerCodes(text: string): string[] {
  // Most answers have no error: no parse for them.
  if (!text.includes('"errors"')) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    const answers = (Array.isArray(parsed) ? parsed : [parsed]) as {
      errors?: { extensions?: Record<string, unknown> }[];
    }[];
    return answers.flatMap((a) => errorCodes(a?.errors));
  } catch {
    return [];
  }
}

/**
 * An answer whose errors include one worth retrying (the database down, slow or busy): 503 with
 * the longest Retry-After among them; null when none is.
 */
export function retryStatus(codes: readonly string[]): { status: number; retryAfter: number } | null {
  let found: { status: number; retryAfter: number } | null = null;
  for (const code of codes) {
    const entry = ERROR_STATUS[code];
    if (entry?.retryAfter !== undefined && (found === null || entry.retryAfter > found.retryAfter))
      found = { status: entry.status, retryAfter: entry.retryAfter };
  }
  return found;
}

/** Whether every code is one of the client's input (400): a page shows the message as the reader's to fix. */
export function allClientInput(codes: readonly string[]): boolean {
  return codes.length > 0 && codes.every((code) => ERROR_STATUS[code]?.status === 400);
}
