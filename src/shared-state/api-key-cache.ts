/**
 * Which bearer keys are valid API keys, remembered for a minute so that the rate limiter does
 * not look every request's key up in the database. Keyed by the key's SHA-256, never the key.
 * With Redis the answers live there, shared by every instance, and revoking a key writes an
 * "invalid" marker that every instance reads at once; without Redis (or while it is down) each
 * process remembers its own answers.
 */
import type { SharedState } from './index.ts';

export const KEY_CACHE_TTL_MS = 60_000;
const LOCAL_MAX = 10_000;

export interface ApiKeyCache {
  /** true or false when known, undefined when the database must be asked. */
  get(hash: string): Promise<boolean | undefined>;
  remember(hash: string, valid: boolean): Promise<void>;
}

class LocalKeyCache implements ApiKeyCache {
  private readonly entries = new Map<string, { valid: boolean; until: number }>();

  async get(hash: string): Promise<boolean | undefined> {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.valid;
    this.entries.delete(hash);
    return undefined;
  }

  async remember(hash: string, valid: boolean): Promise<void> {
    if (this.entries.size >= LOCAL_MAX) this.entries.clear();
    this.entries.set(hash, { valid, until: Date.now() + KEY_CACHE_TTL_MS });
  }

  clear(): void {
    this.entries.clear();
  }
}

class RedisKeyCache implements ApiKeyCache {
  private readonly local = new LocalKeyCache();

  constructor(private readonly shared: SharedState) {
    // What was remembered locally while Redis was away may miss revocations made meanwhile.
    shared.onChange((available) => {
      if (available) this.local.clear();
    });
  }

  async get(hash: string): Promise<boolean | undefined> {
    const redis = this.shared.redis;
    if (!redis || !this.shared.available) return this.local.get(hash);
    try {
      const value = await redis.get(apiKeyCacheKey(this.shared, hash));
      return value === null ? undefined : value === '1';
    } catch {
      return this.local.get(hash);
    }
  }

  async remember(hash: string, valid: boolean): Promise<void> {
    const redis = this.shared.redis;
    if (!redis || !this.shared.available) return this.local.remember(hash, valid);
    try {
      // NX: a revocation marker written meanwhile is never overwritten by an older lookup.
      await redis.set(apiKeyCacheKey(this.shared, hash), valid ? '1' : '0', 'PX', KEY_CACHE_TTL_MS, 'NX');
    } catch {
      await this.local.remember(hash, valid);
    }
  }
}

export function apiKeyCacheKey(shared: SharedState, hash: string): string {
  return shared.key('apikey', hash);
}

/** The cache for this service: in Redis when the shared state has it, else in memory. */
export function createApiKeyCache(shared: SharedState): ApiKeyCache {
  return shared.redis ? new RedisKeyCache(shared) : new LocalKeyCache();
}

/**
 * Marks revoked keys invalid in Redis, so that no instance counts them as keys from now on.
 * Without Redis there is nothing to do: each process forgets its answers within a minute.
 */
export async function markKeysRevoked(shared: SharedState, hashes: readonly string[]): Promise<void> {
  const redis = shared.redis;
  if (!redis || hashes.length === 0) return;
  const pipeline = redis.pipeline();
  for (const hash of hashes) pipeline.set(apiKeyCacheKey(shared, hash), '0', 'PX', KEY_CACHE_TTL_MS);
  const results = await pipeline.exec();
  const failed = results?.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
}
