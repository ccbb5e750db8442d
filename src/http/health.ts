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

/** Ready when the database answers and every committed migration is applied. */
export async function checkReadiness(db: Database): Promise<Readiness> {
  try {
    const pending = await pendingMigrations(db.pool);
    return { ready: pending.length === 0, database: 'ok', pendingMigrations: pending, ...replicaStates(db) };
  } catch (error) {
    return { ready: false, database: 'unreachable', pendingMigrations: [], ...replicaStates(db), error: (error as Error).message };
  }
}

function replicaStates(db: Database): { replicas?: ReplicaState[] } {
  return db.replicas ? { replicas: db.replicas.states() } : {};
}
