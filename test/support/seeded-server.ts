import pino from 'pino';
import { startServer, type RunningServer, type ServerOptions } from '../../src/http/server.ts';
import { seedDatabase } from '../../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface SeededServer {
  db: TestDatabase;
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/** The real HTTP server on a free port, over a fresh test database loaded with the seed data. */
export async function startSeededServer(
  options: Partial<Pick<ServerOptions, 'playground' | 'production'>> = {},
): Promise<SeededServer> {
  const db = await createTestDatabase();
  try {
    await seedDatabase(db);
    const server = await startServer({ db, logger: pino({ level: 'silent' }), ...options }, 0, '127.0.0.1');
    return {
      db,
      server,
      url: server.url,
      async close() {
        await server.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
