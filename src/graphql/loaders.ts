import DataLoader from 'dataloader';
import { employerOpenings, employersByIds, topEmployerPages, type EmployerCount } from '../catalog/employers.ts';
import type { EmployerRecord } from '../domain/employer.ts';
import type { PostingRecord } from '../catalog/posting-record.ts';
import {
  pageRequestKey,
  postingPages,
  postingsByGroups,
  postingsByIds,
  type Page,
  type PageRequest,
  type PostingOrder,
} from '../catalog/postings.ts';
import type { RoleRecord } from '../catalog/role-record.ts';
import type { RoleCatalog } from '../catalog/roles.ts';
import { sourcesOf, type SourceRecord } from '../catalog/sources.ts';
import { salaryReportsByIds, type SalaryReportRecord } from '../catalog/salary-reports.ts';
import type { ReadSession } from '../db/read-session.ts';
import type { CareerStep, Responsibility } from '../generated/prisma/client.ts';
import {
  cachedFigures,
  figureWindowOf,
  figureWindowSql,
  nextPeriodStart,
  nextUtcDay,
  type FigureCache,
} from '../stats/figure-cache.ts';
import { breakdownSpecKey, loadBreakdowns, type BreakdownRecord, type BreakdownSpec } from '../stats/breakdown.ts';
import {
  loadPostingFigures,
  loadSourceMix,
  type PostingFiguresRecord,
  type SourceMixRecord,
} from '../stats/posting-figures.ts';
import { filterKey, type PostingFilter } from '../domain/posting-filter.ts';
import {
  loadHistograms,
  loadSalaryFigures,
  loadSalaryWithHistograms,
  salarySpecKey,
  type HistogramBucket,
  type HistogramSpec,
  type SalaryFigures,
  type SalarySpec,
  type SalaryWithHistogram,
} from '../stats/salary-stats.ts';
import { loadTrends, type TrendInterval, type TrendPointRecord } from '../stats/trend.ts';
import { loadRoleFigures, type RoleFigures } from '../stats/role-figures.ts';
import {
  breakdownKind,
  roleFiguresKind,
  SNAPSHOT_KINDS,
  sourceMixKind,
  storedValues,
  trendKind,
  type SnapshotKey,
} from '../stats/figure-snapshots.ts';

/**
 * A loader whose keys carry an id plus shared parameters (a filter, a page size...): keys with
 * equal parameters are answered together by one set-based statement, so a page of 50 roles
 * costs as many statements as a page of 5.
 */
function groupedLoader<K extends { id: number }, V>(
  paramsKey: (key: K) => string,
  load: (ids: number[], sample: K) => Promise<V[]>,
): DataLoader<K, V, string> {
  return new DataLoader<K, V, string>(
    async (keys) => {
      const groups = new Map<string, { sample: K; indexes: number[] }>();
      keys.forEach((key, index) => {
        const group = paramsKey(key);
        const entry = groups.get(group) ?? { sample: key, indexes: [] };
        entry.indexes.push(index);
        groups.set(group, entry);
      });
      const results: (V | Error)[] = new Array(keys.length);
      await Promise.all(
        [...groups.values()].map(async ({ sample, indexes }) => {
          const ids = [...new Set(indexes.map((i) => (keys[i] as K).id))];
          try {
            const values = await load(ids, sample);
            const byId = new Map(ids.map((id, i) => [id, values[i] as V]));
            for (const i of indexes) results[i] = byId.get((keys[i] as K).id) as V;
          } catch (error) {
            for (const i of indexes)
              results[i] = error instanceof Error ? error : new Error(String(error), { cause: error });
          }
        }),
      );
      return results;
    },
    { cacheKeyFn: (key) => `${paramsKey(key)}#${key.id}` },
  );
}

const byId = <V>(load: (ids: readonly number[]) => Promise<V[]>) => new DataLoader<number, V>((ids) => load(ids));

function groupByRole<T extends { roleId: number }>(roleIds: readonly number[], rows: T[]): T[][] {
  const groups = new Map<number, T[]>(roleIds.map((id) => [id, []]));
  for (const row of rows) groups.get(row.roleId)?.push(row);
  return roleIds.map((id) => groups.get(id) ?? []);
}

export interface FilterKey {
  id: number;
  filter: PostingFilter;
}
export interface SalaryKey {
  id: number;
  spec: SalarySpec;
}
export interface HistogramKey extends SalaryKey {
  histogram: HistogramSpec;
}
export interface SalaryHistogramKey extends SalaryKey {
  buckets: number;
}
export interface RoleFiguresKey extends SalaryKey {
  /** An equal-width histogram's bucket count, if the query asks for one. */
  buckets?: number;
}
export interface BreakdownKey {
  id: number;
  spec: BreakdownSpec;
}
export interface TrendKey extends FilterKey {
  interval: TrendInterval;
}
export interface PostingPageKey extends FilterKey {
  order: PostingOrder;
  page: PageRequest;
  /** The Posting fields the query selects of each node (postingColumns); undefined: every column. */
  fields?: string[];
}
export interface EmployerPageKey extends FilterKey {
  page: PageRequest;
}

const pageKey = pageRequestKey;

/**
 * Per-request loaders: each turns what a page of objects asks for into one SQL statement per
 * distinct set of arguments. `pool` is the operation's read session, so all of them read one snapshot.
 */
export function createLoaders(pool: ReadSession, catalog: RoleCatalog, asOf: Date, figureCache?: FigureCache) {
  // The default figures go through the figure cache (src/stats/figure-cache.ts), keyed by the
  // data version and time window that each snapshot of this session reads with its BEGIN.
  if (figureCache) pool.withBegin(figureWindowSql(asOf));
  const window = async () => figureWindowOf(await pool.beginRows(), asOf);
  // The stored values that the panels of one resolver level ask for, in one lookup.
  const stored = new DataLoader<SnapshotKey, unknown, string>(
    async (keys) => storedValues(pool, keys, await window()),
    { cacheKeyFn: (key) => `${key.kind}#${key.id}` },
  );
  /**
   * `load` for the ids that figure_snapshot cannot answer: when this snapshot's version has rows
   * there (the BEGIN round trip says so), one lookup first (src/stats/figure-snapshots.ts).
   */
  const snapshotFirst =
    <V>(kind: string, load: (ids: number[]) => Promise<V[]>) =>
    async (ids: number[]): Promise<V[]> => {
      if (!SNAPSHOT_KINDS.has(kind) || !(await window()).snapshots) return load(ids);
      const found = (await stored.loadMany(ids.map((id) => ({ kind, id })))) as (V | Error | undefined)[];
      const rest = ids.filter((_, i) => found[i] === undefined);
      const loaded = rest.length === 0 ? [] : await load(rest);
      const byId = new Map(rest.map((id, i) => [id, loaded[i] as V]));
      return ids.map((id, i) => {
        const value = found[i];
        if (value instanceof Error) throw value;
        return value ?? (byId.get(id) as V);
      });
    };
  const cached = <V>(
    kind: string,
    ids: number[],
    load: (ids: number[]) => Promise<V[]>,
    until?: (asOf: number) => number,
    followsTime = true,
  ): Promise<V[]> =>
    figureCache
      ? cachedFigures(figureCache, window, kind, ids, snapshotFirst(kind, load), until, followsTime)
      : load(ids);
  // Converting into a currency other than USD uses the rate of the request's UTC day.
  const salaryUntil = (currency: string) => (currency === 'USD' ? undefined : nextUtcDay);
  // Figures that a statement computing several at once is running (salaryWithHistogram,
  // roleFigures), by the key of the loader that would otherwise compute each: that loader waits
  // for the statement instead of running its own (a role page's withOutliers beside its salary,
  // the README's openings beside its salary).
  const shared = new Map<string, Promise<unknown>>();
  const share = <V>(key: string, value: Promise<V>): void => {
    // Its failure reaches the field that asked for it; a loader waiting on it sees it too.
    value.catch(() => undefined);
    shared.set(key, value);
  };
  /**
   * `cached` for the ids that no shared statement is computing (by `kind`, the key a shared
   * statement registers under); the others wait for that statement.
   */
  const sharedOrCached = async <V>(
    kind: string,
    ids: number[],
    load: (ids: number[]) => Promise<V[]>,
    until?: (asOf: number) => number,
  ): Promise<V[]> => {
    const running = ids.map((id) => shared.get(`${kind}#${id}`) as Promise<V> | undefined);
    const rest = ids.filter((_, i) => running[i] === undefined);
    const loaded = rest.length === 0 ? [] : await cached(kind, rest, load, until);
    const byId = new Map(rest.map((id, i) => [id, loaded[i] as V]));
    return Promise.all(ids.map((id, i) => running[i] ?? (byId.get(id) as V)));
  };
  const withHistogram = groupedLoader<SalaryHistogramKey, SalaryWithHistogram>(
    (k) => `${salarySpecKey(k.spec)}|${k.buckets}`,
    (ids, k) =>
      sharedOrCached(
        `salary-histogram|${salarySpecKey(k.spec)}|${k.buckets}`,
        ids,
        (missing) => loadSalaryWithHistograms(pool, missing, k.spec, k.buckets, asOf),
        salaryUntil(k.spec.currency),
      ),
  );
  const salaryFigures = groupedLoader<SalaryKey, SalaryFigures>(
    (k) => salarySpecKey(k.spec),
    (ids, k) =>
      sharedOrCached(
        `salary|${salarySpecKey(k.spec)}`,
        ids,
        (missing) => loadSalaryFigures(pool, missing, k.spec, asOf),
        salaryUntil(k.spec.currency),
      ),
  );
  const postingFigures = groupedLoader<FilterKey, PostingFiguresRecord>(
    (k) => filterKey(k.filter),
    (ids, k) =>
      sharedOrCached(`figures|${filterKey(k.filter)}`, ids, (missing) =>
        loadPostingFigures(pool, missing, k.filter, asOf),
      ),
  );
  const roleFigures = groupedLoader<RoleFiguresKey, RoleFigures>(
    (k) => `${salarySpecKey(k.spec)}|${k.buckets ?? ''}`,
    (ids, k) => {
      return cached(
        roleFiguresKind(k.spec, k.buckets),
        ids,
        (missing) => loadRoleFigures(pool, missing, k.spec, k.buckets, asOf),
        salaryUntil(k.spec.currency),
      );
    },
  );
  // The salary part of a role's figures; an unknown currency fails it alone (the posting figures need no rate).
  const salaryOf = (r: RoleFigures): SalaryWithHistogram => {
    if (r.salary instanceof Error) throw r.salary;
    return r.salary;
  };
  return {
    role: byId<RoleRecord | null>((ids) => catalog.byIds(ids)),
    posting: byId<PostingRecord | null>((ids) => postingsByIds(pool, ids, asOf)),
    employer: byId<EmployerRecord | null>((ids) => employersByIds(pool, ids)),
    salaryReport: byId<SalaryReportRecord | null>((ids) => salaryReportsByIds(pool, ids)),
    postingGroup: byId<PostingRecord[]>((ids) => postingsByGroups(pool, ids, asOf)),
    employerOpenings: groupedLoader<{ id: number; dedupe: boolean }, number>(
      (k) => String(k.dedupe),
      (ids, k) => employerOpenings(pool, ids, asOf, k.dedupe),
    ),
    responsibility: byId<Responsibility | null>((ids) => catalog.responsibilitiesByIds(ids)),
    careerStep: byId<CareerStep | null>((ids) => catalog.careerStepsByIds(ids)),
    // Every posting of the role, whatever its dates: only a write changes it (at 1M postings it
    // read 222k rows, 85 ms, on every role page).
    roleSources: byId<SourceRecord[]>((ids) =>
      cached(
        'role-sources',
        [...ids],
        async (missing) =>
          groupByRole(
            missing,
            (await sourcesOf(pool, missing)).map((r) => ({ ...r, roleId: r.roleId as number })),
          ),
        undefined,
        false,
      ),
    ),
    responsibilities: byId<Responsibility[]>(async (ids) => groupByRole(ids, await catalog.responsibilitiesOf(ids))),
    careerSteps: byId<CareerStep[]>(async (ids) => groupByRole(ids, await catalog.careerStepsOf(ids))),
    postingFigures,
    sourceMix: groupedLoader<FilterKey, SourceMixRecord[]>(
      (k) => filterKey(k.filter),
      (ids, k) => cached(sourceMixKind(k.filter), ids, (missing) => loadSourceMix(pool, missing, k.filter, asOf)),
    ),
    salaryFigures,
    /** Salary figures with an equal-width histogram of `buckets`, from one statement (the histogram loader is primed with it). */
    salaryWithHistogram: {
      load: (key: SalaryHistogramKey): Promise<SalaryWithHistogram> => {
        const loading = withHistogram.load(key);
        share(
          `salary|${salarySpecKey(key.spec)}#${key.id}`,
          loading.then((r) => r.figures),
        );
        return loading;
      },
      clearAll: () => {
        shared.clear();
        withHistogram.clearAll();
      },
    },
    /**
     * Starts a role's posting figures, salary figures for `spec` (over the same postings) and,
     * with `buckets`, its histogram, in one statement, for the loaders of each to take from it.
     */
    roleFigures: {
      start: (key: RoleFiguresKey): void => {
        const loading = roleFigures.load(key);
        const spec = salarySpecKey(key.spec);
        share(
          `figures|${filterKey(key.spec.filter)}#${key.id}`,
          loading.then((r) => r.posting),
        );
        share(
          `salary|${spec}#${key.id}`,
          loading.then((r) => salaryOf(r).figures),
        );
        if (key.spec.excludeOutliers)
          share(
            `salary|${salarySpecKey({ ...key.spec, excludeOutliers: false })}#${key.id}`,
            loading.then((r) => {
              salaryOf(r);
              return r.withOutliers as SalaryFigures;
            }),
          );
        if (key.buckets !== undefined)
          share(
            `salary-histogram|${spec}|${key.buckets}#${key.id}`,
            loading.then((r) => salaryOf(r)),
          );
      },
      clearAll: () => {
        shared.clear();
        roleFigures.clearAll();
      },
    },
    histogram: groupedLoader<HistogramKey, HistogramBucket[]>(
      (k) => `${salarySpecKey(k.spec)}|${k.histogram.buckets}|${k.histogram.bucketWidth ?? ''}`,
      (ids, k) =>
        cached(
          `histogram|${salarySpecKey(k.spec)}|${k.histogram.buckets}|${k.histogram.bucketWidth ?? ''}`,
          ids,
          (missing) => loadHistograms(pool, missing, k.spec, k.histogram, asOf),
          salaryUntil(k.spec.currency),
        ),
    ),
    breakdown: groupedLoader<BreakdownKey, BreakdownRecord>(
      (k) => breakdownSpecKey(k.spec),
      (ids, k) =>
        cached(
          breakdownKind(k.spec),
          ids,
          (missing) => loadBreakdowns(pool, missing, k.spec, asOf),
          salaryUntil(k.spec.salary.currency),
        ),
    ),
    trend: groupedLoader<TrendKey, TrendPointRecord[]>(
      (k) => `${k.interval}|${filterKey(k.filter)}`,
      (ids, k) =>
        cached(
          trendKind(k.interval, k.filter),
          ids,
          (missing) => loadTrends(pool, missing, k.interval, k.filter, asOf),
          (at) => nextPeriodStart(at, k.interval),
        ),
    ),
    rolePostings: groupedLoader<PostingPageKey, Page<PostingRecord>>(
      (k) =>
        `${filterKey(k.filter)}|${k.order.field}:${k.order.direction}|${pageKey(k.page)}|${k.fields?.join(',') ?? '*'}`,
      (ids, k) => postingPages(pool, 'role_id', ids, k.filter, k.order, k.page, asOf, k.fields),
    ),
    employerPostings: groupedLoader<PostingPageKey, Page<PostingRecord>>(
      (k) =>
        `${filterKey(k.filter)}|${k.order.field}:${k.order.direction}|${pageKey(k.page)}|${k.fields?.join(',') ?? '*'}`,
      (ids, k) => postingPages(pool, 'employer_id', ids, k.filter, k.order, k.page, asOf, k.fields),
    ),
    topEmployers: groupedLoader<EmployerPageKey, Page<EmployerCount>>(
      (k) => `${filterKey(k.filter)}|${pageKey(k.page)}`,
      (ids, k) => topEmployerPages(pool, ids, k.filter, k.page, asOf),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
