import type { PrismaClient } from '../db/prisma.ts';
import type { CareerStep, Responsibility } from '../generated/prisma/client.ts';
import type { RoleRecord } from './role-record.ts';

export interface RolePage {
  roles: RoleRecord[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Reads of the role catalogue. Every method is one SQL statement, whatever the number of roles. */
export class RoleCatalog {
  constructor(private readonly prisma: PrismaClient) {}

  bySlug(slug: string): Promise<RoleRecord | null> {
    return this.prisma.role.findUnique({ where: { slug } });
  }

  byIds(ids: readonly number[]): Promise<RoleRecord[]> {
    return this.prisma.role.findMany({ where: { id: { in: [...ids] } } });
  }

  /** Roles in slug order after `afterSlug`; fetches one extra row to know whether a next page exists. */
  async page(first: number, afterSlug: string | undefined): Promise<RolePage> {
    const [rows, totalCount] = await Promise.all([
      this.prisma.role.findMany({
        where: afterSlug === undefined ? {} : { slug: { gt: afterSlug } },
        orderBy: { slug: 'asc' },
        take: first + 1,
      }),
      this.prisma.role.count(),
    ]);
    return { roles: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }

  responsibilitiesOf(roleIds: readonly number[]): Promise<Responsibility[]> {
    return this.prisma.responsibility.findMany({
      where: { roleId: { in: [...roleIds] } },
      orderBy: [{ roleId: 'asc' }, { position: 'asc' }],
    });
  }

  careerStepsOf(roleIds: readonly number[]): Promise<CareerStep[]> {
    return this.prisma.careerStep.findMany({
      where: { roleId: { in: [...roleIds] } },
      orderBy: [{ roleId: 'asc' }, { position: 'asc' }],
    });
  }
}
