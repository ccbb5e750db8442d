import type { QueryResolvers } from '../generated/resolvers-types.ts';
import { checkFirst, decodeCursor, encodeCursor } from '../pagination.ts';
import { badUserInput } from '../errors.ts';

export const Query: QueryResolvers = {
  role: (_parent, { slug }, ctx) => {
    if (slug.length > 200) throw badUserInput('slug', slug.slice(0, 50) + '…', 'must be at most 200 characters');
    return ctx.catalog.bySlug(slug);
  },
  roles: async (_parent, { first, after }, ctx) => {
    const size = checkFirst(first);
    const page = await ctx.catalog.page(size, decodeCursor('Role', after));
    const edges = page.roles.map((role) => ({ cursor: encodeCursor('Role', role.slug), node: role }));
    return {
      edges,
      totalCount: page.totalCount,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: after !== null && after !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },
};
