import type pg from 'pg';
import { RoleCatalog } from '../catalog/roles.ts';
import type { PrismaClient } from '../db/prisma.ts';
import { apiKeyGuard, type ApiKeyGuard } from './api-key-guard.ts';
import { createLoaders, type Loaders } from './loaders.ts';

/** The database as the mutations' writes need it (`embedded` makes the importer load without COPY). */
export interface ContextDatabase {
  pool: pg.Pool;
  prisma: PrismaClient;
  embedded?: boolean;
}

/** What a context takes from its HTTP request. */
export interface RequestInfo {
  /** The Authorization header, checked only when a mutation runs. */
  authorization?: string;
}

export interface GraphQLContext {
  /** The instant every statistic of this request is computed as of. */
  asOf: Date;
  catalog: RoleCatalog;
  loaders: Loaders;
  /** For the mutations' writes. */
  db: ContextDatabase;
  /** The request's API key, checked once on the first call (mutations call it; queries never do). */
  requireApiKey: ApiKeyGuard;
}

/** Builds a fresh context (and fresh DataLoaders) for each operation. */
export function contextFactory(db: ContextDatabase): (request?: RequestInfo) => GraphQLContext {
  const catalog = new RoleCatalog(db.prisma, db.pool);
  // The operations of one batched request share one RequestInfo and so one API key check.
  const guards = new WeakMap<RequestInfo, ApiKeyGuard>();
  return (request = {}) => {
    const asOf = new Date();
    let requireApiKey = guards.get(request);
    if (!requireApiKey) {
      requireApiKey = apiKeyGuard(db.pool, request.authorization);
      guards.set(request, requireApiKey);
    }
    return { asOf, catalog, loaders: createLoaders(db.pool, catalog, asOf), db, requireApiKey };
  };
}
