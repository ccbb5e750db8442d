import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import { SqlParams, type Statement } from '../db/sql/sql-params.ts';
import {
  POSTING_FIGURE_COLUMNS,
  POSTING_FIGURE_JOINS,
  postingFigureCtes,
  toPostingFigures,
  type PostingFigureRow,
  type PostingFiguresRecord,
} from './posting-figures.ts';
import {
  observationCtes,
  SALARY_FIGURE_COLUMNS,
  salaryFigureCtes,
  salaryFigureJoins,
  toSalaryWithHistogram,
  UnknownCurrencyError,
  FIGURE_AGGREGATES,
  toSalaryFigures,
  type SalaryFigures,
  type SalaryHistogramRow,
  type SalarySpec,
  type SalaryWithHistogram,
} from './salary-stats.ts';

export interface RoleFigures {
  posting: PostingFiguresRecord;
  /**
   * The histogram is empty when no bucket count was asked for. An UnknownCurrencyError when the
   * spec's currency has no rate: only the salary fields fail, the posting figures still answer.
   */
  salary: SalaryWithHistogram | UnknownCurrencyError;
  /** With a spec that excludes outliers: the figures of the same spec with them (a role page shows both). */
  withOutliers?: SalaryFigures;
}

/**
 * A role's posting figures (loadPostingFigures), salary figures (loadSalaryFigures) and, with
 * `buckets`, an equal-width histogram (and, for a spec that excludes outliers, the figures with
 * them too: all of `obs` where the spec's keep `kept`), in one statement that reads the role's counted postings
 * once: the salary observations are joined to the rows the posting figures count. `spec` must
 * count the postings of `spec.filter`. The same figures as the separate loaders:
 * the README's query, a role page's headline panels.
 */
export async function loadRoleFigures(
  db: Queryable,
  roleIds: readonly number[],
  spec: SalarySpec,
  buckets: number | undefined,
  asOf: Date,
): Promise<RoleFigures[]> {
  const statement = roleFiguresStatement(roleIds, spec, buckets, asOf);
  const { rows } = await hotQuery<RoleFigureRow>(db, statement.text, statement.values);
  return toRoleFigures(rows, roleIds, spec);
}

type WithOutliersRow = {
  w_count?: number;
  w_mean?: number | null;
  w_pct?: number[] | null;
  w_min?: number | null;
  w_max?: number | null;
  w_stddev?: number | null;
};

/** A row of loadRoleFigures' statement: plain numbers and arrays (figure snapshots store it as JSON). */
export type RoleFigureRow = PostingFigureRow & SalaryHistogramRow & WithOutliersRow;

/** The statement of loadRoleFigures; its text depends on the spec and `buckets` only, never on the roles or the instant. */
export function roleFiguresStatement(
  roleIds: readonly number[],
  spec: SalarySpec,
  buckets: number | undefined,
  asOf: Date,
): Statement {
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const text = `
WITH ${postingFigureCtes(params, ids, spec.filter, at)},
${observationCtes(params, ids, spec, at, undefined, 'matching')},
${salaryFigureCtes(params, 'salary_figures', buckets)}${
  spec.excludeOutliers
    ? `,
all_figures AS (SELECT role_id, ${FIGURE_AGGREGATES} FROM obs GROUP BY role_id)`
    : ''
}
SELECT ids.role_id, ${POSTING_FIGURE_COLUMNS}, ${SALARY_FIGURE_COLUMNS}${
    spec.excludeOutliers
      ? `,
       coalesce(w.count, 0) AS w_count, w.mean AS w_mean, w.pct AS w_pct, w.min AS w_min, w.max AS w_max, w.stddev AS w_stddev`
      : ''
  }
FROM unnest(${ids}) AS ids(role_id)
${POSTING_FIGURE_JOINS}
${salaryFigureJoins('salary_figures', buckets)}${spec.excludeOutliers ? '\nLEFT JOIN all_figures w ON w.role_id = ids.role_id' : ''}`;
  return { text, values: params.values };
}

/** The figures of `roleIds`, in their order, from the rows of roleFiguresStatement. */
export function toRoleFigures(
  rows: readonly RoleFigureRow[],
  roleIds: readonly number[],
  spec: SalarySpec,
): RoleFigures[] {
  const unknownCurrency = rows[0] && rows[0].rate === null ? new UnknownCurrencyError(spec.currency) : undefined;
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`role figures missing for role ${id}`);
    const withOutliers =
      r.w_count === undefined
        ? undefined
        : toSalaryFigures({
            n_all: r.w_count,
            count: r.w_count,
            mean: r.w_mean ?? null,
            pct: r.w_pct ?? null,
            min: r.w_min ?? null,
            max: r.w_max ?? null,
            stddev: r.w_stddev ?? null,
          });
    return { posting: toPostingFigures(r), salary: unknownCurrency ?? toSalaryWithHistogram(r), withOutliers };
  });
}
