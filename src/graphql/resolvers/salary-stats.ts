import { confidenceOf, type SalaryFigures, type SalarySource, type SalarySpec } from '../../stats/salary-stats.ts';
import type { GraphQLContext } from '../context.ts';
import type { RoleStatsParent, SalaryStatsParent } from '../parents.ts';
import type {
  BreakdownKeyResolvers,
  ComparedRoleResolvers,
  GroupSalaryResolvers,
  RoleStatsResolvers,
  SalaryStatsResolvers,
} from '../generated/resolvers-types.ts';
import { getArgumentValues, isObjectType, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import type { PostingFilter } from '../../domain/posting-filter.ts';
import { checkFirst, selectedField } from '../pagination.ts';
import { checkMinSampleSize, toBreakdownOrder, toDimensions, toHistogramSpec, toSalarySpec } from '../inputs.ts';

/** Loads salary figures; a currency without a rate is an UnknownCurrencyError, a domain error (src/graphql/errors.ts maps it). */
export function salaryFiguresFor(ctx: GraphQLContext, roleId: number, spec: SalarySpec): Promise<SalaryFigures> {
  return ctx.loaders.salaryFigures.load({ id: roleId, spec });
}

const NULL_FIGURES = {
  mean: null,
  median: null,
  min: null,
  max: null,
  p10: null,
  p25: null,
  p75: null,
  p90: null,
  stddev: null,
  standardError: null,
  meanConfidenceInterval: null,
};

/**
 * The equal-width bucket count of the `histogram` that the salary field selects, if it selects
 * one with valid arguments and no bucketWidth: figures and histogram then come from one
 * statement. Anything else (no histogram, a bucketWidth, an argument the histogram resolver
 * will reject) leaves the histogram to its own loader.
 */
function histogramBuckets(
  info: GraphQLResolveInfo | undefined,
  salary: readonly FieldNode[] | undefined = info?.fieldNodes,
): number | undefined {
  if (!info) return undefined;
  const node = selectedField(info, 'histogram', salary);
  const type = info.schema.getType('SalaryStats');
  const field = node && isObjectType(type) ? type.getFields().histogram : undefined;
  if (!node || !field) return undefined;
  try {
    const { buckets, bucketWidth } = getArgumentValues(field, node, info.variableValues);
    const spec = toHistogramSpec(buckets as number, bucketWidth as number | null | undefined);
    return spec.bucketWidth === undefined ? spec.buckets : undefined;
  } catch {
    return undefined;
  }
}

const POSTING_FIGURE_FIELDS = ['openings', 'employers', 'postingsSeen', 'duplicatesRemoved', 'degreeRequirement'];

/**
 * From `stats(...)`'s resolver: when the query asks for posting figures (openings, employers,
 * the degree requirement...) and a salary (with its histogram, if any) of the role, starts them
 * as one statement (loadRoleFigures), which the fields' loaders then take their figures from.
 * Otherwise, or when an argument is invalid (its field reports it), each field loads its own.
 */
export function startRoleFigures(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  roleId: number,
  filter: PostingFilter,
): void {
  if (!POSTING_FIGURE_FIELDS.some((name) => selectedField(info, name))) return;
  const salary = selectedField(info, 'salary');
  const type = info.schema.getType('RoleStats');
  const field = salary && isObjectType(type) ? type.getFields().salary : undefined;
  if (!salary || !field) return;
  try {
    const args = getArgumentValues(field, salary, info.variableValues) as {
      source: SalarySource;
      currency: string;
      minSampleSize: number;
      excludeOutliers: boolean;
    };
    checkMinSampleSize(args.minSampleSize);
    const spec = toSalarySpec(filter, args);
    ctx.loaders.roleFigures.start({ id: roleId, spec, buckets: histogramBuckets(info, [salary]) });
  } catch {
    // An invalid argument: the salary field reports it when it resolves.
  }
}

/** `salary(...)` of a role over a filter: the figures, nulled when under minSampleSize. */
async function salaryStats(
  parent: RoleStatsParent,
  args: { source: SalarySource; currency: string; minSampleSize: number; excludeOutliers: boolean },
  ctx: GraphQLContext,
  info?: GraphQLResolveInfo,
): Promise<SalaryStatsParent> {
  const minSampleSize = checkMinSampleSize(args.minSampleSize);
  const spec = toSalarySpec(parent.filter, args);
  const buckets = histogramBuckets(info);
  let figures: SalaryFigures;
  if (buckets === undefined) figures = await salaryFiguresFor(ctx, parent.roleId, spec);
  else {
    const both = await ctx.loaders.salaryWithHistogram.load({ id: parent.roleId, spec, buckets });
    ctx.loaders.histogram.prime({ id: parent.roleId, spec, histogram: { buckets } }, both.histogram);
    figures = both.figures;
  }
  const suppressed = figures.count < minSampleSize;
  return { roleId: parent.roleId, spec, suppressed, figures: suppressed ? { ...figures, ...NULL_FIGURES } : figures };
}

export const RoleStats: RoleStatsResolvers = {
  openings: async (parent, _args, ctx) =>
    (await ctx.loaders.postingFigures.load({ id: parent.roleId, filter: parent.filter })).openings,
  postingsSeen: async (parent, _args, ctx) =>
    (await ctx.loaders.postingFigures.load({ id: parent.roleId, filter: parent.filter })).postingsSeen,
  duplicatesRemoved: async (parent, _args, ctx) => {
    const figures = await ctx.loaders.postingFigures.load({ id: parent.roleId, filter: parent.filter });
    return figures.postingsSeen - figures.openings;
  },
  sources: (parent, _args, ctx) => ctx.loaders.sourceMix.load({ id: parent.roleId, filter: parent.filter }),
  employers: async (parent, _args, ctx) =>
    (await ctx.loaders.postingFigures.load({ id: parent.roleId, filter: parent.filter })).employers,
  degreeRequirement: async (parent, _args, ctx) =>
    (await ctx.loaders.postingFigures.load({ id: parent.roleId, filter: parent.filter })).degreeRequirement,
  salary: (parent, args, ctx, info) => salaryStats(parent, args, ctx, info),
  breakdown: async (parent, args, ctx) => {
    const by = toDimensions(args.by);
    const minSampleSize = checkMinSampleSize(args.minSampleSize);
    const salary = toSalarySpec(parent.filter, args);
    const spec = {
      by,
      salary,
      minSampleSize,
      first: checkFirst(args.first, 20),
      orderBy: toBreakdownOrder(args.orderBy),
    };
    const record = await ctx.loaders.breakdown.load({ id: parent.roleId, spec });
    return {
      by,
      totalGroups: record.totalGroups,
      groups: record.groups.map((group) => {
        const suppressed = group.salary.count < minSampleSize;
        return {
          ...group,
          salary: {
            currency: salary.currency,
            suppressed,
            figures: suppressed ? { ...group.salary, ...NULL_FIGURES } : group.salary,
          },
        };
      }),
    };
  },
};

export const BreakdownKey: BreakdownKeyResolvers = {
  employer: (parent) => parent.employer,
};

export const GroupSalary: GroupSalaryResolvers = {
  currency: (parent) => parent.currency,
  count: (parent) => parent.figures.count,
  sampleSize: (parent) => parent.figures.count,
  confidence: (parent) => confidenceOf(parent.figures.count),
  suppressed: (parent) => parent.suppressed,
  outliersExcluded: (parent) => parent.figures.outliersExcluded,
  mean: (parent) => parent.figures.mean,
  median: (parent) => parent.figures.median,
  min: (parent) => parent.figures.min,
  max: (parent) => parent.figures.max,
  p10: (parent) => parent.figures.p10,
  p25: (parent) => parent.figures.p25,
  p75: (parent) => parent.figures.p75,
  p90: (parent) => parent.figures.p90,
  stddev: (parent) => parent.figures.stddev,
  standardError: (parent) => parent.figures.standardError,
  meanConfidenceInterval: (parent) => parent.figures.meanConfidenceInterval,
};

export const SalaryStats: SalaryStatsResolvers = {
  currency: (parent) => parent.spec.currency,
  count: (parent) => parent.figures.count,
  sampleSize: (parent) => parent.figures.count,
  confidence: (parent) => confidenceOf(parent.figures.count),
  suppressed: (parent) => parent.suppressed,
  outliersExcluded: (parent) => parent.figures.outliersExcluded,
  mean: (parent) => parent.figures.mean,
  median: (parent) => parent.figures.median,
  min: (parent) => parent.figures.min,
  max: (parent) => parent.figures.max,
  p10: (parent) => parent.figures.p10,
  p25: (parent) => parent.figures.p25,
  p75: (parent) => parent.figures.p75,
  p90: (parent) => parent.figures.p90,
  stddev: (parent) => parent.figures.stddev,
  standardError: (parent) => parent.figures.standardError,
  meanConfidenceInterval: (parent) => parent.figures.meanConfidenceInterval,
  histogram: async (parent, { buckets, bucketWidth }, ctx) => {
    const histogram = toHistogramSpec(buckets, bucketWidth);
    if (parent.suppressed || parent.figures.count === 0) return [];
    return ctx.loaders.histogram.load({ id: parent.roleId, spec: parent.spec, histogram });
  },
};

export const ComparedRole: ComparedRoleResolvers = {
  role: (parent) => parent.role,
  stats: (parent) => ({ roleId: parent.role.id, filter: parent.filter }),
  salary: (parent, args, ctx, info) =>
    salaryStats({ roleId: parent.role.id, filter: parent.filter }, { ...args, currency: parent.currency }, ctx, info),
};
