import type { IncomingMessage, ServerResponse } from 'node:http';
import { LimitCode, plainError } from '../graphql/limits/errors.ts';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name, x-request-id';
const EXPOSED_HEADERS =
  'x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy';

/** Parses CORS_ORIGINS: comma-separated exact origins such as `https://example.org`. */
export function parseOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin.length > 0);
}

/**
 * CORS for the API: only the configured origins (none by default) get Access-Control-Allow-Origin,
 * echoed exactly, never `*` and never with credentials. Answers preflight requests itself
 * (204 for an allowed origin, 403 otherwise) and returns true when it did.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS';
  if (typeof origin !== 'string') {
    if (!preflight) return false;
    res.writeHead(204, { allow: ALLOWED_METHODS });
    res.end();
    return true;
  }
  res.setHeader('vary', 'Origin');
  const ok = allowed.has(origin);
  if (ok) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  }
  if (!preflight) return false;
  if (!ok) {
    const text = JSON.stringify({
      errors: [
        plainError(
          LimitCode.CORS,
          `Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed (CORS_ORIGINS lists the allowed origins).`,
          { origin: origin.slice(0, 200) },
        ),
      ],
    });
    res.writeHead(403, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return true;
  }
  res.writeHead(204, {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}
