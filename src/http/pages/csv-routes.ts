/** The CSV exports: `/roles.csv` and `/roles/<slug>.csv` (src/report/csv.ts, docs/exports.md). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../../graphql/context.ts';
import { QueryFailedError } from '../../graphql/run-query.ts';
import { roleCsv, rolesCsv } from '../../report/csv.ts';
import { sendCompressed, snapshotContexts, type ResponseCache } from '../cache.ts';
import { allClientInput, errorCodes } from '../error-status.ts';

export interface CsvDeps {
  apollo: ApolloServer<GraphQLContext>;
  createContext: () => GraphQLContext;
  cache: ResponseCache;
}

const ROLE_CSV = /^\/roles\/([^/]+)\.csv$/;

export function isCsvPath(path: string | undefined): boolean {
  return path === '/roles.csv' || (path !== undefined && ROLE_CSV.test(path));
}

function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  sendCompressed(req, res, status, Buffer.from(text, 'utf8'), {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...extra,
  });
}

export function createCsvRoutes(deps: CsvDeps) {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(req, res, 405, `${req.method} is not supported here; use GET.\n`, { allow: 'GET, HEAD' });
    const contexts = snapshotContexts(deps.createContext);
    try {
      const etag = await deps.cache.etag(`GET ${url.pathname}`, contexts.version);
      if (deps.cache.notModified(req, res, etag)) return;
      let csv: string | null;
      let name: string;
      if (url.pathname === '/roles.csv') {
        csv = await rolesCsv(deps.apollo, contexts.next);
        name = 'roles.csv';
      } else {
        let slug: string | undefined;
        try {
          slug = decodeURIComponent((ROLE_CSV.exec(url.pathname) as RegExpExecArray)[1] as string);
        } catch {
          slug = undefined;
        }
        try {
          csv = slug === undefined ? null : await roleCsv(deps.apollo, contexts.next, slug);
        } catch (error) {
          // A slug the API refuses (too long) is a role that does not exist.
          if (error instanceof QueryFailedError && allClientInput(errorCodes(error.errors))) csv = null;
          else throw error;
        }
        if (csv === null) return sendText(req, res, 404, `There is no role "${slug ?? url.pathname}".\n`);
        name = `${slug}.csv`;
      }
      sendCompressed(req, res, 200, Buffer.from(csv, 'utf8'), {
        'content-type': 'text/csv; charset=utf-8; header=present',
        'content-disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        'x-content-type-options': 'nosniff',
        ...deps.cache.publicHeaders(etag),
      });
    } finally {
      await contexts.end();
    }
  }
  return { handle };
}
