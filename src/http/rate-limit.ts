import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LimitCode, plainError } from '../graphql/limits/errors.ts';
import { createApiKeyCache, type ApiKeyCache } from '../shared-state/api-key-cache.ts';
import { localState, type SharedState } from '../shared-state/index.ts';

/**
 * A fixed-window rate limit per client: per API key when the request carries a valid
 * `Authorization: Bearer <key>` (keyed by the key's SHA-256, never the key itself), otherwise
 * per client address, so that inventing keys buys no fresh allowance. The address is the socket's peer, or, when `trustProxy` hops are
 * trusted, the address that the outermost trusted proxy saw (read from X-Forwarded-For).
 */
export interface RateLimitOptions {
  /** Requests per window and client; 0 turns the limit off. */
  limit: number;
  /** Window length; 60 s by default (RATE_LIMIT_PER_MINUTE). */
  windowMs?: number;
  /** Proxies in front of the service whose X-Forwarded-For is believed; 0 (default) ignores the header. */
  trustProxy?: number;
  /** Where the windows and the key cache live: Redis when it has a client, else this process. */
  shared?: SharedState;
  /**
   * Whether a bearer key is a valid API key. Without it every bearer key counts as its own
   * client. Answers are cached for a minute (src/shared-state/api-key-cache.ts), so a key costs
   * one lookup a minute at most.
   */
  verifyKey?: (authorization: string) => Promise<boolean>;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** Requests counted in this window, this one included. */
  count: number;
}

function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}

/** The client's address: the socket peer, or with `trustProxy` hops the entry that many hops back in X-Forwarded-For. */
export function clientAddress(req: IncomingMessage, trustProxy = 0): string {
  const peer = normalizeAddress(req.socket.remoteAddress);
  if (trustProxy <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0 && part.length <= 64);
  const chain = [...forwarded, peer];
  return normalizeAddress(chain[Math.max(0, chain.length - 1 - trustProxy)]);
}

/** The SHA-256 of the request's bearer key, or undefined without one. */
function bearerHash(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer\s+(\S{1,512})\s*$/i.exec(auth) : null;
  return match
    ? crypto
        .createHash('sha256')
        .update(match[1] as string)
        .digest('hex')
    : undefined;
}

/** The limiter's key for a request: `key:<sha256 of the bearer key>` or `ip:<address>`. */
export function clientKey(req: IncomingMessage, trustProxy = 0): string {
  const hash = bearerHash(req);
  return hash ? `key:${hash}` : `ip:${clientAddress(req, trustProxy)}`;
}

/**
 * The limiter itself is rate-limiter-flexible's: a fixed window per client, counted in Redis when
 * the shared state has it (every instance draws on one allowance) with a per-process window as
 * its insurance while Redis is away, and per process otherwise.
 */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly trustProxy: number;
  private readonly limiter: RateLimiterAbstract;
  private readonly keyCache: ApiKeyCache;
  private readonly verifyKey: RateLimitOptions['verifyKey'];

  constructor(options: RateLimitOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs ?? 60_000;
    this.trustProxy = options.trustProxy ?? 0;
    this.verifyKey = options.verifyKey;
    const shared = options.shared ?? localState();
    const points = Math.max(1, this.limit);
    const duration = Math.max(1, Math.round(this.windowMs / 1000));
    const local = new RateLimiterMemory({ points, duration, keyPrefix: 'rate' });
    this.limiter = shared.redis
      ? new RateLimiterRedis({
          storeClient: shared.redis,
          points,
          duration,
          keyPrefix: shared.key('rate'),
          rejectIfRedisNotReady: true,
          insuranceLimiter: local,
        })
      : local;
    this.keyCache = createApiKeyCache(shared);
  }

  /** The bucket of a request: its API key's when the key is valid, else its address's. */
  private async bucketOf(req: IncomingMessage): Promise<string> {
    const hash = bearerHash(req);
    const address = `ip:${clientAddress(req, this.trustProxy)}`;
    if (!hash) return address;
    if (!this.verifyKey) return `key:${hash}`;
    let valid = await this.keyCache.get(hash);
    if (valid === undefined) {
      valid = await this.verifyKey(req.headers.authorization as string).catch(() => false);
      await this.keyCache.remember(hash, valid);
    }
    return valid ? `key:${hash}` : address;
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Counts one request for `key` and says whether it may proceed. */
  async take(key: string): Promise<RateDecision> {
    let result: RateLimiterRes;
    let allowed = true;
    try {
      result = await this.limiter.consume(key, 1);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      result = rejection;
      allowed = false;
    }
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, result.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      count: result.consumedPoints,
    };
  }

  /**
   * Applies the limit to a request: sets the RateLimit-* headers, and over the limit answers
   * 429 with Retry-After and a RATE_LIMITED error (as JSON, or as HTML for the pages). Returns
   * true when it answered.
   */
  async handle(req: IncomingMessage, res: ServerResponse, renderHtml?: (message: string) => string): Promise<boolean> {
    if (!this.enabled) return false;
    const decision = await this.take(await this.bucketOf(req));
    const windowSeconds = Math.round(this.windowMs / 1000);
    res.setHeader('ratelimit-limit', String(decision.limit));
    res.setHeader('ratelimit-remaining', String(decision.remaining));
    res.setHeader('ratelimit-reset', String(decision.resetSeconds));
    res.setHeader('ratelimit-policy', `${decision.limit};w=${windowSeconds}`);
    if (decision.allowed) return false;
    const message = `Rate limit of ${decision.limit} requests per ${windowSeconds} s exceeded (request ${decision.count} in this window); retry after ${decision.resetSeconds} s.`;
    const error = plainError(LimitCode.RATE, message, {
      limit: decision.limit,
      value: decision.count,
      retryAfter: decision.resetSeconds,
    });
    const html = renderHtml?.(message);
    const text = html ?? JSON.stringify({ errors: [error] });
    res.writeHead(429, {
      'retry-after': String(decision.resetSeconds),
      'content-type': html === undefined ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  }
}
