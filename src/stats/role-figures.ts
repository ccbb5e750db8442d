import type { Queryable } from '../db/read-session.ts';
import { hotQuery } from '../db/prepared.ts';
import { SqlParams } from '../db/sql/sql-params.ts';
import { filterKey, type PostingFilter } from '../domain/posting-filter.ts';
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
  type SalaryHistogramRow,
  type SalarySpec,
  type SalaryWithHistogram,
} from './salary-stats.ts';

export interface RoleFigures {
  posting: PostingFiguresRecord;
  /** The histogram is empty when no bucket count was asked for. */
  salary: SalaryWithHistogram;
}

/**
 * A role's posting figures (loadPostingFigures), salary figures (loadSalaryFigures) and, with
 * `buckets`, an equal-width histogram, in one statement that reads the role's counted postings
 * once: the salary observations are joined to the rows the posting figures count. `spec` must
 * cover the same postings (its filter is `filter`). The same figures as the separate loaders:
 * the README's query, a role page's headline panels.
 */
export async function loadRoleFigures(
  db: Queryable,
  roleIds: readonly number[],
  filter: PostingFilter,
  spec: SalarySpec,
  buckets: number | undefined,
  asOf: Date,
): Promise<RoleFigures[]> {
  if (filterKey(spec.filter) !== filterKey(filter))
    throw new Error('loadRoleFigures: the salary spec must cover the postings of the filter');
  const params = new SqlParams();
  const ids = params.add(roleIds, '::int[]');
  const at = params.add(asOf, '::timestamptz');
  const sql = `
WITH ${postingFigureCtes(params, ids, filter, at)},
${observationCtes(params, ids, spec, at, undefined, 'matching')},
${salaryFigureCtes(params, 'salary_figures', buckets)}
SELECT ids.role_id, ${POSTING_FIGURE_COLUMNS}, ${SALARY_FIGURE_COLUMNS}
FROM unnest(${ids}) AS ids(role_id)
${POSTING_FIGURE_JOINS}
${salaryFigureJoins('salary_figures', buckets)}`;
  const { rows } = await hotQuery<PostingFigureRow & SalaryHistogramRow>(db, sql, params.values);
  if (rows[0] && rows[0].rate === null) throw new UnknownCurrencyError(spec.currency);
  const byId = new Map(rows.map((r) => [r.role_id, r]));
  return roleIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`role figures missing for role ${id}`);
    return { posting: toPostingFigures(r), salary: toSalaryWithHistogram(r) };
  });
}
