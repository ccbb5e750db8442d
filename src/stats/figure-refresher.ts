import type pg from 'pg';
import { refreshOutdatedSnapshots } from './figure-snapshots.ts';

export interface FigureRefresherOptions {
  /** How long after a write (the first one not yet refreshed) the refresh starts: the writes in between share it. */
  delayMs: number;
  /** statement_timeout of the refresh's statements (0: none); the service's pool has DB_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs: number;
  /** PGlite, whose connections share one backend: a refresh is not cancelled (it would cancel every connection's statement). */
  embedded: boolean;
  workMem?: string;
  jitOff?: boolean;
  /** Told of each refresh that stored rows, and of each failure (a warning: readers compute). */
  log?: {
    refreshed(roles: number, seconds: number): void;
    failed(error: Error): void;
  };
}

/**
 * Refreshes, in the background, the stored page panels (figure_snapshot) that the service's own
 * writes outdated, so that the next reader of a role a mutation changed reads rows again instead
 * of computing them (at 1M postings the largest role's page computes in 7-8 s; at 10M it ran out
 * of its statement timeout). The writes within `delayMs` of the first share one refresh; a write
 * during a refresh gets the next one. Which roles to refresh is read from the database (every
 * role whose rows a committed write outdated, whoever wrote), so a missed call costs a reader
 * one computation, never a wrong figure: readers check every row's versions themselves.
 */
export class FigureRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: FigureRefresherOptions,
  ) {}

  /** A write has committed: its roles' panels are refreshed `delayMs` from now (or after the refresh running). */
  wrote(): void {
    if (this.stopped) return;
    this.pending = true;
    if (!this.timer && !this.running) this.schedule(this.options.delayMs);
  }

  /**
   * Starts the refresh that is waiting for its delay now, and resolves when it has ended (after
   * the one running, if any). A refresh that found another process's running leaves the next
   * one scheduled, as a write during it does. For tests; a shutdown uses stop.
   */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.start();
    }
    await this.running;
  }

  /** No more refreshes; one running is cancelled (its rows are not stored) and awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, delayMs);
    // A refresh waiting to start must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private start(): void {
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.pending && !this.stopped) this.schedule(this.options.delayMs);
    });
  }

  private async run(): Promise<void> {
    this.pending = false;
    const started = process.hrtime.bigint();
    try {
      const refreshed = await refreshOutdatedSnapshots(this.pool, {
        workMem: this.options.workMem,
        jitOff: this.options.jitOff,
        statementTimeoutMs: this.options.statementTimeoutMs,
        signal: this.options.embedded ? undefined : this.abort.signal,
        // One connection: the rest of the pool keeps serving requests meanwhile.
        connections: 1,
      });
      // Another process is refreshing: what it began before this write may not include it.
      if (refreshed === 'busy') this.pending = true;
      else if (refreshed.length > 0)
        this.options.log?.refreshed(refreshed.length, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      if (this.stopped) return;
      // An import's refresh stored rows of the same roles after this snapshot began: look again.
      if ((error as { code?: string }).code === '40001') this.pending = true;
      else this.options.log?.failed(error as Error);
    }
  }
}
