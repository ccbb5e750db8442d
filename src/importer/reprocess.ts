import type pg from 'pg';
import type { SalaryPeriod } from '../domain/field-rules.ts';
import { loadValidationContext } from './upsert-batch.ts';
import { dedupeKey, dedupeWindowDays, regroup } from './posting-groups.ts';
import { loadRoleFileRules } from './raw-postings.ts';
import { postingObservationsSql } from './upsert-postings.ts';
import { degreeRequiredOf, educationOf, type EducationOrigin } from '../domain/education.ts';
import { parseSalaryText } from './raw/salary-text.ts';
import { TitleClassifier, type TitleRule } from './raw/title-rules.ts';
import { DEFAULT_SALARY_BOUNDS, type SalaryBounds } from '../domain/salary.ts';
import { amountUsdSql, annualizedSql } from '../db/sql/salary-sql.ts';

/** The stored postings of one batch, as the steps read them. */
export interface StoredPosting {
  id: number;
  title: string | null;
  location: string | null;
  dedupeKey: string | null;
  description: string | null;
  educationOrigin: EducationOrigin | null;
  educationRequirement: string | null;
  educationLevel: string | null;
  educationEvidence: string | null;
  role: string;
  roleOrigin: 'STATED' | 'TITLE';
  salaryOrigin: 'STATED' | 'TEXT' | null;
  salaryText: string | null;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string | null;
  salaryPeriod: SalaryPeriod | null;
  salaryEstimated: boolean | null;
}

/**
 * One step of `npm run reprocess`: re-derives something of the stored postings from their own
 * fields, after the rules changed. Steps run in the order of the list on each batch, in the
 * batch's transaction; a step that changes nothing must write nothing (a second run is a no-op).
 * Steps that derive fields from the raw text (role from title, salary from text, education from
 * the description) come before `regroup`, which reads their results into the groups' figures.
 */
export interface ReprocessStep {
  /** Shown in the summary, e.g. `dedupe key`. */
  name: string;
  /** Returns how many postings of the batch the step changed. */
  run(client: pg.ClientBase, batch: readonly StoredPosting[], options: ReprocessRun): Promise<number>;
}

/** The options as the steps read them, with what is loaded once per run. */
export interface ReprocessRun extends ReprocessOptions {
  classifier: TitleClassifier;
  knownCurrencies: Set<string>;
  bounds: SalaryBounds;
  /** Counted by the steps: TITLE-origin postings whose title no rule matches (no --default-role), kept in their role. */
  unclassifiedTitles: number;
}

export interface ReprocessOptions {
  batchSize?: number;
  /** Days of the duplicate window (DEDUPE_WINDOW_DAYS by default). */
  windowDays?: number;
  /** After every batch: postings done so far and the total. */
  onProgress?: (progress: { rows: number; total: number }) => void;
  /** Rules before the role data files' (the import's --roles). */
  titleRules?: TitleRule[];
  /** Role of a TITLE-origin posting whose title no rule matches (the import's --default-role); without it such a posting keeps its role. */
  defaultRole?: string;
  /** Folder of the role data files (data/roles by default). */
  rolesDir?: string;
  /** The plausible salary range (rule salaryImplausible), as at import. */
  salaryBounds?: SalaryBounds;
}

export interface ReprocessSummary {
  postings: number;
  batches: number;
  /** Postings changed per step, by step name. */
  changed: Record<string, number>;
  /** Postings whose role came from the title that no current rule classifies (and no --default-role): kept in their role. */
  unclassifiedTitles: number;
  seconds: number;
}

/**
 * Brings the salary observation of each posting of $1 in step with the posting, as the import's
 * upsert does (upsert-postings.ts): one observation with the midpoint, annualized and converted
 * at the rate of postedAt, under the posting's role; none without a salary.
 */
const syncObservationsSql = `WITH p AS (SELECT * FROM posting WHERE id = ANY($1::int[])),
     dropped AS (
       DELETE FROM salary_observation o USING p WHERE o.posting_id = p.id AND p.salary_min IS NULL AND p.salary_max IS NULL
     )
     ${postingObservationsSql('p')}`;

/**
 * Classifies again by the current title rules (--roles first, then data/roles/*.json) the
 * postings whose role came from their title (role origin TITLE); a stated role is kept. A title
 * no rule matches gets --default-role when given, else keeps its role (counted). A role that does
 * not exist yet is created, titled by its rule, as the import does. Before regroup.
 */
export const roleStep: ReprocessStep = {
  name: 'role',
  async run(client, batch, options) {
    const stale = batch.flatMap((p) => {
      if (p.roleOrigin !== 'TITLE' || p.title === null || p.title.trim() === '') return [];
      const rule = options.classifier.classify(p.title);
      const role = rule?.role ?? options.defaultRole;
      if (role === undefined) {
        options.unclassifiedTitles++;
        return [];
      }
      return role === p.role ? [] : [{ id: p.id, role, title: rule?.title ?? null }];
    });
    if (stale.length === 0) return 0;
    await client.query(
      `INSERT INTO role (slug, title)
       SELECT DISTINCT ON (u.slug) u.slug, COALESCE(u.title, initcap(replace(u.slug, '-', ' ')))
       FROM unnest($1::text[], $2::text[]) AS u(slug, title)
       WHERE NOT EXISTS (SELECT 1 FROM role r WHERE r.slug = u.slug)
       ORDER BY u.slug, u.title IS NULL
       ON CONFLICT (slug) DO NOTHING`,
      [stale.map((x) => x.role), stale.map((x) => x.title)],
    );
    await client.query(
      `UPDATE posting p SET role_id = r.id, updated_at = now()
       FROM unnest($1::int[], $2::text[]) AS u(id, slug) JOIN role r ON r.slug = u.slug WHERE p.id = u.id`,
      [stale.map((x) => x.id), stale.map((x) => x.role)],
    );
    await client.query(syncObservationsSql, [stale.map((x) => x.id)]);
    return stale.length;
  },
};

/** The salary a TEXT-origin posting gets from its text now (before the plausibility check, which needs the rates). */
function salaryFromText(p: StoredPosting, knownCurrencies: ReadonlySet<string>) {
  // The stored currency is the one the text was read with (or the row's own when it could not be read).
  const parsed = parseSalaryText(p.salaryText as string, p.salaryCurrency);
  if (parsed.ok && (parsed.salary.currency === 'USD' || knownCurrencies.has(parsed.salary.currency))) {
    const { min, max, currency, period, estimated } = parsed.salary;
    return { min, max, currency, period: period as string | null, estimated: estimated as boolean | null };
  }
  // Unreadable: no salary. A posting whose text could not be read before either keeps the row's own currency, period and marker.
  const before = p.salaryMin === null && p.salaryMax === null;
  return {
    min: null,
    max: null,
    currency: before ? p.salaryCurrency : null,
    period: before ? (p.salaryPeriod as string | null) : null,
    estimated: before ? p.salaryEstimated : null,
  };
}

/**
 * Reads the salary again from salary_text with the current parser (docs/methodology.md, "Salary
 * from text") for the postings whose salary was read from it (salary origin TEXT); a stated
 * salary is kept. As at import, a salary read that falls outside the plausible range
 * (salaryImplausible) is dropped, not the posting. The salary observations follow. Before
 * regroup, which picks each group's salary.
 */
export const salaryStep: ReprocessStep = {
  name: 'salary',
  async run(client, batch, options) {
    const todo = batch.filter((p) => p.salaryOrigin === 'TEXT' && p.salaryText !== null);
    if (todo.length === 0) return 0;
    const read = todo.map((p) => ({ id: p.id, ...salaryFromText(p, options.knownCurrencies) }));
    const usd = (bound: string) => amountUsdSql(annualizedSql(bound, 'u.per'), 'u.cur', 'p.posted_at');
    const outside = (bound: string) =>
      `(${bound} IS NOT NULL AND (${usd(bound)} < $7::float8 OR ${usd(bound)} > $8::float8))`;
    const { rows } = await client.query<{ id: number }>(
      `WITH u AS (
         SELECT u.*, ${outside('u.mn')} OR ${outside('u.mx')} AS implausible
         FROM unnest($1::int[], $2::float8[], $3::float8[], $4::text[], $5::text[], $6::boolean[]) AS u(id, mn, mx, cur, per, est)
         JOIN posting p ON p.id = u.id
       ), n AS (
         SELECT id, CASE WHEN implausible THEN NULL ELSE mn END AS mn, CASE WHEN implausible THEN NULL ELSE mx END AS mx,
                CASE WHEN implausible THEN NULL ELSE cur END AS cur, CASE WHEN implausible THEN NULL ELSE per END::"SalaryPeriod" AS per,
                CASE WHEN implausible THEN NULL ELSE est END AS est
         FROM u
       )
       UPDATE posting p SET salary_min = n.mn, salary_max = n.mx, salary_currency = n.cur, salary_period = n.per, salary_estimated = n.est,
              updated_at = now()
       FROM n
       WHERE p.id = n.id
         AND (p.salary_min, p.salary_max, p.salary_currency, p.salary_period, p.salary_estimated)
             IS DISTINCT FROM (n.mn, n.mx, n.cur, n.per, n.est)
       RETURNING p.id`,
      [
        read.map((x) => x.id),
        read.map((x) => x.min),
        read.map((x) => x.max),
        read.map((x) => x.currency),
        read.map((x) => x.period),
        read.map((x) => x.estimated),
        options.bounds.minUsdPerYear,
        options.bounds.maxUsdPerYear,
      ],
    );
    if (rows.length === 0) return 0;
    await client.query(syncObservationsSql, [rows.map((r) => r.id)]);
    return rows.length;
  },
};

/** Recomputes each posting's duplicate key from its title and location (docs/methodology.md). */
export const dedupeKeyStep: ReprocessStep = {
  name: 'dedupe key',
  async run(client, batch) {
    const stale = batch.filter((p) => p.dedupeKey !== dedupeKey(p.title, p.location));
    if (stale.length === 0) return 0;
    await client.query(
      `UPDATE posting p SET dedupe_key = u.k FROM unnest($1::int[], $2::text[]) AS u(id, k) WHERE p.id = u.id`,
      [stale.map((p) => p.id), stale.map((p) => dedupeKey(p.title, p.location))],
    );
    return stale.length;
  },
};

/**
 * Reads the degree requirement again from the description (docs/methodology.md, "Degree
 * requirement from the text") for the postings whose label was read from it (origin TEXT); a
 * stated label (origin STATED) is kept, as the stated value wins over the text. Before regroup,
 * which copies the labels into the groups.
 */
export const educationStep: ReprocessStep = {
  name: 'education',
  async run(client, batch) {
    const stale = batch.flatMap((p) => {
      if (p.educationOrigin !== 'TEXT' || p.description === null) return [];
      const e = educationOf({ degreeRequired: null, educationRequirements: null, description: p.description });
      const same =
        e.requirement === p.educationRequirement && e.level === p.educationLevel && e.evidence === p.educationEvidence;
      return same ? [] : [{ id: p.id, e }];
    });
    if (stale.length === 0) return 0;
    await client.query(
      `UPDATE posting p SET education_requirement = u.r::"EducationRequirement", education_level = u.l::"EducationLevel",
              education_evidence = u.ev, degree_required = u.d, updated_at = now()
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::boolean[]) AS u(id, r, l, ev, d) WHERE p.id = u.id`,
      [
        stale.map((x) => x.id),
        stale.map((x) => x.e.requirement),
        stale.map((x) => x.e.level),
        stale.map((x) => x.e.evidence),
        stale.map((x) => degreeRequiredOf(x.e.requirement)),
      ],
    );
    return stale.length;
  },
};

/**
 * Regroups every key of the batch's postings (and of the groups they were in) with the current
 * window: groups, their earliest members, salaries and degree requirements.
 */
export const regroupStep: ReprocessStep = {
  name: 'groups',
  async run(client, batch, options) {
    const ids = batch.map((p) => p.id);
    const touched = `SELECT p.id, p.group_id, p.employer_id, p.dedupe_key FROM posting p WHERE p.id = ANY($1::int[])`;
    return regroup(client, touched, [ids], options.windowDays ?? dedupeWindowDays());
  },
};

/** The steps of `npm run reprocess`, in order. Extraction steps go before `regroupStep`. */
export const REPROCESS_STEPS: ReprocessStep[] = [dedupeKeyStep, roleStep, salaryStep, educationStep, regroupStep];

export const DEFAULT_REPROCESS_BATCH = 5000;

/**
 * Re-derives what the import derives for every stored posting, batch by batch in id order, each
 * batch in its own transaction (an interrupted run keeps the batches done; running again
 * finishes the job and changes nothing more).
 */
export async function reprocessPostings(
  pool: pg.Pool,
  options: ReprocessOptions = {},
  steps: readonly ReprocessStep[] = REPROCESS_STEPS,
): Promise<ReprocessSummary> {
  const started = process.hrtime.bigint();
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_REPROCESS_BATCH));
  const summary: ReprocessSummary = {
    postings: 0,
    batches: 0,
    changed: Object.fromEntries(steps.map((s) => [s.name, 0])),
    unclassifiedTitles: 0,
    seconds: 0,
  };
  const client = await pool.connect();
  let broken = false;
  try {
    const run: ReprocessRun = {
      ...options,
      classifier: new TitleClassifier([...(options.titleRules ?? []), ...loadRoleFileRules(options.rolesDir)]),
      knownCurrencies: (await loadValidationContext(client)).knownCurrencies,
      bounds: options.salaryBounds ?? DEFAULT_SALARY_BOUNDS,
      unclassifiedTitles: 0,
    };
    const total = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM posting')).rows[0]?.n ?? 0;
    let after = 0;
    for (;;) {
      await client.query('BEGIN');
      try {
        const { rows } = await client.query<StoredPosting>(
          `SELECT p.id, p.title, p.location, p.dedupe_key AS "dedupeKey", p.description, p.education_origin AS "educationOrigin",
                  p.education_requirement AS "educationRequirement", p.education_level AS "educationLevel",
                  p.education_evidence AS "educationEvidence", r.slug AS role, p.role_origin AS "roleOrigin",
                  p.salary_origin AS "salaryOrigin",
                  p.salary_text AS "salaryText", p.salary_min AS "salaryMin", p.salary_max AS "salaryMax",
                  trim(p.salary_currency) AS "salaryCurrency", p.salary_period AS "salaryPeriod", p.salary_estimated AS "salaryEstimated"
           FROM posting p JOIN role r ON r.id = p.role_id WHERE p.id > $1 ORDER BY p.id LIMIT $2 FOR UPDATE OF p`,
          [after, batchSize],
        );
        if (rows.length === 0) {
          await client.query('COMMIT');
          break;
        }
        for (const step of steps)
          summary.changed[step.name] = (summary.changed[step.name] ?? 0) + (await step.run(client, rows, run));
        await client.query('COMMIT');
        after = (rows[rows.length - 1] as StoredPosting).id;
        summary.postings += rows.length;
        summary.batches += 1;
        summary.unclassifiedTitles = run.unclassifiedTitles;
        options.onProgress?.({ rows: summary.postings, total: Math.max(total, summary.postings) });
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      }
    }
  } finally {
    client.release(broken ? true : undefined);
  }
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}
