import type { ReadSession } from '../db/read-session.ts';
import type { TrendInterval } from './trend.ts';

/**
 * What a cached figure is valid for, read on the operation's own snapshot (so on the server,
 * primary or replica, that would compute the figures): the data version (the sum of the
 * data_version counters, which a statement trigger on every table the figures read bumps in the
 * writing transaction: a committed write becomes visible together with its bump, so an equal
 * version means equal data), and the first instant after `asOf` at which a posting opens or
 * closes or a salary report starts to count. Until then time changes no figure; at it, it may.
 */
export interface FigureWindow {
  version: string;
  /** The operation's instant (ms). */
  asOf: number;
  /** The next instant (ms) after asOf at which a posting's or report's state changes; Infinity when none is known. */
  next: number;
  /**
   * The shared part of the version (sum of data_version.shared, which a TRUNCATE of posting or
   * salary_observation bumps: no transition table names its roles), which a figure snapshot's
   * row must match together with its role's version (src/stats/figure-snapshots.ts).
   */
  shared?: string;
  /** Whether figure_snapshot holds any row of this shared version: only then is it worth a lookup. */
  snapshots?: boolean;
}

interface Entry {
  version: string;
  from: number;
  until: number;
  value: unknown;
  /** What the entry counts against the bound: 1, or the points of a list (a trend's periods, a histogram's buckets). */
  weight: number;
}

/** A figure's share of the bound: lists (up to 600 trend periods, 1000 buckets) count by their length, so memory stays bounded. */
function weightOf(value: unknown): number {
  if (Array.isArray(value)) return Math.max(1, value.length);
  const groups = value !== null && typeof value === 'object' && 'groups' in value ? value.groups : undefined;
  if (Array.isArray(groups)) return Math.max(1, groups.length);
  return 1;
}

/**
 * Figures of the default statistics per (kind, arguments, role), in this process. An entry
 * answers an operation whose snapshot has the same data version and whose instant lies in
 * [the instant it was computed for, the next change instant after it): exactly the operations
 * that would compute the same figure. Bounded by total weight (weightOf): the least recently
 * used entry goes first.
 */
export class FigureCache {
  private readonly entries = new Map<string, Entry>();
  private weight = 0;
  /**
   * Figures being computed, by key: an operation whose window the computation's covers (same
   * version, instant in [its instant, its bound)) waits for it instead of computing it again, so
   * that many clients asking at once after a write cost one computation, not one each.
   */
  readonly inflight = new Map<string, { window: FigureWindow; until: number; value: Promise<unknown> }>();

  constructor(private maxEntries: number) {}

  /** 0 turns the cache off (every figure is computed). */
  resize(maxEntries: number): void {
    this.maxEntries = maxEntries;
    while (this.weight > maxEntries) this.evictOne();
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(key: string, window: FigureWindow): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== window.version || window.asOf < entry.from || window.asOf >= entry.until) return undefined;
    // Most recently used last, so that eviction takes the first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  store(key: string, window: FigureWindow, until: number, value: unknown): void {
    const weight = weightOf(value);
    if (this.maxEntries <= 0 || value === undefined || weight > this.maxEntries) return;
    this.remove(key);
    // Frozen: the same object answers later operations, so a resolver that changed it would fail, not corrupt them.
    this.entries.set(key, { version: window.version, from: window.asOf, until, value: deepFreeze(value), weight });
    this.weight += weight;
    while (this.weight > this.maxEntries) this.evictOne();
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
  }

  private evictOne(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.remove(oldest.value);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

let defaultEntries = 10_000;
const caches = new WeakMap<object, FigureCache>();

/** FIGURE_CACHE_ENTRIES (src/config.ts): the bound of every cache made from now on and of those already made. */
export function setFigureCacheEntries(entries: number): void {
  defaultEntries = entries;
}

/** The cache of one database (keyed by its primary pool: versions of different databases never mix). */
export function figureCacheFor(database: object): FigureCache {
  let cache = caches.get(database);
  if (!cache) {
    cache = new FigureCache(defaultEntries);
    caches.set(database, cache);
  }
  cache.resize(defaultEntries);
  return cache;
}

/**
 * The SELECT that reads the window as of `asOf`, sent with the read session's BEGIN (so on the
 * snapshot of the figures, in the same round trip): the instant is inline, as a BEGIN batch takes
 * no parameters. Each min() is one probe of its index (posted_at, closed_at, observed_at), and so is
 * the EXISTS on figure_snapshot's version. Group
 * membership and degree state change only by writes, which the version covers.
 */
export function figureWindowSql(asOf: Date): string {
  const at = `'${asOf.toISOString()}'::timestamptz`;
  return `SELECT v.version AS figure_version, v.shared AS figure_shared,
    EXISTS (SELECT 1 FROM figure_snapshot f WHERE f.version = v.shared) AS figure_snapshots,
    least((SELECT min(p.posted_at) FROM posting p WHERE p.posted_at > ${at}),
          (SELECT min(p.closed_at) FROM posting p WHERE p.closed_at > ${at}),
          (SELECT min(o.observed_at) FROM salary_observation o WHERE o.observed_at > ${at})) AS figure_next
    FROM (SELECT sum(version)::text AS version, sum(shared)::text AS shared FROM data_version) v`;
}

/** The window from the row of figureWindowSql. */
export function figureWindowOf(
  rows: {
    figure_version?: string | null;
    figure_shared?: string | null;
    figure_next?: Date | null;
    figure_snapshots?: boolean;
  }[],
  asOf: Date,
): FigureWindow {
  const row = rows[0];
  if (!row || row.figure_version === undefined) throw new Error('the read session did not read the figure window');
  const next = row.figure_next ? new Date(row.figure_next).getTime() : Number.POSITIVE_INFINITY;
  return {
    version: row.figure_version ?? '0',
    shared: row.figure_shared ?? '0',
    asOf: asOf.getTime(),
    next,
    snapshots: row.figure_snapshots === true,
  };
}

/** The data version on the session's snapshot, read in its BEGIN round trip (figureWindowSql, which createLoaders sends with it). */
export async function snapshotVersion(reads: ReadSession, asOf: Date): Promise<string> {
  return figureWindowOf(await reads.beginRows(), asOf).version;
}

/** The next UTC midnight after `ms`: converting into a currency other than USD uses the rate of the request's UTC day. */
export function nextUtcDay(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** The start of the calendar period (UTC) after the one holding `ms`: a trend's last period is the request's. */
export function nextPeriodStart(ms: number, interval: TrendInterval): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (interval === 'MONTH') return Date.UTC(y, m + 1, 1);
  if (interval === 'QUARTER') return Date.UTC(y, (Math.floor(m / 3) + 1) * 3, 1);
  return Date.UTC(y + 1, 0, 1);
}

/**
 * `load` for the ids whose figure (`kind`: the figure and its arguments) is not cached for the
 * window; the cached ones from the cache. Each computed figure is stored until min(window.next,
 * `until`), `until` being a bound of the figure's own (a period or day boundary), if any. A
 * figure that time does not change (`followsTime` false: counts of every posting, whatever its
 * dates) is stored until `until` alone, so only a write (a new data version) ends it.
 */
export async function cachedFigures<V>(
  cache: FigureCache,
  window: () => Promise<FigureWindow>,
  kind: string,
  ids: readonly number[],
  load: (ids: number[]) => Promise<V[]>,
  until: (asOf: number) => number = () => Number.POSITIVE_INFINITY,
  followsTime = true,
): Promise<V[]> {
  const opened = await window();
  const w = followsTime ? opened : { ...opened, next: Number.POSITIVE_INFINITY };
  const key = (id: number) => `${kind}#${id}`;
  const results: V[] = new Array(ids.length);
  const missing: number[] = [];
  const waiting: Promise<void>[] = [];
  // Figures whose shared computation failed (e.g. its own client went away): computed here instead.
  const retry: number[] = [];
  ids.forEach((id, i) => {
    const hit = cache.lookup(key(id), w);
    if (hit !== undefined) {
      results[i] = hit as V;
      return;
    }
    const running = cache.inflight.get(key(id));
    if (running && running.window.version === w.version && running.window.asOf <= w.asOf && w.asOf < running.until) {
      waiting.push(
        running.value.then(
          (value) => void (results[i] = value as V),
          () => void retry.push(i),
        ),
      );
    } else missing.push(i);
  });
  if (missing.length > 0) {
    const validUntil = Math.min(w.next, until(w.asOf));
    const batch = load(missing.map((i) => ids[i] as number));
    const mine = missing.map((i, j) => {
      const entry = { window: w, until: validUntil, value: batch.then((loaded) => loaded[j]) };
      entry.value.catch(() => undefined);
      cache.inflight.set(key(ids[i] as number), entry);
      return entry;
    });
    try {
      const loaded = await batch;
      missing.forEach((i, j) => {
        const value = loaded[j] as V;
        results[i] = value;
        cache.store(key(ids[i] as number), w, validUntil, value);
      });
    } finally {
      missing.forEach((i, j) => {
        if (cache.inflight.get(key(ids[i] as number)) === mine[j]) cache.inflight.delete(key(ids[i] as number));
      });
    }
  }
  await Promise.all(waiting);
  if (retry.length > 0) {
    const loaded = await load(retry.map((i) => ids[i] as number));
    const validUntil = Math.min(w.next, until(w.asOf));
    retry.forEach((i, j) => {
      results[i] = loaded[j] as V;
      cache.store(key(ids[i] as number), w, validUntil, loaded[j]);
    });
  }
  return results;
}
