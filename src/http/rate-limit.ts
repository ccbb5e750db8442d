import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LimitCode, plainError } from '../graphql/limits/errors.ts';

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
  /** Clients tracked at most; beyond this the oldest windows are dropped early. */
  maxClients?: number;
  /**
   * Whether a bearer key is a valid API key. Without it every bearer key counts as its own
   * client. Answers are cached for a minute, so a key costs one lookup a minute at most.
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

interface Window {
  count: number;
  resetAt: number;
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
  return match ? crypto.createHash('sha256').update(match[1] as string).digest('hex') : undefined;
}

/** The limiter's key for a request: `key:<sha256 of the bearer key>` or `ip:<address>`. */
export function clientKey(req: IncomingMessage, trustProxy = 0): string {
  const hash = bearerHash(req);
  return hash ? `key:${hash}` : `ip:${clientAddress(req, trustProxy)}`;
}

const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly trustProxy: number;
  private readonly maxClients: number;
  private readonly windows = new Map<string, Window>();
  private readonly verified = new Map<string, { valid: boolean; until: number }>();
  private readonly verifyKey: RateLimitOptions['verifyKey'];
  private nextSweep = 0;

  constructor(options: RateLimitOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs ?? 60_000;
    this.trustProxy = options.trustProxy ?? 0;
    this.maxClients = options.maxClients ?? 100_000;
    this.verifyKey = options.verifyKey;
  }

  /** The bucket of a request: its API key's when the key is valid, else its address's. */
  private async bucketOf(req: IncomingMessage): Promise<string> {
    const hash = bearerHash(req);
    const address = `ip:${clientAddress(req, this.trustProxy)}`;
    if (!hash) return address;
    if (!this.verifyKey) return `key:${hash}`;
    const now = Date.now();
    let entry = this.verified.get(hash);
    if (!entry || entry.until <= now) {
      const valid = await this.verifyKey(req.headers.authorization as string).catch(() => false);
      if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
      entry = { valid, until: now + VERIFIED_TTL_MS };
      this.verified.set(hash, entry);
    }
    return entry.valid ? `key:${hash}` : address;
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Counts one request for `key` and says whether it may proceed. */
  take(key: string, now = Date.now()): RateDecision {
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (!window && this.windows.size >= this.maxClients) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.delete(key);
      this.windows.set(key, window);
    }
    window.count += 1;
    return {
      allowed: window.count <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
      count: window.count,
    };
  }

  /** Clients currently tracked (for tests). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  /**
   * Applies the limit to a request: sets the RateLimit-* headers, and over the limit answers
   * 429 with Retry-After and a RATE_LIMITED error. Returns true when it answered.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (!this.enabled) return false;
    const decision = this.take(await this.bucketOf(req));
    const windowSeconds = Math.round(this.windowMs / 1000);
    res.setHeader('ratelimit-limit', String(decision.limit));
    res.setHeader('ratelimit-remaining', String(decision.remaining));
    res.setHeader('ratelimit-reset', String(decision.resetSeconds));
    res.setHeader('ratelimit-policy', `${decision.limit};w=${windowSeconds}`);
    if (decision.allowed) return false;
    const error = plainError(
      LimitCode.RATE,
      `Rate limit of ${decision.limit} requests per ${windowSeconds} s exceeded (request ${decision.count} in this window); retry after ${decision.resetSeconds} s.`,
      { limit: decision.limit, value: decision.count, retryAfter: decision.resetSeconds },
    );
    const text = JSON.stringify({ errors: [error] });
    res.writeHead(429, {
      'retry-after': String(decision.resetSeconds),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return true;
  }
}
