import type pg from 'pg';
import { hotQuery } from '../db/prepared.ts';
import type { PrismaClient } from '../db/prisma.ts';
import type { CareerStep, Responsibility } from '../generated/prisma/client.ts';
import { OPEN_POSTINGS, postingCondition, reportCondition } from '../stats/posting-filter.ts';
import { SqlParams } from '../stats/sql-params.ts';
import { keysetCondition, type Direction, type Page, type PageRequest } from './postings.ts';
import type { RoleRecord } from './role-record.ts';

export type RoleOrderField = 'SLUG' | 'TITLE' | 'OPENINGS' | 'MEAN_SALARY' | 'MEDIAN_SALARY';

export interface RoleListRequest extends PageRequest {
  search?: string;
  orderBy: { field: RoleOrderField; direction: Direction };
}

const ROLE_COLUMNS = `r.id, r.slug, r.title, r.summary, r.responsibilities_intro AS "responsibilitiesIntro",
  r.career_intro AS "careerIntro", r.career_steps_intro AS "careerStepsIntro", r.conclusion,
  r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

// Sort keys of the roles list; the cursor holds (key, slug). Statistics are doubles in the cursor.
const ROLE_KEYS: Record<RoleOrderField, { key: string; cast: string; nullable: boolean }> = {
  SLUG: { key: 'r.slug', cast: '::text', nullable: false },
  TITLE: { key: 'lower(r.title)', cast: '::text', nullable: false },
  OPENINGS: { key: 'coalesce(op.openings, 0)', cast: '::int', nullable: false },
  MEAN_SALARY: { key: 'sal.mean', cast: '::float8', nullable: true },
  MEDIAN_SALARY: { key: 'sal.median', cast: '::float8', nullable: true },
};

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

  async byIds(ids: readonly number[]): Promise<(RoleRecord | null)[]> {
    const rows = await this.prisma.role.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * A page of roles matching `search` (title or slug, case-insensitive substring), ordered by
   * the requested field (statistics as of `asOf`, over open postings and reports, in USD; roles
   * without a figure last), ties broken by slug, starting after the cursor's (key, slug), in one
   * statement; the count of matching roles only when asked for.
   */
  async list(request: RoleListRequest, asOf: Date): Promise<Page<RoleRecord>> {
    const params = new SqlParams();
    const pattern = request.search ? params.add(`%${escapeLike(request.search)}%`) : undefined;
    const where = pattern ? `(r.title ILIKE ${pattern} OR r.slug ILIKE ${pattern})` : 'true';
    const dir = request.orderBy.direction === 'DESC' ? 'DESC' : 'ASC';
    const needsOpenings = request.orderBy.field === 'OPENINGS';
    const needsSalary = request.orderBy.field === 'MEAN_SALARY' || request.orderBy.field === 'MEDIAN_SALARY';
    const at = needsOpenings || needsSalary ? params.add(asOf, '::timestamptz') : '';
    const { key, cast, nullable } = ROLE_KEYS[request.orderBy.field];
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
    const keyset = request.after ? ` AND ${keysetCondition(key, 'r.slug', dir, request.after, params, cast, nullable)}` : '';
    const total = request.withTotal ? `(SELECT count(*)::int FROM role r WHERE ${where})` : 'NULL::int';
    const sql = `
SELECT ${total} AS total, page.*
FROM (SELECT 1) one
LEFT JOIN LATERAL (
  SELECT ${ROLE_COLUMNS}, ${key} AS sort_key FROM role r ${openings} ${salary}
  WHERE ${where}${keyset}
  ORDER BY ${key} ${dir} NULLS LAST, r.slug ${dir}
  LIMIT ${params.add(request.first + 1)}
) page ON true`;
    const { rows } = await hotQuery<RoleRecord & { total: number | null; id: number | null; sort_key: string | number | null }>(this.pool, sql, params.values);
    const totalCount = rows[0]?.total ?? null;
    const found = rows.filter((r) => r.id !== null).slice(0, request.first);
    return {
      items: found.map(({ total: _total, sort_key: _key, ...role }) => role as RoleRecord),
      keys: found.map((r) => [r.sort_key, r.slug]),
      hasNextPage: rows.filter((r) => r.id !== null).length > request.first,
      totalCount,
    };
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
