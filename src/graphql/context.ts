import crypto from 'node:crypto';
import type pg from 'pg';
import { RoleCatalog } from '../catalog/roles.ts';
import type { ReadSession } from '../db/read-session.ts';
import type { SalaryBounds } from '../domain/salary.ts';
import { apiKeyGuard, type ApiKeyGuard } from './api-key-guard.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { figureCacheFor, snapshotVersion, type FigureWindow } from '../stats/figure-cache.ts';

/** The database as the mutations' writes need it (`embedded` makes the importer load without COPY). */
export interface ContextDatabase {
  pool: pg.Pool;
  embedded?: boolean;
  /** The plausible salary range (rule salaryImplausible); the importer's default when undefined. */
  salaryBounds?: SalaryBounds;
  /** statement_timeout of the service's write transactions (SET LOCAL). */
  writeStatementTimeoutMs?: number;
  /** A lazy one-snapshot read session for one operation (src/db/read-session.ts); `client` routes read-your-writes. */
  openReadSession(signal?: AbortSignal, client?: string): ReadSession;
  /** Records that `client` has just written, so that its next reads see the write (read replicas). */
  rememberWrite?(client: string): Promise<void>;
}

/** What a context takes from its HTTP request. */
export interface RequestInfo {
  /** The Authorization header, checked only when a mutation runs. */
  authorization?: string;
  /** Aborts when the client disconnects: the operation's statements are cancelled. */
  signal?: AbortSignal;
  /** Read on the primary only (a retry after a read replica failed mid-operation). */
  primaryOnly?: boolean;
  /** Set when a read replica failed under one of the request's operations: run it again with primaryOnly. */
  replicaLost?: boolean;
  /**
   * Set by readSessionPlugin when a query's whole answer was read on one snapshot: that
   * snapshot's figure window (data version and next change instant), for which the answer holds.
   */
  answeredOn?: FigureWindow;
  /** The name of that query's operation (readSessionPlugin), for /metrics. */
  operationName?: string;
}

export interface GraphQLContext {
  /** The instant every statistic of this request is computed as of. */
  asOf: Date;
  catalog: RoleCatalog;
  loaders: Loaders;
  /**
   * Every read of the operation, on one snapshot; the readSessionPlugin (src/graphql/apollo.ts)
   * ends it when the response is sent, and the mutations release it before they write.
   */
  reads: ReadSession;
  /** For the mutations' writes. */
  db: ContextDatabase;
  /** The request's API key, checked once on the first call (mutations call it; queries never do). */
  requireApiKey: ApiKeyGuard;
  /** What the context was made from (the read-replica plumbing flags it). */
  request: RequestInfo;
  /** The same operation's context again, reading on the primary only (after a replica failed under it). */
  onPrimary(): GraphQLContext;
  /** After a mutation: the writer's next reads must see what it wrote (and WriteHooks.afterWrite runs). */
  rememberWrite(): Promise<void>;
  /** The data version on this operation's snapshot (an HTTP ETag of what it renders). */
  dataVersion(): Promise<string>;
}

/** What the service does after each mutation, besides read-your-writes. */
export interface WriteHooks {
  /** Called once a mutation's writes have committed (the stored page panels it outdated are refreshed). */
  afterWrite?(): void;
}

/** Builds a fresh context (fresh DataLoaders and a fresh read session) for each operation. */
export function contextFactory(db: ContextDatabase, hooks: WriteHooks = {}): (request?: RequestInfo) => GraphQLContext {
  // The operations of one batched request share one RequestInfo and so one API key check.
  const guards = new WeakMap<RequestInfo, ApiKeyGuard>();
  const create = (request: RequestInfo = {}): GraphQLContext => {
    const asOf = new Date();
    let requireApiKey = guards.get(request);
    if (!requireApiKey) {
      requireApiKey = apiKeyGuard(db.pool, request.authorization);
      guards.set(request, requireApiKey);
    }
    // Read-your-writes is per API key; the hash keeps the key itself out of memory maps.
    const client = request.authorization
      ? crypto.createHash('sha256').update(request.authorization).digest('hex')
      : undefined;
    const reads = db.openReadSession(request.signal, client);
    if (request.primaryOnly) reads.pinPrimary();
    const catalog = new RoleCatalog(reads);
    return {
      asOf,
      catalog,
      loaders: createLoaders(reads, catalog, asOf, figureCacheFor(db.pool)),
      reads,
      db,
      requireApiKey,
      request,
      onPrimary: () => create({ ...request, primaryOnly: true, replicaLost: false }),
      rememberWrite: async () => {
        hooks.afterWrite?.();
        if (client && db.rememberWrite) await db.rememberWrite(client);
      },
      dataVersion: () => snapshotVersion(reads, asOf),
    };
  };
  return create;
}
