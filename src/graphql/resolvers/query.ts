import type { QueryResolvers } from '../generated/resolvers-types.ts';
import { badUserInput } from '../errors.ts';
import { toConnection } from '../connection.ts';
import { ROLE_KEY_KINDS, toPageRequest, toPostingFilter, toSalarySpec } from '../inputs.ts';
import { selectedFieldNames } from '../pagination.ts';
import { resolveNode, nodeKey } from './node.ts';
import { sourcesOf } from '../../catalog/sources.ts';
import { UNKNOWN_ROLE_RULE } from '../../domain/errors.ts';

/** Roles one comparison may name. */
export const MAX_COMPARED = 10;

export const Query: QueryResolvers = {
  node: (_parent, { id }, ctx) => resolveNode(id, ctx),
  role: async (_parent, { slug }, ctx, info) => {
    if (slug.length > 200) throw badUserInput('slug', `${slug.slice(0, 50)}…`, 'must be at most 200 characters');
    const selected = selectedFieldNames(info, []);
    const found = await ctx.catalog.bySlug(slug, {
      responsibilities: selected.includes('responsibilities'),
      careerSteps: selected.includes('careerSteps'),
    });
    if (!found) return null;
    // The lists came with the role: its fields' loaders answer from them instead of a statement each.
    if (found.responsibilities) ctx.loaders.responsibilities.prime(found.role.id, found.responsibilities);
    if (found.careerSteps) ctx.loaders.careerSteps.prime(found.role.id, found.careerSteps);
    return found.role;
  },
  roles: async (_parent, { first, after, search, orderBy, dedupe }, ctx, info) => {
    const order = { field: orderBy?.field ?? 'SLUG', direction: orderBy?.direction ?? 'ASC' } as const;
    const orderName = `${order.field}:${order.direction}`;
    const request = toPageRequest('Role', orderName, ROLE_KEY_KINDS[order.field], { first, after }, info);
    if (search !== null && search !== undefined && search.length > 200) {
      throw badUserInput('search', `${search.slice(0, 50)}…`, 'must be at most 200 characters');
    }
    const page = await ctx.catalog.list(
      {
        ...request,
        search: search?.trim() || undefined,
        orderBy: order,
        dedupe,
      },
      ctx.asOf,
    );
    return toConnection('Role', orderName, page, request, (role) => ({ node: role }));
  },
  compare: async (_parent, { roles, filter, currency }, ctx) => {
    if (roles.length < 1 || roles.length > MAX_COMPARED)
      throw badUserInput('roles', roles, `must name 1 to ${MAX_COMPARED} roles`);
    const slugs = roles.map((slug) => slug.trim());
    const repeated = slugs.find((slug, i) => slugs.indexOf(slug) !== i);
    if (repeated !== undefined) throw badUserInput('roles', roles, `must not name a role twice ("${repeated}")`);
    if (slugs.some((slug) => slug.length > 200))
      throw badUserInput('roles', roles, 'must be slugs of at most 200 characters');
    const postingFilter = toPostingFilter(filter);
    // Checked here so that a bad code is named once, not per role.
    const spec = toSalarySpec(postingFilter, { source: 'ALL', currency: currency ?? 'USD', excludeOutliers: false });
    const found = await ctx.catalog.bySlugs(slugs);
    const unknown = slugs.filter((_, i) => found[i] === null);
    if (unknown.length > 0) {
      throw badUserInput(
        'roles',
        roles,
        `has no role with slug ${unknown.map((s) => JSON.stringify(s)).join(', ')}`,
        UNKNOWN_ROLE_RULE,
      );
    }
    return found.map((role) => ({
      role: role as NonNullable<typeof role>,
      filter: postingFilter,
      currency: spec.currency,
    }));
  },
  sources: (_parent, _args, ctx) => sourcesOf(ctx.db.pool, null),
  employer: async (_parent, { id }, ctx) => {
    const key = nodeKey(id, 'Employer');
    return key === null ? null : ctx.loaders.employer.load(key);
  },
};
