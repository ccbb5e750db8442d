import type { GraphQLContext } from '../context.ts';
import { fromGlobalId } from '../global-id.ts';

export const NODE_TYPES = ['Role', 'Employer', 'Posting', 'SalaryReport', 'Responsibility', 'CareerStep'] as const;
type NodeType = (typeof NODE_TYPES)[number];

/** The numeric key of a global id of `type`, or null when the id is not one (forged ids find nothing). */
export function nodeKey(id: string, type: NodeType): number | null {
  const decoded = fromGlobalId(id);
  if (!decoded || decoded.type !== type || !/^[1-9]\d{0,9}$/.test(decoded.key)) return null;
  const key = Number(decoded.key);
  return key <= 2_147_483_647 ? key : null;
}

/** Fetches any object by global id; every record is tagged with its GraphQL type for `Node.__resolveType`. */
export async function resolveNode(id: string, ctx: GraphQLContext) {
  const decoded = fromGlobalId(id);
  const type = NODE_TYPES.find((t) => t === decoded?.type);
  if (!type) return null;
  const key = nodeKey(id, type);
  if (key === null) return null;
  const loaders = {
    Role: ctx.loaders.role,
    Employer: ctx.loaders.employer,
    Posting: ctx.loaders.posting,
    SalaryReport: ctx.loaders.salaryReport,
    Responsibility: ctx.loaders.responsibility,
    CareerStep: ctx.loaders.careerStep,
  } as const;
  const record = await loaders[type].load(key);
  return record ? Object.assign(record, { __typename: type }) : null;
}
