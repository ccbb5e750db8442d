import type { EmployerResolvers, PostingResolvers, SalaryReportResolvers } from '../generated/resolvers-types.ts';
import { toGlobalId } from '../global-id.ts';
import { toConnection } from '../connection.ts';
import { toPageRequest, toPostingFilter, toPostingOrder } from '../inputs.ts';

async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const found = await value;
  if (found === null) throw new Error(`${what} not found`);
  return found;
}

export const Posting: PostingResolvers = {
  id: (posting) => toGlobalId('Posting', posting.id),
  role: (posting, _args, ctx) => required(ctx.loaders.role.load(posting.roleId), `role ${posting.roleId}`),
  employer: (posting, _args, ctx) => required(ctx.loaders.employer.load(posting.employerId), `employer ${posting.employerId}`),
  education: (posting) => ({
    requirement: posting.educationRequirement,
    level: posting.educationLevel,
    evidence: posting.educationEvidence,
    origin: posting.educationOrigin,
  }),
};

export const Employer: EmployerResolvers = {
  id: (employer) => toGlobalId('Employer', employer.id),
  openings: (employer, _args, ctx) => ctx.loaders.employerOpenings.load(employer.id),
  postings: async (employer, { first, after, filter, orderBy }, ctx) => {
    const page = toPageRequest('Posting', first, after);
    const result = await ctx.loaders.employerPostings.load({
      id: employer.id,
      filter: toPostingFilter(filter),
      order: toPostingOrder(orderBy),
      page,
    });
    return toConnection('Posting', result, page, (posting) => ({ node: posting }));
  },
};

export const SalaryReport: SalaryReportResolvers = {
  id: (report) => toGlobalId('SalaryReport', report.id),
  role: (report, _args, ctx) => required(ctx.loaders.role.load(report.roleId), `role ${report.roleId}`),
};
