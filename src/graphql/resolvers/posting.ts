import type { EmployerResolvers, PostingResolvers, SalaryReportResolvers } from '../generated/resolvers-types.ts';
import { toGlobalId } from '../global-id.ts';
import { toConnection } from '../connection.ts';
import { POSTING_KEY_KINDS, postingFieldsOf, toPageRequest, toPostingFilter, toPostingOrder } from '../inputs.ts';

async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const found = await value;
  if (found === null) throw new Error(`${what} not found`);
  return found;
}

export const Posting: PostingResolvers = {
  id: (posting) => toGlobalId('Posting', posting.id),
  role: (posting, _args, ctx) => required(ctx.loaders.role.load(posting.roleId), `role ${posting.roleId}`),
  employer: (posting, _args, ctx) =>
    required(ctx.loaders.employer.load(posting.employerId), `employer ${posting.employerId}`),
  duplicateOf: (posting, _args, ctx) =>
    posting.groupId === null || posting.groupId === posting.id ? null : ctx.loaders.posting.load(posting.groupId),
  duplicates: async (posting, _args, ctx) => {
    if (posting.groupId === null) return [];
    const members = await ctx.loaders.postingGroup.load(posting.groupId);
    return members.filter((m) => m.id !== posting.id);
  },
  education: (posting) => ({
    requirement: posting.educationRequirement,
    level: posting.educationLevel,
    evidence: posting.educationEvidence,
    origin: posting.educationOrigin,
  }),
};

export const Employer: EmployerResolvers = {
  id: (employer) => toGlobalId('Employer', employer.id),
  openings: (employer, { dedupe }, ctx) => ctx.loaders.employerOpenings.load({ id: employer.id, dedupe }),
  postings: async (employer, { first, after, filter, orderBy }, ctx, info) => {
    const order = toPostingOrder(orderBy);
    const orderName = `${order.field}:${order.direction}`;
    const page = toPageRequest('Posting', orderName, POSTING_KEY_KINDS[order.field], { first, after }, info);
    const result = await ctx.loaders.employerPostings.load({
      id: employer.id,
      filter: toPostingFilter(filter),
      order,
      page,
      fields: postingFieldsOf(info),
    });
    return toConnection('Posting', orderName, result, page, (posting) => ({ node: posting }));
  },
};

export const SalaryReport: SalaryReportResolvers = {
  id: (report) => toGlobalId('SalaryReport', report.id),
  role: (report, _args, ctx) => required(ctx.loaders.role.load(report.roleId), `role ${report.roleId}`),
};
