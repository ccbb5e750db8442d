import type { Database } from '../db/database.ts';
import { pendingMigrations } from '../db/migrate.ts';

export function checkHealth(): { status: 'ok' } {
  return { status: 'ok' };
}

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pendingMigrations: string[];
  error?: string;
}

/** Ready when the database answers and every committed migration is applied. */
export async function checkReadiness(db: Database): Promise<Readiness> {
  try {
    const pending = await pendingMigrations(db.pool);
    return { ready: pending.length === 0, database: 'ok', pendingMigrations: pending };
  } catch (error) {
    return { ready: false, database: 'unreachable', pendingMigrations: [], error: (error as Error).message };
  }
}
