import type pg from 'pg';
import { ROLE_COLUMNS } from './roles.ts';
import type { RoleRecord } from './role-record.ts';
import type { RoleInput } from './role-input.ts';

interface Item {
  title: string;
  text: string;
}

/** Where a role page is written: the pool, and the statement_timeout of the service's write transactions. */
export interface RoleWriteTarget {
  pool: pg.Pool;
  writeStatementTimeoutMs?: number;
}

const sameItems = (a: Item[], b: Item[]): boolean =>
  a.length === b.length && a.every((x, i) => x.title === b[i]?.title && x.text === b[i]?.text);

// The page's prose columns, in the order of the statements' parameters $2..$7.
const PROSE = ['title', 'summary', 'responsibilitiesIntro', 'careerIntro', 'careerStepsIntro', 'conclusion'] as const;

/**
 * Creates or replaces a role's page (title, prose, ordered responsibilities and career steps)
 * in one transaction. A page identical to the stored one is not written at all, so re-running
 * a seed changes nothing, not even updated_at. SQL over pg (no Prisma client at run time:
 * docs/architecture.md), with the column mapping of src/catalog/roles.ts.
 */
export async function upsertRole(
  db: RoleWriteTarget,
  input: RoleInput,
): Promise<{ role: RoleRecord; changed: boolean }> {
  const client = await db.pool.connect();
  let done = false;
  try {
    const timeout = db.writeStatementTimeoutMs
      ? `; SET LOCAL statement_timeout = ${Math.floor(db.writeStatementTimeoutMs)}`
      : '';
    await client.query(`BEGIN${timeout}`);
    // The row lock makes a concurrent write of the same page wait, so the comparison holds until COMMIT.
    const { rows: found } = await client.query<RoleRecord & { responsibilities: Item[]; career_steps: Item[] }>(
      `SELECT ${ROLE_COLUMNS},
              coalesce((SELECT json_agg(json_build_object('title', x.title, 'text', x.text) ORDER BY x.position)
                        FROM responsibility x WHERE x.role_id = r.id), '[]') AS responsibilities,
              coalesce((SELECT json_agg(json_build_object('title', x.title, 'text', x.text) ORDER BY x.position)
                        FROM career_step x WHERE x.role_id = r.id), '[]') AS career_steps
       FROM role r WHERE r.slug = $1 FOR UPDATE`,
      [input.slug],
    );
    const existing = found[0];
    if (
      existing &&
      PROSE.every((key) => existing[key] === input[key]) &&
      sameItems(existing.responsibilities, input.responsibilities) &&
      sameItems(existing.career_steps, input.careerSteps)
    ) {
      await client.query('COMMIT');
      done = true;
      const { responsibilities: _r, career_steps: _c, ...role } = existing;
      return { role, changed: false };
    }
    const { rows } = await client.query<RoleRecord>(
      `INSERT INTO role AS r (slug, title, summary, responsibilities_intro, career_intro, career_steps_intro, conclusion)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (slug) DO UPDATE SET title = EXCLUDED.title, summary = EXCLUDED.summary,
         responsibilities_intro = EXCLUDED.responsibilities_intro, career_intro = EXCLUDED.career_intro,
         career_steps_intro = EXCLUDED.career_steps_intro, conclusion = EXCLUDED.conclusion, updated_at = now()
       RETURNING ${ROLE_COLUMNS}`,
      [input.slug, ...PROSE.map((key) => input[key])],
    );
    const role = rows[0] as RoleRecord;
    for (const [table, items] of [
      ['responsibility', input.responsibilities],
      ['career_step', input.careerSteps],
    ] as const) {
      // Table names are the two constants above, never input.
      await client.query(`DELETE FROM ${table} WHERE role_id = $1`, [role.id]);
      if (items.length === 0) continue;
      await client.query(
        `INSERT INTO ${table} (role_id, position, title, text)
         SELECT $1, i.position, i.title, i.text FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS i(title, text, position)`,
        [role.id, items.map((x) => x.title), items.map((x) => x.text)],
      );
    }
    await client.query('COMMIT');
    done = true;
    return { role, changed: true };
  } finally {
    if (!done) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
