/**
 * The HTML pages under /roles. They read their data only through the GraphQL schema, in process
 * (runQuery, a fresh context per request), so they show exactly what an API client would get.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../../graphql/context.ts';
import { QueryFailedError, runQuery } from '../../graphql/run-query.ts';
import { sendCompressed, type ResponseCache } from '../cache.ts';
import { fetchRolePage } from '../../report/role-page-query.ts';
import { renderErrorPage, renderRoleNotFound } from './error-page.ts';
import { BadPageParamError, parseRolePageParams, renderRolePage } from './role-page.ts';
import { apiOrder, BadSortError, orderOnPage, parseSort, renderRolesPage, ROLE_LIST_QUERY, type RoleListPage, type RoleRow } from './roles-page.ts';

export interface PageDeps {
  apollo: ApolloServer<GraphQLContext>;
  createContext: () => GraphQLContext;
  /** Whether the playground is served (pages link to it then). */
  playground: boolean;
  /** ETags, 304s and Cache-Control of pages; without it pages are `no-cache` without ETag. */
  cache?: ResponseCache;
}

/** No script, styles only inline, no framing: role prose is user data. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** Roles per request while listing them all (the API allows at most 100). */
const PAGE_SIZE = 100;

export function isPagePath(path: string | undefined): boolean {
  return path === '/roles' || (path?.startsWith('/roles/') ?? false);
}

/** Every role, in the API's order for the requested column, following the connection's pages. */
export async function loadRoleRows(deps: Pick<PageDeps, 'apollo' | 'createContext'>, params: URLSearchParams): Promise<RoleRow[]> {
  const order = parseSort(params);
  const rows: RoleRow[] = [];
  let after: string | null = null;
  for (;;) {
    const data: RoleListPage = await runQuery<RoleListPage>(deps.apollo, deps.createContext(), ROLE_LIST_QUERY, {
      first: PAGE_SIZE,
      after,
      orderBy: apiOrder(order),
    });
    rows.push(...data.roles.edges.map((e) => e.node));
    if (!data.roles.pageInfo.hasNextPage || !data.roles.pageInfo.endCursor) break;
    after = data.roles.pageInfo.endCursor;
  }
  return orderOnPage(rows, order);
}

export function createPageRoutes(deps: PageDeps) {
  // The ETag of the page being answered (set once a request is known to be a public GET).
  const etags = new WeakMap<IncomingMessage, string>();
  const send = (req: IncomingMessage, res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}) => {
    const etag = etags.get(req);
    const caching = status === 200 && etag && deps.cache ? deps.cache.publicHeaders(etag) : {};
    sendCompressed(req, res, status, Buffer.from(html, 'utf8'), { ...PAGE_HEADERS, ...caching, ...extra });
  };
  const error = (req: IncomingMessage, res: ServerResponse, status: number, heading: string, message: string, extra?: Record<string, string>) =>
    send(req, res, status, renderErrorPage({ status, heading, message, playground: deps.playground }), extra);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return error(req, res, 405, 'Method not allowed', `${req.method} is not supported here; use GET.`, { allow: 'GET, HEAD' });
    }
    try {
      if (deps.cache) {
        const etag = await deps.cache.etag(`GET ${url.pathname}${url.search}`);
        if (deps.cache.notModified(req, res, etag, { 'x-content-type-options': 'nosniff' })) return;
        if (etag) etags.set(req, etag);
      }
      if (url.pathname === '/roles' || url.pathname === '/roles/') {
        let rows: RoleRow[];
        try {
          rows = await loadRoleRows(deps, url.searchParams);
        } catch (e) {
          if (e instanceof BadSortError) return error(req, res, 400, 'Cannot sort that way', e.message);
          throw e;
        }
        return send(req, res, 200, renderRolesPage(rows, parseSort(url.searchParams), { playground: deps.playground }));
      }
      const match = /^\/roles\/([^/]+)\/?$/.exec(url.pathname);
      let slug: string | undefined;
      try {
        slug = match ? decodeURIComponent(match[1] as string) : undefined;
      } catch {
        slug = undefined;
      }
      if (slug === undefined) return error(req, res, 404, 'Page not found', `There is no page at ${url.pathname}.`);
      let view;
      let role;
      try {
        view = parseRolePageParams(url.searchParams);
        role = await fetchRolePage(deps.apollo, deps.createContext, slug, view);
      } catch (e) {
        // A filter value the API refuses (an unknown country code...) is the reader's to fix.
        if (e instanceof BadPageParamError) return error(req, res, 400, 'Cannot filter that way', e.message);
        if (e instanceof QueryFailedError && e.errors.some((x) => x.extensions?.argumentName === 'slug')) {
          return send(req, res, 404, renderRoleNotFound(slug, deps.playground));
        }
        if (e instanceof QueryFailedError && e.errors.every((x) => x.extensions?.code === 'BAD_USER_INPUT')) {
          return error(req, res, 400, 'Cannot filter that way', e.errors.map((x) => x.message).join(' '));
        }
        throw e;
      }
      if (!role) return send(req, res, 404, renderRoleNotFound(slug, deps.playground));
      return send(req, res, 200, renderRolePage(role, { playground: deps.playground, view }));
    } catch (e) {
      (req as IncomingMessage & { log?: { error(obj: unknown, msg: string): void } }).log?.error({ err: e }, 'page failed');
      return error(req, res, 500, 'Something went wrong', 'The figures for this page could not be computed. Please try again later.');
    }
  }

  return { handle };
}
