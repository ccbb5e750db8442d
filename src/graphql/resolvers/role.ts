import type { RoleResolvers } from '../generated/resolvers-types.ts';
import type { GraphQLContext } from '../context.ts';
import type { RoleRecord } from '../../catalog/role-record.ts';
import { needsStats, renderProse } from '../../stats/prose.ts';
import { toGlobalId } from '../global-id.ts';

type ProseField = 'summary' | 'responsibilitiesIntro' | 'careerIntro' | 'careerStepsIntro' | 'conclusion';

/** Prose is stored as templates; statistics are loaded (batched) only when a template has placeholders. */
function prose(field: ProseField) {
  return async (role: RoleRecord, _args: unknown, ctx: GraphQLContext): Promise<string | null> => {
    const template = role[field];
    if (!needsStats(template)) return template;
    return renderProse(template, role.title, await ctx.loaders.roleStats.load(role.id));
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
  stats: (role, _args, ctx) => ctx.loaders.roleStats.load(role.id),
};
