/**
 * The HTML pages under /roles. They read their data only through the GraphQL schema, in process
 * (runQuery, a fresh context per request), so they show exactly what an API client would get.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../../graphql/context.ts';
import { RoleListDocument } from '../../graphql/generated/operations.ts';
import { QueryFailedError, runQuery } from '../../graphql/run-query.ts';
import { textProblem } from '../../graphql/limits/well-formed-text.ts';
import { sendCompressed, snapshotContexts, type ResponseCache } from '../cache.ts';
import { allClientInput, ERROR_STATUS, errorCodes, retryStatus } from '../error-status.ts';
import { fetchRolePage } from '../../report/role-page-query.ts';
import { renderErrorPage, renderRoleNotFound } from './error-page.ts';
import { BadPageParamError, parseRolePageParams, renderRolePage } from './role-page.ts';
import { apiOrder, BadSortError, parseSort, renderRolesPage, type RoleRow, type RoleSort } from './roles-page.ts';

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
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** Roles per page of /roles, and per request while listing them all (the API allows at most 100). */
export const PAGE_SIZE = 100;
/** The longest slug the API looks up (longer ones name no role). */
const MAX_SLUG = 200;

/** A request the page cannot serve for the client's reason: 400 or 404 with a message, never a 5xx. */
class PageRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly heading: string,
    message: string,
  ) {
    super(message);
  }
}

/** ?page=N of /roles: a whole number from 1. */
function parsePage(params: URLSearchParams): number {
  const raw = params.get('page');
  if (raw === null) return 1;
  if (!/^[1-9]\d{0,6}$/.test(raw))
    throw new PageRequestError(
      400,
      'No such page',
      `page must be a whole number from 1; got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  return Number(raw);
}

export interface RolesListing {
  rows: RoleRow[];
  totalCount: number;
  page: number;
  /** Cursor of the last row shown, for the next page's link; null on the last page. */
  nextAfter: string | null;
  pageSize: number;
}

/** One page of roles (PAGE_SIZE at most) in the requested order: one query, whatever the number of roles. */
export async function loadRolesPage(
  deps: Pick<PageDeps, 'apollo' | 'createContext'>,
  params: URLSearchParams,
): Promise<RolesListing> {
  const order = parseSort(params);
  const page = parsePage(params);
  // Keyset cursors (src/graphql/pagination.ts): a later page starts after the row its link names.
  const after = params.get('after');
  if (page > 1 && !after)
    throw new PageRequestError(
      400,
      'No such page',
      'a page after the first is reached through its link (it carries ?after=)',
    );
  if (page === 1 && after)
    throw new PageRequestError(400, 'No such page', 'after= belongs to a page after the first (with ?page=)');
  const data = await runQuery(deps.apollo, deps.createContext(), RoleListDocument, {
    first: PAGE_SIZE,
    after,
    orderBy: apiOrder(order),
  });
  return {
    rows: data.roles.edges.map((e) => e.node),
    totalCount: data.roles.totalCount ?? 0,
    page,
    pageSize: PAGE_SIZE,
    nextAfter: data.roles.pageInfo.hasNextPage ? data.roles.pageInfo.endCursor : null,
  };
}

/** The slug of /roles/<slug>: a bad %-escape, invalid UTF-8 or a control character is 400, an over-long slug 404. */
function slugOf(pathname: string): string | undefined {
  const match = /^\/roles\/([^/]+)\/?$/.exec(pathname);
  if (!match) return undefined;
  let slug: string;
  try {
    slug = decodeURIComponent(match[1] as string);
  } catch {
    throw new PageRequestError(400, 'Bad address', 'The role in the address is not valid percent-encoded UTF-8.');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects (as in src/auth/api-keys.ts).
  const control = /[\u0000-\u001f\u007f]/.test(slug);
  const problem = textProblem(slug) ?? (control ? 'must not contain control characters' : undefined);
  if (problem) throw new PageRequestError(400, 'Bad address', `The role in the address ${problem}.`);
  if (slug.length > MAX_SLUG) {
    throw new PageRequestError(
      404,
      'Role not found',
      `There is no role with a name of ${slug.length} characters; role names have at most ${MAX_SLUG}.`,
    );
  }
  return slug;
}

export function isPagePath(path: string | undefined): boolean {
  return path === '/roles' || (path?.startsWith('/roles/') ?? false);
}

type PageLog = { error(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
const log = (req: IncomingMessage) => (req as IncomingMessage & { log?: PageLog }).log;

export function createPageRoutes(deps: PageDeps) {
  // The ETag of the page being answered (set once a request is known to be a public GET).
  const etags = new WeakMap<IncomingMessage, string>();
  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    html: string,
    extra: Record<string, string> = {},
  ) => {
    const etag = etags.get(req);
    const caching = status === 200 && etag && deps.cache ? deps.cache.publicHeaders(etag) : {};
    sendCompressed(req, res, status, Buffer.from(html, 'utf8'), { ...PAGE_HEADERS, ...caching, ...extra });
  };
  const error = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    heading: string,
    message: string,
    extra?: Record<string, string>,
  ) => send(req, res, status, renderErrorPage({ status, heading, message, playground: deps.playground }), extra);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return error(req, res, 405, 'Method not allowed', `${req.method} is not supported here; use GET.`, {
        allow: 'GET, HEAD',
      });
    }
    const contexts = snapshotContexts(deps.createContext);
    const page = { ...deps, createContext: contexts.next };
    try {
      if (deps.cache) {
        const etag = await deps.cache.etag(`GET ${url.pathname}${url.search}`, contexts.version);
        if (deps.cache.notModified(req, res, etag, { 'x-content-type-options': 'nosniff' })) return;
        if (etag) etags.set(req, etag);
      }
      if (url.pathname === '/roles' || url.pathname === '/roles/') {
        const listing = await loadRolesPage(page, url.searchParams);
        const order: RoleSort = parseSort(url.searchParams);
        const pages = Math.max(1, Math.ceil(listing.totalCount / listing.pageSize));
        if (listing.page > pages) {
          return error(
            req,
            res,
            404,
            'No such page',
            `There is no page ${listing.page}: the list of roles has ${pages} page${pages === 1 ? '' : 's'}.`,
          );
        }
        return send(
          req,
          res,
          200,
          renderRolesPage(listing.rows, order, {
            playground: deps.playground,
            page: listing.page,
            pageSize: listing.pageSize,
            totalCount: listing.totalCount,
            nextAfter: listing.nextAfter,
          }),
        );
      }
      const slug = slugOf(url.pathname);
      if (slug === undefined)
        return error(req, res, 404, 'Page not found', `There is no page at ${url.pathname.slice(0, 200)}.`);
      let view: ReturnType<typeof parseRolePageParams>;
      let role: Awaited<ReturnType<typeof fetchRolePage>>;
      try {
        view = parseRolePageParams(url.searchParams);
        role = await fetchRolePage(deps.apollo, contexts.next, slug, view);
      } catch (e) {
        // A filter value the API refuses (an unknown country code...) is the reader's to fix.
        if (e instanceof BadPageParamError) return error(req, res, 400, 'Cannot filter that way', e.message);
        if (e instanceof QueryFailedError && e.errors.some((x) => x.extensions?.argumentName === 'slug')) {
          return send(req, res, 404, renderRoleNotFound(slug, deps.playground));
        }
        if (e instanceof QueryFailedError && allClientInput(errorCodes(e.errors))) {
          return error(req, res, 400, 'Cannot filter that way', e.errors.map((x) => x.message).join(' '));
        }
        throw e;
      }
      if (!role) return send(req, res, 404, renderRoleNotFound(slug, deps.playground));
      return send(req, res, 200, renderRolePage(role, { playground: deps.playground, view }));
    } catch (e) {
      if (e instanceof BadSortError) return error(req, res, 400, 'Cannot sort that way', e.message);
      if (e instanceof PageRequestError) return error(req, res, e.status, e.heading, e.message);
      const codes = e instanceof QueryFailedError ? errorCodes(e.errors) : [];
      // A database that is down, slow or busy: 503 with Retry-After, like the API (src/http/error-status.ts).
      const retry = retryStatus(codes);
      if (retry) {
        const code = codes.find((c) => ERROR_STATUS[c]?.retryAfter !== undefined);
        log(req)?.warn({ code }, 'page unavailable: the database is down or busy');
        return error(
          req,
          res,
          retry.status,
          'Temporarily unavailable',
          `The figures cannot be read right now (${code}). Please try again in ${retry.retryAfter} s.`,
          { 'retry-after': String(retry.retryAfter) },
        );
      }
      if (allClientInput(codes)) {
        return error(req, res, 400, 'Bad request', (e as QueryFailedError).errors.map((x) => x.message).join(' '));
      }
      log(req)?.error({ err: e }, 'page failed');
      return error(
        req,
        res,
        500,
        'Something went wrong',
        'The figures for this page could not be computed. Please try again later.',
      );
    } finally {
      await contexts.end();
    }
  }

  return { handle };
}
