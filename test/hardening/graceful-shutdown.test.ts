import http from 'node:http';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { startService, type ChildService } from './support/child-service.ts';

const BODY = JSON.stringify({ query: '{ role(slug: "backend-developer") { slug stats { openings employers } } }' });

type Outcome = 'ok' | 'refused' | 'failed';

/** One POST; `agent` keeps the connection alive between requests like a proxy's pool does. */
function post(port: number, agent: http.Agent): Promise<{ outcome: Outcome; detail: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve(
            res.statusCode === 200 && text.includes('"slug"')
              ? { outcome: 'ok', detail: '' }
              : { outcome: 'failed', detail: `${res.statusCode} ${text.slice(0, 200)}` },
          ),
        );
        res.on('error', (error) => resolve({ outcome: 'failed', detail: error.message }));
      },
    );
    const started = Date.now();
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ECONNREFUSED'
          ? { outcome: 'refused', detail: '' }
          : {
              outcome: 'failed',
              detail: `${error.code} ${error.message} (sent at ${started}, failed at ${Date.now()})`,
            },
      ),
    );
    req.end(BODY);
  });
}

/** A request whose body arrives slowly: it is in flight when SIGTERM comes. */
function slowPost(port: number, releaseAfter: Promise<void>): Promise<{ outcome: Outcome; detail: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve(
            res.statusCode === 200 && text.includes('"slug"')
              ? { outcome: 'ok', detail: '' }
              : { outcome: 'failed', detail: `${res.statusCode} ${text}` },
          ),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ outcome: 'failed', detail: `${error.code} ${error.message}` }),
    );
    const half = Math.floor(BODY.length / 2);
    req.write(BODY.slice(0, half));
    void releaseAfter.then(() => req.end(BODY.slice(half)));
  });
}

/** Polls /metrics until at least `count` requests (besides the scrape) are being answered. */
async function waitForInFlight(url: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = Number(/^jobstats_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) - 1;
    if (value >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${value} requests in flight`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGTERM under load: stop accepting, finish requests in flight, close the pool, exit 0', () => {
  let db: TestDatabase;
  let service: ChildService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    service = await startService({
      DATABASE_URL: db.url,
      // The embedded PGlite (this test process's, over its socket) runs one session: one connection.
      DB_POOL_MAX: serverUrl() ? '10' : '1',
      SHUTDOWN_TIMEOUT_MS: '8000',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'info',
    });
  }, 300_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    await db?.close();
  });

  it('drops no request', async () => {
    const port = Number(new URL(service.url).port);

    // Slow requests first: the test waits until the server reports them in flight (a connection
    // still in the kernel's accept queue when the listener closes is reset by the kernel, which
    // no server can prevent; those are not requests in flight).
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = Array.from({ length: 8 }, () => slowPost(port, released));
    await waitForInFlight(service.url, 8);

    let stopLoops = false;
    let connected = 0;
    const loops = Array.from({ length: 16 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const results: { outcome: Outcome; detail: string }[] = [];
      while (!stopLoops) {
        const result = await post(port, agent);
        results.push(result);
        if (results.length === 1) connected += 1;
        if (result.outcome === 'refused') break; // the server no longer accepts connections
      }
      agent.destroy();
      return results;
    });
    // Every loop's keep-alive connection is accepted (it has had an answer), then load runs a while.
    for (const deadline = Date.now() + 15_000; connected < 16 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 20));
    expect(connected).toBe(16);
    await new Promise((r) => setTimeout(r, 500));

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    setTimeout(release, 500); // the slow bodies complete half a second into the shutdown
    const loopTimer = setTimeout(() => (stopLoops = true), 7000);

    const exit = await service.exited;
    const shutdownMs = Date.now() - signalledAt;
    const loopResults = (await Promise.all(loops)).flat();
    clearTimeout(loopTimer);
    const slowResults = await Promise.all(slow);

    const failed = [...loopResults, ...slowResults].filter((r) => r.outcome === 'failed');
    expect(failed).toEqual([]);
    expect(slowResults.map((r) => r.outcome)).toEqual(Array(8).fill('ok'));
    expect(loopResults.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(32);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(shutdownMs).toBeLessThan(8000);
    expect(service.output()).toMatch(/shutting down: finishing requests in flight/);
    expect(service.output()).toMatch(/"msg":"stopped"/);
  }, 300_000);
});
