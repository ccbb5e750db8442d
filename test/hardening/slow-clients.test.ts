import fs from 'node:fs';
import net from 'node:net';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { startService, type ChildService } from './support/child-service.ts';

/** The soft limit on open files of this process (the client sockets live here; the server's in the child). */
function openFileLimit(): number {
  const line = /Max open files\s+(\d+|unlimited)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return line?.[1] === undefined || line[1] === 'unlimited' ? Infinity : Number(line[1]);
}

const WANTED = 500;
const HEADERS_TIMEOUT_MS = 3000;
const REQUEST_TIMEOUT_MS = 6000;

interface SlowClient {
  socket: net.Socket;
  closedAt: Promise<number>;
  response: () => string;
}

/** A client that sends a POST's headers announcing a 1 MB body, then trickles a byte every 250 ms. */
function slowBodyClient(port: number, headersToo = false): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    const closedAt = new Promise<number>((done) =>
      socket.once('close', () => {
        clearInterval(timer);
        done(Date.now());
      }),
    );
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      if (headersToo) {
        // Headers that never end: one more header line every 250 ms.
        socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        let n = 0;
        timer = setInterval(() => socket.writable && socket.write(`x-slow-${n++}: 1\r\n`), 250);
      } else {
        socket.write(
          'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"query":"',
        );
        timer = setInterval(() => socket.writable && socket.write(' '), 250);
      }
      resolve({ socket, closedAt, response: () => response });
    });
    socket.once('error', reject);
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

describe('slow and idle clients are cut off, and do not starve the others', () => {
  let db: TestDatabase;
  let service: ChildService;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    service = await startService({
      DATABASE_URL: db.url,
      DB_POOL_MAX: serverUrl() ? '5' : '1',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    });
    port = Number(new URL(service.url).port);
  });

  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  it('answers /healthz and a query promptly while 500 clients trickle their bodies, then cuts those clients with 408', async () => {
    // Each client costs this process one descriptor; keep well inside the limit.
    const count = Math.min(WANTED, openFileLimit() - 200);
    console.log(`slow-body clients: ${count} (open-file limit ${openFileLimit()})`);
    expect(count).toBeGreaterThanOrEqual(100);
    const started = Date.now();
    const clients: SlowClient[] = [];
    for (let i = 0; i < count; i += 50) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => slowBodyClient(port)))));
    }
    // Give the server time to accept them all and start reading their bodies.
    await new Promise((r) => setTimeout(r, 500));
    expect(clients.filter((c) => c.socket.destroyed)).toHaveLength(0);

    const health = await timed(() => fetch(`${service.url}/healthz`).then((r) => r.status));
    const query = await timed(() =>
      fetch(`${service.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ role(slug: "backend-developer") { slug title } }' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: { role?: { slug: string } } } })),
    );
    console.log(
      `with ${count} slow clients connected: /healthz ${health.ms.toFixed(0)} ms, the query ${query.ms.toFixed(0)} ms`,
    );
    expect(health.value).toBe(200);
    expect(query.value.status).toBe(200);
    expect(query.value.body.data?.role?.slug).toBe('backend-developer');
    // "Promptly" with a bound that a loaded 2-core machine keeps: far below the request timeout
    // that cuts the trickling clients, and a world away from Node's 300 s.
    expect(health.ms).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(query.ms).toBeLessThan(REQUEST_TIMEOUT_MS);

    // Every slow client is cut once HTTP_REQUEST_TIMEOUT_MS has passed (Node checks every
    // second or so here), answered 408 first.
    const closed = await Promise.all(clients.map((c) => c.closedAt));
    const slowest = Math.max(...closed) - started;
    console.log(`slowest slow client was cut after ${slowest} ms (request timeout ${REQUEST_TIMEOUT_MS} ms)`);
    expect(Math.min(...closed) - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 1000);
    expect(slowest).toBeLessThan(REQUEST_TIMEOUT_MS + 60_000);
    expect(clients.every((c) => c.response().startsWith('HTTP/1.1 408'))).toBe(true);
    expect(service.child.exitCode).toBeNull();
  }, 300_000);

  it('cuts a client whose headers never end after HTTP_HEADERS_TIMEOUT_MS, and an idle keep-alive connection after its timeout', async () => {
    const started = Date.now();
    const slowHeaders = await slowBodyClient(port, true);
    const cut = (await slowHeaders.closedAt) - started;
    console.log(`never-ending headers were cut after ${cut} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms)`);
    expect(cut).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 1000);
    expect(cut).toBeLessThan(REQUEST_TIMEOUT_MS + 60_000);

    // One request on a kept-alive connection, then silence: the server closes it.
    const idle = net.connect(port, '127.0.0.1');
    const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())));
    let reply = '';
    idle.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
    const sent = Date.now();
    idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    const idleFor = (await idleClosed) - sent;
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply).toMatch(/keep-alive: timeout=1/i);
    console.log(`an idle keep-alive connection was closed after ${idleFor} ms (keep-alive timeout 1000 ms)`);
    expect(idleFor).toBeLessThan(60_000);
  }, 300_000);
});
