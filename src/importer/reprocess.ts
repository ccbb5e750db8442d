import type pg from 'pg';
import { dedupeKey, dedupeWindowDays, regroupSql } from './posting-groups.ts';
import { degreeRequiredOf, educationOf, type EducationOrigin } from '../domain/education.ts';

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
  run(client: pg.ClientBase, batch: readonly StoredPosting[], options: ReprocessOptions): Promise<number>;
}

export interface ReprocessOptions {
  batchSize?: number;
  /** Days of the duplicate window (DEDUPE_WINDOW_DAYS by default). */
  windowDays?: number;
  /** After every batch: postings done so far and the total. */
  onProgress?: (progress: { rows: number; total: number }) => void;
}

export interface ReprocessSummary {
  postings: number;
  batches: number;
  /** Postings changed per step, by step name. */
  changed: Record<string, number>;
  seconds: number;
}

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
      const same = e.requirement === p.educationRequirement && e.level === p.educationLevel && e.evidence === p.educationEvidence;
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
    let changed = 0;
    for (const sql of regroupSql(touched, options.windowDays ?? dedupeWindowDays())) {
      const result = sql.includes('$1') ? await client.query(sql, [ids]) : await client.query(sql);
      if (result.command === 'UPDATE') changed += result.rowCount ?? 0;
    }
    return changed;
  },
};

/** The steps of `npm run reprocess`, in order. Extraction steps go before `regroupStep`. */
export const REPROCESS_STEPS: ReprocessStep[] = [dedupeKeyStep, educationStep, regroupStep];

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
  const summary: ReprocessSummary = { postings: 0, batches: 0, changed: Object.fromEntries(steps.map((s) => [s.name, 0])), seconds: 0 };
  const client = await pool.connect();
  let broken = false;
  try {
    const total = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM posting')).rows[0]?.n ?? 0;
    let after = 0;
    for (;;) {
      await client.query('BEGIN');
      try {
        const { rows } = await client.query<StoredPosting>(
          `SELECT id, title, location, dedupe_key AS "dedupeKey", description, education_origin AS "educationOrigin",
                  education_requirement AS "educationRequirement", education_level AS "educationLevel", education_evidence AS "educationEvidence"
           FROM posting WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE`,
          [after, batchSize],
        );
        if (rows.length === 0) {
          await client.query('COMMIT');
          break;
        }
        for (const step of steps) summary.changed[step.name] = (summary.changed[step.name] ?? 0) + (await step.run(client, rows, options));
        await client.query('COMMIT');
        after = (rows[rows.length - 1] as StoredPosting).id;
        summary.postings += rows.length;
        summary.batches += 1;
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
