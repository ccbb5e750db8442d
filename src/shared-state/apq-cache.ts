import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { SharedState } from './index.ts';

/** A registered query lives this long in Redis after its last registration (clients re-register a miss). */
const TTL_SECONDS = 7 * 24 * 3600;

/**
 * Apollo's store of automatic persisted queries (hash -> query text), shared by every instance
 * through Redis: a query registered on one instance runs by its hash on all of them. While Redis
 * is away (or without REDIS_URL) each instance keeps its own registrations in memory, as Apollo
 * does by default; a hash unknown there is PERSISTED_QUERY_NOT_FOUND and the client sends the
 * text again, so nothing fails. Hand-written because Apollo's Keyv adapter would bring Keyv and
 * a second Redis client next to the service's ioredis; the interface is three methods.
 */
export class SharedApqCache implements KeyValueCache<string> {
  private readonly local = new InMemoryLRUCache<string>();

  constructor(private readonly shared: SharedState) {}

  private key(key: string): string {
    return this.shared.key('apq', key);
  }

  async get(key: string): Promise<string | undefined> {
    const redis = this.shared.redis;
    if (redis && this.shared.available) {
      try {
        const value = await redis.get(this.key(key));
        if (value !== null) return value;
      } catch {
        // Redis failed this once: the local registrations answer.
      }
    }
    return this.local.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    await this.local.set(key, value);
    const redis = this.shared.redis;
    if (!redis || !this.shared.available) return;
    await redis.set(this.key(key), value, 'EX', TTL_SECONDS).catch(() => undefined);
  }

  async delete(key: string): Promise<boolean | void> {
    await this.local.delete(key);
    await this.shared.redis?.del(this.key(key)).catch(() => undefined);
  }
}
