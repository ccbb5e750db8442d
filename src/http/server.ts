import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type pino from 'pino';
import { pinoHttp } from 'pino-http';
import type { Database } from '../db/database.ts';
import { createApolloServer } from '../graphql/apollo.ts';
import { contextFactory, type RequestInfo } from '../graphql/context.ts';
import { checkBatch, DEFAULT_QUERY_LIMITS, LimitCode, type QueryLimits } from '../graphql/limits/index.ts';
import { loadTypeDefs } from '../graphql/schema.ts';
import { unlistedQueries, type PersistedQueriesMode } from '../graphql/persisted-queries.ts';
import { ResponseCache, sendCompressed } from './cache.ts';
import { DEFAULT_RESPONSE_CACHE_BYTES, OperationCache, reportsErrors } from './operation-cache.ts';
import { handleCors } from './cors.ts';
import { checkHealth, checkReadiness } from './health.ts';
import { createCompareRoute } from './pages/compare-page.ts';
import { createCsvRoutes, isCsvPath } from './pages/csv-routes.ts';
import { createPageRoutes, isPagePath } from './pages/routes.ts';
import { gzipLandingPage, landingPagePlugin } from './playground.ts';
import { answerCodes, retryStatus } from './error-status.ts';
import { createMetrics } from './metrics.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { verifyApiKey } from '../auth/api-keys.ts';
import { logSerializers } from '../logger.ts';
import { SharedApqCache } from '../shared-state/apq-cache.ts';
import type { SharedState } from '../shared-state/index.ts';
import { renderErrorPage } from './pages/error-page.ts';
import { answerClientErrorsGracefully } from './client-errors.ts';
import { BodyTooLargeError, InvalidUtf8Error, readBody } from './read-body.ts';
import { drainFlag } from './shutdown.ts';
import { internalErrorLogPlugin } from './internal-errors.ts';
import { FigureRefresher } from '../stats/figure-refresher.ts';

export interface ServerOptions {
  db: Database;
  logger: pino.Logger;
  production?: boolean;
  /** 'graphiql' (default outside production), 'off' (default in production). */
  playground?: 'graphiql' | 'sandbox' | 'off';
  bodyLimit?: number;
  /** Depth, alias, cost, token and batch limits; DEFAULT_QUERY_LIMITS for any left out. */
  limits?: Partial<QueryLimits>;
  /** Introspection; on unless false (GRAPHQL_INTROSPECTION). */
  introspection?: boolean;
  /** Rate limit of /graphql per API key or client address; off when left out. */
  rateLimit?: RateLimitOptions;
  /** Origins that CORS allows, matched exactly; none when left out. */
  corsOrigins?: string[];
  /** Where the rate limit and the API key cache live (Redis with REDIS_URL); this process when left out. */
  shared?: SharedState;
  /** How long slow and idle clients may hold a connection; DEFAULT_HTTP_TIMEOUTS for any left out. */
  timeouts?: Partial<HttpTimeouts>;
  /** max-age in seconds of public answers (CACHE_MAX_AGE_SECONDS); 60 when left out. */
  cacheMaxAge?: number;
  /** Persisted queries (PERSISTED_QUERIES, PERSISTED_QUERIES_FILE); APQ when left out. */
  persistedQueries?: { mode: PersistedQueriesMode; manifest?: Map<string, string> };
  /** How long `shutdown()` lets requests in flight run before cutting them (SHUTDOWN_TIMEOUT_MS); 10 s when left out. */
  shutdownTimeoutMs?: number;
  /** Bytes of whole query answers kept while exact (RESPONSE_CACHE_BYTES, src/http/operation-cache.ts); 16 MiB when left out, 0 for none. */
  responseCacheBytes?: number;
  /**
   * Refresh the stored page panels that mutations outdated, in the background (FIGURE_REFRESH,
   * src/stats/figure-refresher.ts); off when left out.
   */
  figureRefresh?: { delayMs: number; statementTimeoutMs: number };
}

export interface HttpTimeouts {
  /** Time to receive a request's headers (HTTP_HEADERS_TIMEOUT_MS). */
  headersMs: number;
  /** Time to receive a whole request, body included (HTTP_REQUEST_TIMEOUT_MS); answering it is not limited. */
  requestMs: number;
  /** How long an idle keep-alive connection stays open (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveMs: number;
}

/** Well under Node's own 300 s request timeout: a client that trickles its request is cut after 30 s. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5000 };

/** How long after the start of a drain a keep-alive connection may still carry a request (src/http/shutdown.ts). */
const DRAIN_GRACE_MS = 500;

/** Requests one keep-alive connection may carry before the server closes it. */
const MAX_REQUESTS_PER_SOCKET = 1000;

/** The port is taken (or not ours to use): one line, no stack trace. */
export class ListenError extends Error {}

export interface RunningServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
  /**
   * Graceful stop: no new connections, /readyz says 503, requests in flight finish (up to
   * `shutdownTimeoutMs`, then they are cut and counted in `forced`), then Apollo stops. The pool stays open.
   */
  shutdown(): Promise<{ forced: number }>;
  /** The background refresh of stored panels, when `figureRefresh` is on. */
  figureRefresher?: FigureRefresher;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function graphqlError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, ...extra } }] });
}

/** Why a query string cannot be read as UTF-8 text (a bad %-escape or invalid UTF-8), or undefined. */
function badQueryString(search: string): string | undefined {
  for (const part of search.replace(/^\?/, '').split('&')) {
    for (const piece of part.split('=')) {
      try {
        decodeURIComponent(piece.replace(/\+/g, ' '));
      } catch {
        return `The query string is not valid: ${JSON.stringify(piece.slice(0, 80))} is not percent-encoded UTF-8.`;
      }
    }
  }
  return undefined;
}

function wantsHtml(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

/** The HTTP server: GraphQL at /graphql (with the playground for browsers), health at /healthz and /readyz. */
export async function startServer(options: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const production = options.production ?? false;
  const playground = options.playground ?? (production ? 'off' : 'graphiql');
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const metrics = createMetrics(options.db.pool, options.db.replicas);
  const rateLimiter = options.rateLimit
    ? new RateLimiter({
        verifyKey: async (header) => (await verifyApiKey(options.db.pool, header)).ok,
        shared: options.shared,
        ...options.rateLimit,
      })
    : undefined;
  const timeouts: HttpTimeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts };
  const errorLog = internalErrorLogPlugin(options.logger);
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const cacheMaxAge = options.cacheMaxAge ?? 60;
  const persisted = options.persistedQueries ?? { mode: 'apq' as const };
  if (persisted.mode === 'only' && !persisted.manifest)
    throw new Error('PERSISTED_QUERIES=only needs the allow-list: set PERSISTED_QUERIES_FILE');
  const server = http.createServer({
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // How often Node looks for requests past their timeout (30 s by default, longer than the timeouts).
    connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(timeouts.headersMs / 4))),
  });
  // shutdown(): the flag and its grace period first (see shutdown.ts), then Apollo's drain for the rest of the time.
  const connections = drainFlag(server, DRAIN_GRACE_MS);
  const drain = ApolloServerPluginDrainHttpServer({
    httpServer: server,
    stopGracePeriodMillis: Math.max(0, (options.shutdownTimeoutMs ?? 10_000) - DRAIN_GRACE_MS),
  });
  const apollo = createApolloServer({
    production,
    limits,
    introspection: options.introspection,
    landingPage: landingPagePlugin(playground),
    plugins: [metrics.plugin(), errorLog, drain],
    cacheMaxAge,
    persistedQueries: persisted,
    apqCache: options.shared?.redis ? new SharedApqCache(options.shared) : undefined,
  });
  await apollo.start();
  const refresher =
    options.figureRefresh &&
    new FigureRefresher(options.db.pool, {
      ...options.figureRefresh,
      embedded: options.db.embedded,
      workMem: options.db.sessionSettings.workMem,
      jitOff: options.db.sessionSettings.jitOff,
      log: {
        refreshed: (roles, seconds) =>
          options.logger.info({ roles, seconds }, 'stored page panels refreshed after writes'),
        failed: (error) =>
          options.logger.warn({ err: error }, 'stored page panels not refreshed after writes: readers compute them'),
      },
    });
  const createContext = contextFactory(options.db, { afterWrite: () => refresher?.wrote() });
  // ETags change with the code that renders answers too, not only with the data.
  const build = crypto
    .createHash('sha256')
    .update(`${process.env.npm_package_version ?? ''}\0${loadTypeDefs()}`)
    .digest('hex');
  const cache = new ResponseCache(options.db.pool, cacheMaxAge, build);
  const replicas = options.db.replicas;
  const answers = new OperationCache(
    async () => (replicas ? (await replicas.route().choose()).pool : options.db.pool),
    options.responseCacheBytes ?? DEFAULT_RESPONSE_CACHE_BYTES,
    // The window is three index probes: waiting longer than a second means the server is in trouble, which the execution reports.
    Math.min(1000, options.db.sessionSettings.statementTimeoutMs),
  );
  // Pages run their queries in-process; the request they serve is found through this store, so
  // that a reader who goes away has the page's statements cancelled as an API client's are.
  const pageRequests = new AsyncLocalStorage<{ signal: AbortSignal }>();
  const pageContext = () => createContext({ signal: pageRequests.getStore()?.signal });
  const pages = createPageRoutes({ apollo, createContext: pageContext, playground: playground !== 'off', cache });
  const csv = createCsvRoutes({ apollo, createContext: pageContext, cache });
  const compare = createCompareRoute({ apollo, createContext: pageContext, cache, playground: playground !== 'off' });
  const asPage = (res: ServerResponse, handle: () => Promise<void>): Promise<void> => {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    return pageRequests.run({ signal: abort.signal }, handle);
  };
  const httpLogger = pinoHttp({
    logger: options.logger,
    serializers: logSerializers,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      res.setHeader('x-request-id', id);
      // What Apollo's plugins see of the request: the internal error log names the request by it.
      req.headers['x-request-id'] = id;
      return id;
    },
  });

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A browser gets the playground (Apollo's landing page, see playground.ts), also with
    // ?query=... (GraphiQL opens that query: the role pages link to their figures that way); it
    // runs no operation, so it is not rate limited. API clients ask for JSON.
    const landingPage = playground !== 'off' && wantsHtml(req);
    if (!landingPage && (await rateLimiter?.handle(req, res))) return;
    let body: unknown = {};
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, bodyLimit);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          res.setHeader('connection', 'close');
          return graphqlError(res, 413, LimitCode.PAYLOAD, error.message, { limit: error.limit, value: error.size });
        }
        if (error instanceof InvalidUtf8Error)
          return graphqlError(res, 400, 'BAD_USER_INPUT', error.message, { offset: error.offset });
        throw error;
      }
      const type = String(req.headers['content-type'] ?? '');
      if (type.includes('json')) {
        try {
          body = JSON.parse(text);
        } catch (error) {
          return graphqlError(res, 400, 'BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
        }
        const batchError = checkBatch(body, limits.maxBatch);
        if (batchError) return sendJson(res, 400, { errors: [batchError] });
      } else {
        body = text;
      }
    }
    const badSearch = badQueryString(url.search);
    if (badSearch) return graphqlError(res, 400, 'BAD_USER_INPUT', badSearch);
    if (persisted.mode === 'only' && persisted.manifest) {
      const operations =
        req.method === 'GET'
          ? [{ query: url.searchParams.get('query') ?? undefined }]
          : Array.isArray(body)
            ? body
            : [body];
      if (unlistedQueries(persisted.manifest, operations).length > 0) {
        return graphqlError(
          res,
          400,
          'PERSISTED_QUERY_NOT_ALLOWED',
          'This server runs only the operations of its allow-list (PERSISTED_QUERIES=only): send a listed operation, by its SHA-256 hash (extensions.persistedQuery) or its exact text.',
        );
      }
    }
    // A public query asked before may be answered whole, when the data and the window it was read on still hold.
    const answerKey =
      req.method === 'POST' && !req.headers.authorization && !landingPage
        ? answers.keyOf(body, req.headers.accept)
        : undefined;
    let leading: (() => void) | undefined;
    if (answerKey) {
      const started = process.hrtime.bigint();
      let kept = await answers.lookup(answerKey);
      if (!kept) {
        const claim = answers.claim(answerKey);
        if ('wait' in claim) kept = await claim.wait;
        else leading = claim.lead;
      }
      if (kept) {
        for (const [key, value] of kept.headers) res.setHeader(key, value);
        sendCompressed(req, res, 200, kept.body, {}, kept.encoded);
        metrics.observeCachedAnswer(kept.operationName, Number(process.hrtime.bigint() - started) / 1e9);
        return;
      }
    }
    try {
      await executeGraphQL(req, res, url, body, answerKey, landingPage);
    } finally {
      leading?.();
    }
  }

  async function executeGraphQL(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: unknown,
    answerKey: string | undefined,
    landingPage: boolean,
  ): Promise<void> {
    // A public GET query can be answered 304 from the data version alone, before running it.
    const etag =
      req.method === 'GET' && !req.headers.authorization ? await cache.etag(`GET /graphql${url.search}`) : undefined;
    if (etag && cache.notModified(req, res, etag)) return;
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    // One RequestInfo per HTTP request: the operations of a batch share its (lazy) API key check.
    // A client that disconnects before its answer has its statements cancelled (src/db/read-session.ts).
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const request: RequestInfo = { authorization: req.headers.authorization, signal: abort.signal };
    const httpGraphQLRequest = { method: req.method ?? 'GET', headers, search: url.search, body };
    let result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => createContext(request),
    });
    if (request.replicaLost) {
      // A read replica failed mid-operation: the whole request again on the primary, once.
      const again: RequestInfo = { ...request, primaryOnly: true, replicaLost: false };
      result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: async () => createContext(again),
      });
    }
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    // The status of errors worth retrying (the database down, slow or busy) comes from the one table.
    const retry = result.body.kind === 'complete' ? retryStatus(answerCodes(result.body.string)) : null;
    if (retry) {
      res.statusCode = retry.status;
      res.setHeader('retry-after', String(retry.retryAfter));
    }
    if (landingPage) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('cache-control', 'no-cache');
    }
    const cacheable =
      etag !== undefined && res.statusCode === 200 && String(res.getHeader('cache-control') ?? '').startsWith('public');
    if (cacheable) res.setHeader('etag', etag);
    if (
      landingPage &&
      result.body.kind === 'complete' &&
      /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    ) {
      const gzip = gzipLandingPage(result.body.string);
      res.writeHead(res.statusCode, { 'content-encoding': 'gzip', 'content-length': gzip.length });
      res.end(gzip);
    } else if (result.body.kind === 'complete') {
      const bytes = Buffer.from(result.body.string, 'utf8');
      // The compressed form made for this answer is kept with it.
      const encoded = {};
      if (answerKey && request.answeredOn && res.statusCode === 200 && !reportsErrors(result.body.string))
        answers.store(answerKey, request.answeredOn, {
          headers: [...result.headers],
          body: bytes,
          operationName: request.operationName,
          encoded,
        });
      sendCompressed(req, res, res.statusCode, bytes, {}, encoded);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') {
      if (handleCors(req, res, corsOrigins)) return;
      return handleGraphQL(req, res);
    }
    if (path === '/metrics') {
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (isCsvPath(path) || path === '/compare' || isPagePath(path)) {
      // Pages and exports draw on the same allowance as /graphql: they run the same queries.
      const page = (message: string) =>
        renderErrorPage({ status: 429, heading: 'Too many requests', message, playground: playground !== 'off' });
      if (await rateLimiter?.handle(req, res, page)) return;
      if (isCsvPath(path)) return asPage(res, () => csv.handle(req, res));
      if (path === '/compare') return asPage(res, () => compare(req, res));
      return asPage(res, () => pages.handle(req, res));
    }
    if (path === '/healthz') return sendJson(res, 200, checkHealth());
    if (path === '/readyz') {
      if (connections.draining) return sendJson(res, 503, { ready: false, draining: true });
      const readiness = await checkReadiness(options.db);
      return sendJson(res, readiness.ready ? 200 : 503, readiness);
    }
    if (path === '/' && req.method === 'GET') {
      res.writeHead(302, { location: playground === 'off' ? '/roles' : '/graphql' });
      res.end();
      return;
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    connections.onRequest(req, res);
    res.once('finish', () => {
      metrics.observeHttp(
        (req.url ?? '/').split('?')[0] ?? '/',
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    httpLogger(req, res);
    route(req, res).catch((error: unknown) => {
      req.log.error({ err: error }, 'request failed');
      if (!res.headersSent) graphqlError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
      else res.end();
    });
  });
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  answerClientErrorsGracefully(server);
  metrics.countInFlight(() => connections.active);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host ?? 'every address'} port ${port}`;
      if (error.code === 'EADDRINUSE')
        reject(
          new ListenError(
            `cannot listen on ${where}: the port is in use by another process; stop it or set PORT to a free port`,
          ),
        );
      else if (error.code === 'EACCES')
        reject(new ListenError(`cannot listen on ${where}: permission denied; use a port above 1023 or set PORT`));
      else if (error.code === 'EADDRNOTAVAIL')
        reject(new ListenError(`cannot listen on ${where}: the address is not one of this machine's; set HOST`));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  }).catch(async (error: unknown) => {
    await apollo.stop();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const shownHost = host && host !== '0.0.0.0' && host !== '::' ? host : 'localhost';
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
    server,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await apollo.stop();
      await refresher?.stop();
    },
    async shutdown() {
      await connections.beginDrain();
      // Runs the drain plugin: ends idle connections, waits for requests in flight, cuts them at its deadline.
      await apollo.stop();
      await refresher?.stop();
      return { forced: connections.cut };
    },
    figureRefresher: refresher || undefined,
  };
}
