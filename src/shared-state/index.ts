/**
 * State that instances of the service share through Redis (REDIS_URL): today the rate limit
 * and the API key cache; later features (persisted queries, a result cache) keep theirs here
 * too, under their own `key(...)` namespace. Without REDIS_URL every instance keeps its state
 * in memory. With Redis unreachable the service keeps answering on per-process state, and says
 * so once each time Redis goes away or comes back (docs/security.md).
 */
import { Redis } from 'ioredis';
import type pino from 'pino';
import { redactSecrets } from '../logger.ts';

export interface SharedState {
  /** The Redis client, or undefined without REDIS_URL. Commands fail at once while it is down (no offline queue). */
  readonly redis: Redis | undefined;
  /** The namespace of this service's keys, e.g. `jobstats:`. */
  readonly prefix: string;
  /** A Redis key under the prefix: key('rate', 'ip:1.2.3.4') is `jobstats:rate:ip:1.2.3.4`. */
  key(...parts: string[]): string;
  /** Whether Redis is connected right now (always false without REDIS_URL). */
  readonly available: boolean;
  /** Called each time Redis goes away or comes back (true: back). */
  onChange(listener: (available: boolean) => void): void;
  /** Resolves once Redis is connected, or after `timeoutMs`, whichever is first (at once without Redis). */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  /** REDIS_URL; in-memory state without it. */
  url?: string;
  /** REDIS_KEY_PREFIX; `jobstats:` by default. */
  prefix?: string;
  logger?: Pick<pino.Logger, 'info' | 'warn'>;
  /** A command that Redis has not answered in this time fails (and the fallback is used); 500 ms by default. */
  commandTimeoutMs?: number;
}

/** Per-process state only: what the service uses without REDIS_URL. */
export function localState(prefix = 'jobstats:'): SharedState {
  return {
    redis: undefined,
    prefix,
    key: (...parts) => `${prefix}${parts.join(':')}`,
    available: false,
    onChange: () => undefined,
    ready: async () => false,
    close: async () => undefined,
  };
}

export function openSharedState(options: SharedStateOptions): SharedState {
  const prefix = options.prefix ?? 'jobstats:';
  if (!options.url) return localState(prefix);
  const shown = redactSecrets(options.url);
  const redis = new Redis(options.url, {
    // A request must never wait for Redis: without a connection, commands fail at once and
    // the per-process fallback answers.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 2000,
    // Keep trying to reconnect, at most every 5 s, for as long as the service runs.
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    lazyConnect: false,
  });
  const listeners: ((available: boolean) => void)[] = [];
  let available = false;
  // Undefined until the first outcome, so that a Redis that is down at start is reported too.
  let reported: boolean | undefined;
  let closed = false;
  const report = (now: boolean, detail?: string) => {
    available = now;
    if (closed) return;
    if (reported === now) return;
    reported = now;
    if (now)
      options.logger?.info(
        { redis: shown },
        'Redis connected: rate limits and the API key cache are shared by every instance',
      );
    else
      options.logger?.warn(
        { redis: shown, reason: detail },
        'Redis unavailable: falling back to per-process rate limits and API key cache until it is back',
      );
    for (const listener of listeners) listener(now);
  };
  redis.on('ready', () => report(true));
  redis.on('error', (error: Error) => report(false, redactSecrets(error.message)));
  redis.on('close', () => {
    if (available) report(false, 'connection closed');
  });
  return {
    redis,
    prefix,
    key: (...parts) => `${prefix}${parts.join(':')}`,
    get available() {
      return available && redis.status === 'ready';
    },
    onChange(listener) {
      listeners.push(listener);
    },
    ready(timeoutMs) {
      if (redis.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          resolve(false);
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        redis.once('ready', onReady);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.length = 0;
      if (redis.status !== 'ready') {
        redis.disconnect();
        return;
      }
      // QUIT lets replies in flight arrive; a Redis that stops answering meanwhile is dropped.
      const quit = redis.quit().catch(() => undefined);
      const timer = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([quit, timer]);
      redis.disconnect();
    },
  };
}
