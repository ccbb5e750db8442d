import http from 'node:http';
import type { RunningServer } from '../../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';

/** GET on the agent's one keep-alive connection: status, the Connection header and the body. */
function get(
  port: number,
  path: string,
  agent: http.Agent,
): Promise<{ status: number; connection: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: String(res.headers.connection ?? ''), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a draining server', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { shutdownTimeoutMs: 5000 });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  it('answers /readyz 503 with Connection: close on a kept-alive connection, refuses new connections and stops', async () => {
    const port = Number(new URL(server.url).port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(port, '/readyz', agent);
    expect(before.status).toBe(200);
    expect(before.connection).toBe('keep-alive');

    const stopped = server.shutdown();
    // Sent at once on the connection accepted before the drain: answered (the grace period), not reset.
    const during = await get(port, '/readyz', agent);
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toEqual({ ready: false, draining: true });
    expect(during.connection).toBe('close');
    // The listener is closed from the first moment of the drain.
    const fresh = await get(port, '/healthz', new http.Agent({ keepAlive: false })).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(fresh).toBe('ECONNREFUSED');

    expect(await stopped).toEqual({ forced: 0 });
    expect(server.server.listening).toBe(false);
    agent.destroy();
  }, 60_000);
});
