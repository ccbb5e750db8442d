import {
  closePosting,
  createPosting,
  deletePosting,
  updatePosting,
  upsertPosting,
} from '../../catalog/posting-writer.ts';
import { writeRolePage } from '../../catalog/role-page-writer.ts';
import { reportSalary } from '../../catalog/salary-report-writer.ts';
import type { GraphQLContext } from '../context.ts';
import type { MutationResolvers } from '../generated/resolvers-types.ts';
import { toGlobalId } from '../global-id.ts';
import { nodeKey } from './node.ts';

/**
 * Before a write, the operation's read snapshot is closed: the write needs a connection (the
 * embedded database has only one) and the fields after it must see what it wrote, on a new
 * snapshot taken when they first read.
 */
async function beforeWrite(ctx: GraphQLContext): Promise<void> {
  await ctx.reads.release();
}

/** After a write, what this request's loaders hold may be stale: later fields read afresh. */
function forgetLoaded(ctx: GraphQLContext): void {
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
}

/**
 * The writes. Each checks the request's API key first (UNAUTHENTICATED, nothing written) and
 * then hands its input to src/catalog, which validates it with the import's rules.
 */
export const Mutation: MutationResolvers = {
  createPosting: async (_parent, { input }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const result = await createPosting(ctx.db, input, ctx.asOf);
    forgetLoaded(ctx);
    return result;
  },
  upsertPosting: async (_parent, { input }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const result = await upsertPosting(ctx.db, input, ctx.asOf);
    forgetLoaded(ctx);
    return result;
  },
  updatePosting: async (_parent, { input: { id, ...changes } }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const result = await updatePosting(ctx.db, nodeKey(id, 'Posting'), changes, ctx.asOf);
    forgetLoaded(ctx);
    return result;
  },
  closePosting: async (_parent, { input }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const result = await closePosting(ctx.db, nodeKey(input.id, 'Posting'), input.closedAt ?? ctx.asOf, ctx.asOf);
    forgetLoaded(ctx);
    return result;
  },
  deletePosting: async (_parent, { input }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const { deletedId, userErrors } = await deletePosting(ctx.db, nodeKey(input.id, 'Posting'));
    forgetLoaded(ctx);
    return { deletedId: deletedId === null ? null : toGlobalId('Posting', deletedId), userErrors };
  },
  reportSalary: async (_parent, { input }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const result = await reportSalary(ctx.db, input);
    forgetLoaded(ctx);
    return result;
  },
  upsertRole: async (_parent, { input }, ctx) => {
    await beforeWrite(ctx);
    await ctx.requireApiKey();
    const result = await writeRolePage(ctx.db, input);
    forgetLoaded(ctx);
    return result;
  },
};
