import type { RoleRecord } from '../../catalog/role-record.ts';
import { needsStats, renderProse } from '../../stats/prose.ts';
import { OPEN_POSTINGS } from '../../domain/posting-filter.ts';
import type { GraphQLContext } from '../context.ts';
import { toConnection } from '../connection.ts';
import type { RoleResolvers } from '../generated/resolvers-types.ts';
import { toGlobalId } from '../global-id.ts';
import {
  POSTING_KEY_KINDS,
  postingFieldsOf,
  TOP_EMPLOYER_KEY_KINDS,
  toPageRequest,
  toPostingFilter,
  toPostingOrder,
} from '../inputs.ts';
import { salaryFiguresFor, startRoleFigures } from './salary-stats.ts';

type ProseField = 'summary' | 'responsibilitiesIntro' | 'careerIntro' | 'careerStepsIntro' | 'conclusion';

/** Prose is stored as templates; figures are loaded (batched) only when a template has placeholders. */
function prose(field: ProseField) {
  return async (role: RoleRecord, _args: unknown, ctx: GraphQLContext): Promise<string | null> => {
    const template = role[field];
    if (!needsStats(template)) return template;
    const [figures, salary] = await Promise.all([
      ctx.loaders.postingFigures.load({ id: role.id, filter: OPEN_POSTINGS }),
      salaryFiguresFor(ctx, role.id, { filter: OPEN_POSTINGS, source: 'ALL', currency: 'USD', excludeOutliers: false }),
    ]);
    return renderProse(template, role.title, { ...figures, salary });
  };
}

export const Role: RoleResolvers = {
  id: (role) => toGlobalId('Role', role.id),
  summary: prose('summary'),
  responsibilitiesIntro: prose('responsibilitiesIntro'),
  careerIntro: prose('careerIntro'),
  careerStepsIntro: prose('careerStepsIntro'),
  conclusion: prose('conclusion'),
  responsibilities: (role, _args, ctx) => ctx.loaders.responsibilities.load(role.id),
  careerSteps: (role, _args, ctx) => ctx.loaders.careerSteps.load(role.id),
  sources: (role, _args, ctx) => ctx.loaders.roleSources.load(role.id),
  stats: (role, { filter, dedupe }, ctx, info) => {
    const parent = { roleId: role.id, filter: { ...toPostingFilter(filter), dedupe } };
    startRoleFigures(ctx, info, parent.roleId, parent.filter);
    return parent;
  },
  postings: async (role, { first, after, filter, orderBy }, ctx, info) => {
    const order = toPostingOrder(orderBy);
    const orderName = `${order.field}:${order.direction}`;
    const page = toPageRequest('Posting', orderName, POSTING_KEY_KINDS[order.field], { first, after }, info);
    const result = await ctx.loaders.rolePostings.load({
      id: role.id,
      filter: toPostingFilter(filter),
      order,
      page,
      fields: postingFieldsOf(info),
    });
    return toConnection('Posting', orderName, result, page, (posting) => ({ node: posting }));
  },
  topEmployers: async (role, { first, after, filter, dedupe }, ctx, info) => {
    const page = toPageRequest('TopEmployer', 'POSTINGS:DESC', TOP_EMPLOYER_KEY_KINDS, { first, after }, info, 10);
    const result = await ctx.loaders.topEmployers.load({
      id: role.id,
      filter: { ...toPostingFilter(filter), dedupe },
      page,
    });
    return toConnection('TopEmployer', 'POSTINGS:DESC', result, page, (item) => ({
      node: item.employer,
      postings: item.postings,
    }));
  },
  trend: async (role, { interval, filter, dedupe }, ctx) => {
    // Too many periods is a TooManyPeriodsError, a domain error (src/graphql/errors.ts maps it).
    return ctx.loaders.trend.load({ id: role.id, interval, filter: { ...toPostingFilter(filter), dedupe } });
  },
};
