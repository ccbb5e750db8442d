import type { Resolvers } from '../generated/resolvers-types.ts';
import { DateTime } from '../scalars/date-time.ts';
import { Mutation } from './mutation.ts';
import { Employer, Posting, SalaryReport } from './posting.ts';
import { Query } from './query.ts';
import { Role } from './role.ts';
import { RoleStats, SalaryStats } from './salary-stats.ts';

export const resolvers: Resolvers = {
  DateTime,
  Node: {
    // resolveNode tags each record with its type.
    __resolveType: (node) => (node as unknown as { __typename: 'Role' | 'Employer' | 'Posting' | 'SalaryReport' }).__typename,
  },
  Query,
  Mutation,
  Role,
  RoleStats,
  SalaryStats,
  Posting,
  Employer,
  SalaryReport,
};
