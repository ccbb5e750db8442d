import pg from 'pg';
import type { Database } from '../db/database.ts';
import { pendingMigrations } from '../db/migrate.ts';
import type { ReplicaState } from '../db/replicas.ts';

export function checkHealth(): { status: 'ok' } {
  return { status: 'ok' };
}

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pendingMigrations: string[];
  /** Each read replica's state and lag; a replica that is down does not make the service unready. */
  replicas?: ReplicaState[];
  error?: string;
}

/**
 * Ready when the database answers and every committed migration is applied. The check opens a
 * connection of its own instead of taking one from the pool: a pool that is merely busy (every
 * connection serving requests) is not a reason for a load balancer to take the instance out,
 * and a frozen server must not make the check hang (connect and query time out).
 */
export async function checkReadiness(db: Database): Promise<Readiness> {
  const timeoutMs = db.connectTimeoutMs;
  const client = new pg.Client({
    connectionString: db.url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  // An error event of a connection that dies after the check must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pending = await pendingMigrations(client);
    return { ready: pending.length === 0, database: 'ok', pendingMigrations: pending, ...replicaStates(db) };
  } catch (error) {
    return {
      ready: false,
      database: 'unreachable',
      pendingMigrations: [],
      ...replicaStates(db),
      error: (error as Error).message,
    };
  } finally {
    // A frozen server would keep end() waiting: the socket is dropped without waiting for it.
    void client.end().catch(() => undefined);
  }
}

function replicaStates(db: Database): { replicas?: ReplicaState[] } {
  return db.replicas ? { replicas: db.replicas.states() } : {};
}
