import type pg from 'pg';
import { figureWindowOf, figureWindowSql, type FigureWindow } from '../stats/figure-cache.ts';

/** RESPONSE_CACHE_BYTES' default: 16 MiB, some 140 answers of 20 roles x 20 postings (each counted with room for its compressed forms). */
export const DEFAULT_RESPONSE_CACHE_BYTES = 16 * 1024 * 1024;

/** Requests longer than this (query and variables) are not kept: a key is held in memory as it is. */
const MAX_KEY_LENGTH = 64 * 1024;

/**
 * Whole answers of GraphQL queries, in this process, for as long as they are exact: an answer
 * read on one snapshot holds for every operation whose snapshot has the same data version and no
 * posting opening or closing (nor a report starting to count) between the two instants, on the
 * same UTC day (a currency's rate and a trend's periods change at midnight). The window's next
 * change instant tells the second: it is the same for two instants exactly when nothing changes
 * between them. A hit costs one statement (the window, three index probes and the version) and
 * no GraphQL execution; a write anywhere, by any process, changes the version and ends every entry.
 *
 * Only public queries are kept: POST with one operation (no batch), no Authorization header, a
 * 200 answer without errors, read on exactly one snapshot (readSessionPlugin says so; mutations
 * never are). Bounded by the bytes of the answers kept (RESPONSE_CACHE_BYTES), least recently used out.
 * A query that arrives while the same one is being executed waits for that execution's answer
 * (then checked as a hit), instead of executing too.
 */
export class OperationCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** The requests executing a key no kept answer holds for: the same requests meanwhile wait for their answer (lead, join). */
  private readonly executing = new Map<string, Promise<void>>();

  constructor(
    /** Where a lookup reads the current window: where a query would read (a healthy replica, else the primary). */
    private readonly readPool: () => Promise<pg.Pool>,
    private readonly maxBytes: number,
    /** How long a lookup waits for the window before the request is executed instead (a frozen or busy server). */
    private readonly lookupTimeoutMs = 1000,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The cache key of a request body, or undefined when it is not a single operation with its text. */
  keyOf(body: unknown, accept: string | undefined): string | undefined {
    if (!this.enabled || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const { query, operationName, variables, extensions } = body as Record<string, unknown>;
    if (typeof query !== 'string') return undefined;
    try {
      // The answer's content type follows the Accept header; extensions (e.g. an APQ hash) are part of the request.
      const key = JSON.stringify([accept ?? '', query, operationName ?? null, variables ?? null, extensions ?? null]);
      return key.length <= MAX_KEY_LENGTH ? key : undefined;
    } catch {
      return undefined; // variables too deep to serialize: the execution reports them
    }
  }

  /** The kept answer of `key` if it holds now; reads the current window only when there is one to check. */
  async lookup(key: string): Promise<Answer | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = new Date();
    let window: FigureWindow;
    try {
      const pool = await this.readPool();
      const query = { text: figureWindowSql(now), query_timeout: this.lookupTimeoutMs } as pg.QueryConfig;
      window = figureWindowOf((await pool.query(query)).rows, now);
    } catch {
      return undefined; // the execution reports the outage itself
    }
    if (window.version !== entry.version || window.next !== entry.next || utcDay(now.getTime()) !== entry.day) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
  }

  /**
   * After a lookup found no answer: either the caller executes `key` (`lead`, to be called once
   * it has stored its answer or failed), or another request already is, and `wait` resolves when
   * it is done with its answer looked up as any hit is (the window of now must be the one it was
   * read on). So identical queries that arrive together, at a start or after a write, execute
   * once. `wait` gives undefined when that answer is not kept or no longer holds: the caller
   * executes the query itself. Synchronous, so that two callers never both lead.
   */
  claim(key: string): { lead: () => void } | { wait: Promise<Answer | undefined> } {
    const executing = this.executing.get(key);
    if (executing) return { wait: executing.then(() => this.lookup(key)) };
    let end = () => {};
    this.executing.set(
      key,
      new Promise<void>((resolve) => {
        end = resolve;
      }),
    );
    return {
      lead: () => {
        this.executing.delete(key);
        end();
      },
    };
  }

  /** Keeps the answer of `key`, read on a snapshot with `window`. */
  store(key: string, window: FigureWindow, answer: Answer): void {
    // The body, its compressed forms (each smaller than it) and the key.
    const size = answer.body.length * 3 + key.length * 2;
    if (!this.enabled || size > this.maxBytes / 4) return;
    this.remove(key);
    this.entries.set(key, { version: window.version, next: window.next, day: utcDay(window.asOf), answer, size });
    this.bytes += size;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }
}

export interface Answer {
  headers: [string, string][];
  body: Buffer;
  /** The operation's name, for /metrics. */
  operationName: string | undefined;
  /** The body compressed, per encoding, as clients asked for it (each made once). */
  encoded: Partial<Record<'br' | 'gzip', Buffer>>;
}

interface Entry {
  version: string;
  next: number;
  day: number;
  answer: Answer;
  size: number;
}

const utcDay = (ms: number): number => Math.floor(ms / 86_400_000);

/** Whether a complete GraphQL answer reports errors (then it is not kept: they may be transient). */
export const reportsErrors = (body: string): boolean => body.includes('"errors":');
