import type pg from 'pg';
import type { PrismaClient } from '../db/prisma.ts';
import type { CareerStep, Responsibility } from '../generated/prisma/client.ts';
import { OPEN_POSTINGS, postingCondition, reportCondition } from '../stats/posting-filter.ts';
import { SqlParams } from '../stats/sql-params.ts';
import type { Direction, Page, PageRequest } from './postings.ts';
import type { RoleRecord } from './role-record.ts';

export type RoleOrderField = 'SLUG' | 'TITLE' | 'OPENINGS' | 'MEAN_SALARY' | 'MEDIAN_SALARY';

export interface RoleListRequest extends PageRequest {
  search?: string;
  orderBy: { field: RoleOrderField; direction: Direction };
}

const ROLE_COLUMNS = `r.id, r.slug, r.title, r.summary, r.responsibilities_intro AS "responsibilitiesIntro",
  r.career_intro AS "careerIntro", r.career_steps_intro AS "careerStepsIntro", r.conclusion,
  r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Reads of the role catalogue. Every method is one SQL statement, whatever the number of roles. */
export class RoleCatalog {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  bySlug(slug: string): Promise<RoleRecord | null> {
    return this.prisma.role.findUnique({ where: { slug } });
  }

  /** Roles by slug in one statement, in the order asked (null where there is none). */
  async bySlugs(slugs: readonly string[]): Promise<(RoleRecord | null)[]> {
    const found = await this.prisma.role.findMany({ where: { slug: { in: [...slugs] } } });
    const bySlug = new Map(found.map((r) => [r.slug, r]));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  async byIds(ids: readonly number[]): Promise<(RoleRecord | null)[]> {
    const rows = await this.prisma.role.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * A page of roles matching `search` (title or slug, case-insensitive substring), ordered by
   * the requested field (statistics as of `asOf`, over open postings and reports, in USD; roles
   * without a figure last), ties broken by slug, with the total count, in one statement.
   */
  async list(request: RoleListRequest, asOf: Date): Promise<Page<RoleRecord>> {
    const params = new SqlParams();
    const pattern = request.search ? params.add(`%${escapeLike(request.search)}%`) : undefined;
    const where = pattern ? `WHERE r.title ILIKE ${pattern} OR r.slug ILIKE ${pattern}` : '';
    const dir = request.orderBy.direction === 'DESC' ? 'DESC' : 'ASC';
    const needsOpenings = request.orderBy.field === 'OPENINGS';
    const needsSalary = request.orderBy.field === 'MEAN_SALARY' || request.orderBy.field === 'MEDIAN_SALARY';
    const at = needsOpenings || needsSalary ? params.add(asOf, '::timestamptz') : '';
    const key = {
      SLUG: 'r.slug',
      TITLE: 'lower(r.title)',
      OPENINGS: 'coalesce(op.openings, 0)',
      MEAN_SALARY: 'sal.mean',
      MEDIAN_SALARY: 'sal.median',
    }[request.orderBy.field];
    const openings = needsOpenings
      ? `LEFT JOIN (SELECT p.role_id, count(*) AS openings FROM posting p WHERE ${postingCondition('p', OPEN_POSTINGS, at, params)} GROUP BY 1) op ON op.role_id = r.id`
      : '';
    const salary = needsSalary
      ? `LEFT JOIN (
           SELECT role_id, avg(v) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median FROM (
             SELECT p.role_id, o.amount_usd AS v FROM salary_observation o JOIN posting p ON p.id = o.posting_id
             WHERE ${postingCondition('p', OPEN_POSTINGS, at, params)}
             UNION ALL
             SELECT o.role_id, o.amount_usd FROM salary_observation o WHERE ${reportCondition('o', OPEN_POSTINGS, at, params)}
           ) x GROUP BY role_id
         ) sal ON sal.role_id = r.id`
      : '';
    const offset = params.add(request.offset);
    const limit = params.add(request.first + 1);
    const sql = `
WITH listed AS (SELECT r.* FROM role r ${where})
SELECT t.total, page.*
FROM (SELECT count(*)::int AS total FROM listed) t
LEFT JOIN LATERAL (
  SELECT ${ROLE_COLUMNS} FROM listed r ${openings} ${salary}
  ORDER BY ${key} ${dir} NULLS LAST, r.slug ${dir}
  OFFSET ${offset} LIMIT ${limit}
) page ON true`;
    const { rows } = await this.pool.query<RoleRecord & { total: number; id: number | null }>(sql, params.values);
    const totalCount = rows[0]?.total ?? 0;
    const items = rows.filter((r) => r.id !== null).map(({ total: _total, ...role }) => role as RoleRecord);
    return { items: items.slice(0, request.first), hasNextPage: items.length > request.first, totalCount };
  }

  responsibilitiesOf(roleIds: readonly number[]): Promise<Responsibility[]> {
    return this.prisma.responsibility.findMany({
      where: { roleId: { in: [...roleIds] } },
      orderBy: [{ roleId: 'asc' }, { position: 'asc' }],
    });
  }

  async responsibilitiesByIds(ids: readonly number[]): Promise<(Responsibility | null)[]> {
    const rows = await this.prisma.responsibility.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async careerStepsByIds(ids: readonly number[]): Promise<(CareerStep | null)[]> {
    const rows = await this.prisma.careerStep.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  careerStepsOf(roleIds: readonly number[]): Promise<CareerStep[]> {
    return this.prisma.careerStep.findMany({
      where: { roleId: { in: [...roleIds] } },
      orderBy: [{ roleId: 'asc' }, { position: 'asc' }],
    });
  }
}
