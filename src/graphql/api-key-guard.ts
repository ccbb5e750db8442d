import { GraphQLError } from 'graphql';
import type pg from 'pg';
import { verifyApiKey, type VerifiedApiKey } from '../auth/api-keys.ts';

/** Resolves to the request's API key or throws UNAUTHENTICATED; the key is checked once per request, on the first call. */
export type ApiKeyGuard = () => Promise<VerifiedApiKey>;

const HOW = 'send `Authorization: Bearer <key>` with a key made by `npm run apikey -- create NAME`';

/** The UNAUTHENTICATED error of a mutation without a valid key (HTTP 401); it never repeats the key. */
export function unauthenticated(reason: 'missing' | 'invalid'): GraphQLError {
  const message =
    reason === 'missing'
      ? `Mutations need an API key: ${HOW}.`
      : `The API key in the Authorization header is not valid (malformed, unknown or revoked): ${HOW}.`;
  // `extensions.http` (removed from the response by Apollo) sets the status and header; Apollo
  // wants a Map there, which graphql-yoga's typing of that extension does not know of.
  const extensions: Record<string, unknown> = {
    code: 'UNAUTHENTICATED',
    http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) },
  };
  return new GraphQLError(message, { extensions });
}

/** A lazy, memoized check of one request's Authorization header: queries never run it. */
export function apiKeyGuard(pool: pg.Pool, authorization: string | undefined): ApiKeyGuard {
  let checked: Promise<VerifiedApiKey> | undefined;
  return () =>
    (checked ??= verifyApiKey(pool, authorization).then((result) => {
      if (!result.ok) throw unauthenticated(result.reason);
      return result.key;
    }));
}
