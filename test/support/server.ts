import pino from 'pino';
import type { Database } from '../../src/db/database.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/http/server.ts';

export interface GraphQLResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

/** The real HTTP server on a free port, over the test's database; `options` override the defaults (e.g. a rate limit). */
export function startTestServer(
  db: Database,
  options: Partial<Omit<ServerOptions, 'db'>> = {},
): Promise<RunningServer> {
  return startServer({ db, logger: pino({ level: 'silent' }), ...options }, 0, '127.0.0.1');
}

/** Sends a GraphQL operation over HTTP, as any client would; `headers` are added (e.g. an Authorization header). */
export async function gql<T>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: res.status, ...body };
}
