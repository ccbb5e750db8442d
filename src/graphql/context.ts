import type pg from 'pg';
import { RoleCatalog } from '../catalog/roles.ts';
import type { PrismaClient } from '../db/prisma.ts';
import { createLoaders, type Loaders } from './loaders.ts';

export interface GraphQLContext {
  /** The instant every statistic of this request is computed as of. */
  asOf: Date;
  catalog: RoleCatalog;
  loaders: Loaders;
}

/** Builds a fresh context (and fresh DataLoaders) for each operation. */
export function contextFactory(db: { pool: pg.Pool; prisma: PrismaClient }): () => GraphQLContext {
  const catalog = new RoleCatalog(db.prisma, db.pool);
  return () => {
    const asOf = new Date();
    return { asOf, catalog, loaders: createLoaders(db.pool, catalog, asOf) };
  };
}
