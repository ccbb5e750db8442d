import crypto from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap } from '@apollo/server';
import type pino from 'pino';
import { pinoHttp } from 'pino-http';
import type { Database } from '../db/database.ts';
import { createApolloServer } from '../graphql/apollo.ts';
import { contextFactory } from '../graphql/context.ts';
import { checkHealth, checkReadiness } from './health.ts';
import { playgroundPage } from './playground.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';

export interface ServerOptions {
  db: Database;
  logger: pino.Logger;
  production?: boolean;
  /** 'graphiql' (default outside production), 'off' (default in production). */
  playground?: 'graphiql' | 'sandbox' | 'off';
  bodyLimit?: number;
}

export interface RunningServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function graphqlError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

function wantsHtml(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

/** The HTTP server: GraphQL at /graphql (with the playground for browsers), health at /healthz and /readyz. */
export async function startServer(options: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const production = options.production ?? false;
  const playground = options.playground ?? (production ? 'off' : 'graphiql');
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const apollo = createApolloServer({ production });
  await apollo.start();
  const createContext = contextFactory(options.db);
  const httpLogger = pinoHttp({
    logger: options.logger,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
  });

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (wantsHtml(req) && !url.searchParams.has('query') && playground !== 'off') {
      const page = playgroundPage();
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? page.gzip : page.html;
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'no-cache',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(body);
      return;
    }
    let body: unknown = {};
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, bodyLimit);
      } catch (error) {
        if (error instanceof BodyTooLargeError) return graphqlError(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
        throw error;
      }
      const type = String(req.headers['content-type'] ?? '');
      if (type.includes('json')) {
        try {
          body = JSON.parse(text);
        } catch (error) {
          return graphqlError(res, 400, 'BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
        }
      } else {
        body = text;
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => createContext(),
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') return handleGraphQL(req, res);
    if (path === '/healthz') return sendJson(res, 200, checkHealth());
    if (path === '/readyz') {
      const readiness = await checkReadiness(options.db);
      return sendJson(res, readiness.ready ? 200 : 503, readiness);
    }
    if (path === '/' && req.method === 'GET') {
      res.writeHead(302, { location: '/graphql' });
      res.end();
      return;
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
  }

  const server = http.createServer((req, res) => {
    httpLogger(req, res);
    route(req, res).catch((error: unknown) => {
      req.log.error({ err: error }, 'request failed');
      if (!res.headersSent) graphqlError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
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
    },
  };
}
