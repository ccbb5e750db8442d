import type { QueryResolvers } from '../generated/resolvers-types.ts';
import { badUserInput } from '../errors.ts';
import { toConnection } from '../connection.ts';
import { ROLE_KEY_KINDS, toPageRequest } from '../inputs.ts';
import { resolveNode, nodeKey } from './node.ts';

export const Query: QueryResolvers = {
  node: (_parent, { id }, ctx) => resolveNode(id, ctx),
  role: (_parent, { slug }, ctx) => {
    if (slug.length > 200) throw badUserInput('slug', `${slug.slice(0, 50)}…`, 'must be at most 200 characters');
    return ctx.catalog.bySlug(slug);
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
  employer: async (_parent, { id }, ctx) => {
    const key = nodeKey(id, 'Employer');
    return key === null ? null : ctx.loaders.employer.load(key);
  },
};
