import type { PostingFilter } from '../stats/posting-filter.ts';
import type { SalaryFigures, SalarySpec } from '../stats/salary-stats.ts';

/** What a RoleStats object carries to its fields: which role and which postings. */
export interface RoleStatsParent {
  roleId: number;
  filter: PostingFilter;
}

/** A SalaryStats object: its figures, and the spec its histogram is computed over. */
export interface SalaryStatsParent {
  roleId: number;
  spec: SalarySpec;
  figures: SalaryFigures;
  suppressed: boolean;
}
