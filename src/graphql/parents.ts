import type { PostingFilter } from '../domain/posting-filter.ts';
import type { RoleRecord } from '../catalog/role-record.ts';
import type { BreakdownKeyRecord, Dimension } from '../stats/breakdown.ts';
import type { DegreeRequirementRecord } from '../stats/posting-figures.ts';
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

/** A group's salary figures (null when suppressed). */
export interface GroupSalaryParent {
  currency: string;
  figures: SalaryFigures;
  suppressed: boolean;
}

export interface BreakdownGroupParent {
  key: BreakdownKeyRecord[];
  openings: number;
  employers: number;
  salary: GroupSalaryParent;
  degreeRequirement: DegreeRequirementRecord;
}

export interface BreakdownParent {
  by: Dimension[];
  totalGroups: number;
  groups: BreakdownGroupParent[];
}

/** One role of `compare`: the role, the comparison's filter and currency. */
export interface ComparedRoleParent {
  role: RoleRecord;
  filter: PostingFilter;
  currency: string;
}
