import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import type { CareerStep, Responsibility } from '../generated/prisma/client.ts';
import { degreeFiguresSql } from '../stats/posting-figures.ts';
import { countedCondition, degreeSql, reportCondition, salaryPostingSql } from '../db/sql/posting-conditions.ts';
import { OPEN_POSTINGS } from '../domain/posting-filter.ts';
import { safeAvg } from '../stats/safe-aggregates.ts';
import { SqlParams } from '../db/sql/sql-params.ts';
import { keysetCondition, type Direction, type Page, type PageRequest } from './postings.ts';
import type { RoleRecord } from './role-record.ts';

export type RoleOrderField = 'SLUG' | 'TITLE' | 'OPENINGS' | 'MEAN_SALARY' | 'MEDIAN_SALARY' | 'EMPLOYER_DEGREE_SHARE';

export interface RoleListRequest extends PageRequest {
  search?: string;
  orderBy: { field: RoleOrderField; direction: Direction };
  /** Whether openings and salaries count each group of duplicates once (default true). */
  dedupe?: boolean;
}

/** The one mapping of role columns to RoleRecord's fields (reads, and the writer's RETURNING), over alias `r`. */
export const ROLE_COLUMNS = `r.id, r.slug, r.title, r.summary, r.responsibilities_intro AS "responsibilitiesIntro",
  r.career_intro AS "careerIntro", r.career_steps_intro AS "careerStepsIntro", r.conclusion,
  r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

// Sort keys of the roles list; the cursor holds (key, slug). Statistics are doubles in the cursor.
const ROLE_KEYS: Record<RoleOrderField, { key: string; cast: string; nullable: boolean }> = {
  SLUG: { key: 'r.slug', cast: '::text', nullable: false },
  TITLE: { key: 'lower(r.title)', cast: '::text', nullable: false },
  OPENINGS: { key: 'coalesce(op.openings, 0)', cast: '::int', nullable: false },
  MEAN_SALARY: { key: 'sal.mean', cast: '::float8', nullable: true },
  MEDIAN_SALARY: { key: 'sal.median', cast: '::float8', nullable: true },
  // The employer share of docs/methodology.md; null (last) when no employer's requirement is known.
  EMPLOYER_DEGREE_SHARE: {
    key: 'deg.employers_requiring::float8 / nullif(deg.employers_known, 0)',
    cast: '::float8',
    nullable: true,
  },
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The lists of a role that its record can carry (RoleCatalog.bySlug). */
export interface RoleItems {
  responsibilities: Responsibility[];
  careerSteps: CareerStep[];
}
export type RoleItemsWanted = { [K in keyof RoleItems]?: boolean };
export type RoleWithItems = { role: RoleRecord } & Partial<RoleItems>;

const ITEM_COLUMNS = `id, role_id AS "roleId", position, title, text`;

/**
 * Reads of the role catalogue. Every method is one SQL statement, whatever the number of roles.
 * Plain SQL on a Queryable rather than Prisma, so that a GraphQL operation reads the catalogue
 * on the same snapshot (and connection) as its figures (src/db/read-session.ts).
 */
export class RoleCatalog {
  constructor(private readonly pool: Queryable) {}

  /**
   * A role by slug, with its responsibilities and career steps when asked for, in the same
   * statement (a role page needs all three: one round trip instead of three).
   */
  async bySlug(slug: string, include: RoleItemsWanted = {}): Promise<RoleWithItems | null> {
    const items = (table: string, as: string) =>
      `, (SELECT coalesce(json_agg(i ORDER BY i.position), '[]'::json)
          FROM (SELECT ${ITEM_COLUMNS} FROM ${table} WHERE role_id = r.id) i) AS "${as}"`;
    const { rows } = await this.pool.query<RoleRecord & Partial<RoleItems>>(
      `SELECT ${ROLE_COLUMNS}${include.responsibilities ? items('responsibility', 'responsibilities') : ''}${
        include.careerSteps ? items('career_step', 'careerSteps') : ''
      } FROM role r WHERE r.slug = $1`,
      [slug],
    );
    const row = rows[0];
    if (!row) return null;
    const { responsibilities, careerSteps, ...role } = row;
    return { role, responsibilities, careerSteps };
  }

  /** Roles by slug in one statement, in the order asked (null where there is none). */
  async bySlugs(slugs: readonly string[]): Promise<(RoleRecord | null)[]> {
    const { rows: found } = await this.pool.query<RoleRecord>(
      `SELECT ${ROLE_COLUMNS} FROM role r WHERE r.slug = ANY($1::text[])`,
      [slugs],
    );
    const bySlug = new Map(found.map((r) => [r.slug, r]));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  async byIds(ids: readonly number[]): Promise<(RoleRecord | null)[]> {
    const { rows } = await this.pool.query<RoleRecord>(
      `SELECT ${ROLE_COLUMNS} FROM role r WHERE r.id = ANY($1::int[])`,
      [ids],
    );
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
    const needsDegree = request.orderBy.field === 'EMPLOYER_DEGREE_SHARE';
    const at = needsOpenings || needsSalary || needsDegree ? params.add(asOf, '::timestamptz') : '';
    const open = { ...OPEN_POSTINGS, dedupe: request.dedupe ?? true };
    const { key, cast, nullable } = ROLE_KEYS[request.orderBy.field];
    const openings = needsOpenings
      ? `LEFT JOIN (SELECT p.role_id, count(*) AS openings FROM posting p WHERE ${countedCondition('p', open, at, params)} GROUP BY 1) op ON op.role_id = r.id`
      : '';
    const salary = needsSalary
      ? `LEFT JOIN (
           SELECT role_id, ${safeAvg('v')} AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median FROM (
             SELECT p.role_id, o.amount_usd AS v FROM posting p JOIN salary_observation o ON o.posting_id = ${salaryPostingSql('p', open)}
             WHERE ${countedCondition('p', open, at, params)}
             UNION ALL
             SELECT o.role_id, o.amount_usd FROM salary_observation o WHERE ${reportCondition('o', OPEN_POSTINGS, at, params)}
           ) x GROUP BY role_id
         ) sal ON sal.role_id = r.id`
      : '';
    const degree = needsDegree
      ? `LEFT JOIN (${degreeFiguresSql(
          `(SELECT p.role_id, p.employer_id, ${degreeSql('p', open)} AS degree_required FROM posting p WHERE ${countedCondition('p', open, at, params)}) dp`,
          'role_id',
        )}) deg ON deg.role_id = r.id`
      : '';
    const keyset = request.after
      ? ` AND ${keysetCondition(key, 'r.slug', dir, request.after, params, cast, nullable)}`
      : '';
    const total = request.withTotal ? `(SELECT count(*)::int FROM role r WHERE ${where})` : 'NULL::int';
    const sql = `
SELECT ${total} AS total, page.*
FROM (SELECT 1) one
LEFT JOIN LATERAL (
  SELECT ${ROLE_COLUMNS}, ${key} AS sort_key FROM role r ${openings} ${salary} ${degree}
  WHERE ${where}${keyset}
  ORDER BY ${key} ${dir} NULLS LAST, r.slug ${dir}
  LIMIT ${params.add(request.first + 1)}
) page ON true`;
    const { rows } = await hotQuery<
      RoleRecord & { total: number | null; id: number | null; sort_key: string | number | null }
    >(this.pool, sql, params.values);
    const totalCount = rows[0]?.total ?? null;
    const found = rows.filter((r) => r.id !== null).slice(0, request.first);
    return {
      items: found.map(({ total: _total, sort_key: _key, ...role }) => role as RoleRecord),
      keys: found.map((r) => [r.sort_key, r.slug]),
      hasNextPage: rows.filter((r) => r.id !== null).length > request.first,
      totalCount,
    };
  }

  async responsibilitiesOf(roleIds: readonly number[]): Promise<Responsibility[]> {
    const { rows } = await this.pool.query<Responsibility>(
      `SELECT ${ITEM_COLUMNS} FROM responsibility WHERE role_id = ANY($1::int[]) ORDER BY role_id, position`,
      [roleIds],
    );
    return rows;
  }

  async responsibilitiesByIds(ids: readonly number[]): Promise<(Responsibility | null)[]> {
    const { rows } = await this.pool.query<Responsibility>(
      `SELECT ${ITEM_COLUMNS} FROM responsibility WHERE id = ANY($1::int[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async careerStepsByIds(ids: readonly number[]): Promise<(CareerStep | null)[]> {
    const { rows } = await this.pool.query<CareerStep>(
      `SELECT ${ITEM_COLUMNS} FROM career_step WHERE id = ANY($1::int[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async careerStepsOf(roleIds: readonly number[]): Promise<CareerStep[]> {
    const { rows } = await this.pool.query<CareerStep>(
      `SELECT ${ITEM_COLUMNS} FROM career_step WHERE role_id = ANY($1::int[]) ORDER BY role_id, position`,
      [roleIds],
    );
    return rows;
  }
}
