import DataLoader from 'dataloader';
import type pg from 'pg';
import type { RoleCatalog } from '../catalog/roles.ts';
import type { CareerStep, Responsibility } from '../generated/prisma/client.ts';
import { loadRoleStats, type RoleStatsRecord } from '../stats/role-stats.ts';

export interface Loaders {
  roleStats: DataLoader<number, RoleStatsRecord>;
  responsibilities: DataLoader<number, Responsibility[]>;
  careerSteps: DataLoader<number, CareerStep[]>;
}

function groupByRole<T extends { roleId: number }>(roleIds: readonly number[], rows: T[]): T[][] {
  const groups = new Map<number, T[]>(roleIds.map((id) => [id, []]));
  for (const row of rows) groups.get(row.roleId)?.push(row);
  return roleIds.map((id) => groups.get(id) ?? []);
}

/** Per-request loaders: each turns the fields asked for a whole page of roles into one SQL statement. */
export function createLoaders(pool: pg.Pool, catalog: RoleCatalog, asOf: Date): Loaders {
  return {
    roleStats: new DataLoader((ids) => loadRoleStats(pool, ids, asOf)),
    responsibilities: new DataLoader(async (ids) => groupByRole(ids, await catalog.responsibilitiesOf(ids))),
    careerSteps: new DataLoader(async (ids) => groupByRole(ids, await catalog.careerStepsOf(ids))),
  };
}
