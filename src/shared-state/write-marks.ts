import type { WriteMarks } from '../db/replicas.ts';
import type { SharedState } from './index.ts';

/**
 * Read-your-writes marks (the primary's WAL position after a client's last write) in Redis, so
 * that every instance routes that client's reads alike. A mark outlives any healthy replica's
 * lag many times over; without Redis (or while it is away) each instance knows its own marks.
 */
export function sharedWriteMarks(shared: SharedState, ttlMs: number): WriteMarks | undefined {
  if (!shared.redis) return undefined;
  const redis = shared.redis;
  return {
    async get(client) {
      if (!shared.available) return undefined;
      const value = await redis.get(shared.key('write', client));
      return value === null || !/^\d+$/.test(value) ? undefined : BigInt(value);
    },
    async set(client, lsn) {
      if (!shared.available) return;
      await redis.set(shared.key('write', client), lsn.toString(), 'PX', ttlMs);
    },
  };
}
