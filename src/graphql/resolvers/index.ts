import type { Resolvers } from '../generated/resolvers-types.ts';
import { toGlobalId } from '../global-id.ts';
import { DateTime } from '../scalars/date-time.ts';
import { Mutation } from './mutation.ts';
import { Employer, Posting, SalaryReport } from './posting.ts';
import type { NODE_TYPES } from './node.ts';
import { Query } from './query.ts';
import { Role } from './role.ts';
import { BreakdownKey, ComparedRole, GroupSalary, RoleStats, SalaryStats } from './salary-stats.ts';

export const resolvers: Resolvers = {
  DateTime,
  Node: {
    // resolveNode tags each record with its type.
    __resolveType: (node) => (node as unknown as { __typename: (typeof NODE_TYPES)[number] }).__typename,
  },
  Query,
  Mutation,
  Role,
  Responsibility: { id: (item) => toGlobalId('Responsibility', item.id) },
  CareerStep: { id: (item) => toGlobalId('CareerStep', item.id) },
  RoleStats,
  SalaryStats,
  BreakdownKey,
  GroupSalary,
  ComparedRole,
  Posting,
  Employer,
  SalaryReport,
};
