import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LOCK_FILE, processStartTicks, type LockInfo } from '../src/db/embedded-lock.ts';
import { PGlite } from '@electric-sql/pglite';
import { startSessionServer } from '../src/db/embedded-socket.ts';
import { EmbeddedDatabaseInUseError, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts';

// PGlite runs one PostgreSQL session for every connection: these check that the embedded
// database's socket keeps the connections' transactions apart all the same.
describe('the embedded database shared by several connections', () => {
  let embedded: EmbeddedPostgres;
  const clients: pg.Client[] = [];

  async function connect(url = embedded.url): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres();
    const setup = await connect();
    await setup.query('CREATE TABLE item (id int PRIMARY KEY, owner text NOT NULL)');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await embedded?.stop();
  });

  it('a second connection waits while the first is in a transaction, and never sees its uncommitted rows', async () => {
    const a = await connect();
    const b = await connect();
    await a.query('BEGIN');
    await a.query("INSERT INTO item VALUES (1, 'a')");
    let bDone = false;
    const bCount = b.query<{ n: number }>('SELECT count(*)::int AS n FROM item').then((r) => {
      bDone = true;
      return r.rows[0]!.n;
    });
    // a goes on inside its transaction while b waits; a's statements are not b's.
    const inside = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM item');
    expect(inside.rows[0]!.n).toBe(1);
    expect(bDone).toBe(false);
    await a.query('ROLLBACK');
    expect(await bCount).toBe(0);
  });

  it('a connection that disconnects inside a transaction is rolled back, and the others go on', async () => {
    const a = await connect();
    const b = await connect();
    await a.query('BEGIN');
    await a.query("INSERT INTO item VALUES (2, 'gone')");
    const bRows = b.query<{ id: number }>('SELECT id FROM item ORDER BY id');
    // The socket closes without a Terminate message, as when a CLI is killed.
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect((await bRows).rows).toEqual([]);
    const status = await b.query<{ in_tx: boolean }>('SELECT now() <> statement_timestamp() AS in_tx');
    expect(status.rows[0]!.in_tx).toBe(false);
  });

  it('parameterised queries from many connections at once each get their own answer', async () => {
    const conns = await Promise.all(Array.from({ length: 6 }, () => connect()));
    await Promise.all(
      conns.map(async (c, k) => {
        for (let j = 0; j < 50; j++) {
          const res = await c.query<{ v: number; t: string }>('SELECT $1::int * 2 AS v, $2::text AS t', [
            k * 100 + j,
            `q${k}-${j}`,
          ]);
          expect(res.rows).toEqual([{ v: (k * 100 + j) * 2, t: `q${k}-${j}` }]);
        }
      }),
    );
  });

  it("a statement prepared but not yet synced is not replaced by another connection's", async () => {
    // A raw client: Parse and Bind of the unnamed statement, then (later) Execute and Sync.
    const other = await connect();
    const url = new URL(embedded.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    await new Promise((resolve) => socket.once('connect', resolve));
    const frame = (type: string, ...parts: Buffer[]) => {
      const body = Buffer.concat(parts);
      const head = Buffer.alloc(5);
      head.write(type, 0, 'latin1');
      head.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([head, body]);
    };
    const z = (s: string) => Buffer.from(`${s}\0`);
    const int16 = (n: number) => Buffer.from([n >> 8, n & 255]);
    const until = async (pattern: string) => {
      for (let i = 0; i < 400 && !received.includes(pattern); i++) await new Promise((r) => setTimeout(r, 25));
      expect(received.includes(pattern)).toBe(true);
    };
    const startupBody = Buffer.concat([
      Buffer.from([0, 3, 0, 0]),
      z('user'),
      z('postgres'),
      z('database'),
      z('postgres'),
      Buffer.from([0]),
    ]);
    const startup = Buffer.alloc(4);
    startup.writeInt32BE(startupBody.length + 4, 0);
    socket.write(Buffer.concat([startup, startupBody]));
    await until('R');
    socket.write(frame('p', z(decodeURIComponent(url.password))));
    await until('Z');
    received = Buffer.alloc(0);
    socket.write(
      Buffer.concat([
        frame('P', z(''), z("SELECT 'raw client' AS who"), int16(0)),
        frame('B', z(''), z(''), int16(0), int16(0), int16(0)),
      ]),
    );
    await until('2'); // BindComplete
    let otherDone = false;
    const otherAnswer = other.query<{ who: string }>("SELECT 'pg client' AS who").then((r) => {
      otherDone = true;
      return r.rows[0]!.who;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(otherDone).toBe(false);
    socket.write(Buffer.concat([frame('E', z(''), Buffer.from([0, 0, 0, 0])), frame('S')]));
    await until('Z');
    expect(received.includes('raw client')).toBe(true);
    socket.end(frame('X'));
    expect(await otherAnswer).toBe('pg client');
  });

  it("named prepared statements are each connection's own: one name on two connections, again after a reconnect, dropped at disconnect", async () => {
    const who = async (c: pg.Client, text: string) =>
      (await c.query<{ who: string }>({ name: 'same_name', text, values: [] })).rows[0]?.who;
    const a = await connect();
    const b = await connect();
    // Twice each: the second run uses the statement the first prepared.
    for (let i = 0; i < 2; i++) {
      expect(await who(a, "SELECT 'a' AS who")).toBe('a');
      expect(await who(b, "SELECT 'b' AS who")).toBe('b');
    }
    await a.end();
    // A new connection (as a pool's after an idle timeout, or another process) prepares the name again.
    const c = await connect();
    expect(await who(c, "SELECT 'c' AS who")).toBe('c');
    expect(await who(b, "SELECT 'b' AS who")).toBe('b');
    const left = await b.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE '%same_name'",
    );
    expect(left.rows[0]?.n).toBe(2);
  });

  it('transactions of several connections, each inserting and committing, all land whole', async () => {
    const conns = await Promise.all(Array.from({ length: 4 }, () => connect()));
    await Promise.all(
      conns.map(async (c, k) => {
        for (let j = 0; j < 10; j++) {
          await c.query('BEGIN');
          await c.query('INSERT INTO item VALUES ($1, $2)', [1000 + k * 100 + j, `c${k}`]);
          // Rolled back when odd: nothing of it may show up in another connection's commit.
          await c.query(j % 2 ? 'ROLLBACK' : 'COMMIT');
        }
      }),
    );
    const res = await conns[0]!.query<{ owner: string; n: number }>(
      'SELECT owner, count(*)::int AS n FROM item WHERE id >= 1000 GROUP BY owner ORDER BY owner',
    );
    expect(res.rows).toEqual([0, 1, 2, 3].map((k) => ({ owner: `c${k}`, n: 5 })));
  });

  it('a connection without the password is refused', async () => {
    const url = new URL(embedded.url);
    url.password = 'wrong';
    await expect(connect(url.toString())).rejects.toThrow(/password authentication failed/);
  });
});

describe('a connection that stops inside a transaction while others wait', () => {
  it('is closed and rolled back, and the others go on', async () => {
    const db = new PGlite({});
    const server = await startSessionServer({ db, token: 'secret', idleInTransactionMs: 300 });
    const url = `postgresql://postgres:secret@127.0.0.1:${server.port}/postgres`;
    const a = new pg.Client({ connectionString: url });
    const b = new pg.Client({ connectionString: url });
    a.on('error', () => undefined);
    try {
      await a.connect();
      await b.connect();
      await a.query('CREATE TABLE t (x int)');
      await a.query('BEGIN');
      await a.query('INSERT INTO t VALUES (1)');
      // Alone, a waits as long as it likes; b's query makes it an obstacle, and it is cut.
      await new Promise((r) => setTimeout(r, 600));
      const count = await b.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      expect(count.rows[0]!.n).toBe(0);
      await expect(a.query('COMMIT')).rejects.toThrow();
    } finally {
      await a.end().catch(() => undefined);
      await b.end().catch(() => undefined);
      await server.stop();
      await db.close();
    }
  }, 180_000);
});

describe('a folder held by another process', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-lock-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is refused in one line naming the folder, the holder pid and what to do', async () => {
    // A live process that is not this one holds the lock (as a CLI would).
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const lock: LockInfo = {
        pid: holder.pid!,
        startTicks: processStartTicks(holder.pid!),
        startedAt: new Date().toISOString(),
        role: 'cli',
        command: 'sleep 60',
        host: '127.0.0.1',
        port: null,
        token: 'x',
        ready: false,
        nonce: 'test',
      };
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(lock), { mode: 0o600 });
      const error = await startEmbeddedPostgres(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EmbeddedDatabaseInUseError);
      const message = (error as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain(dir);
      expect(message).toContain(`pid ${holder.pid}`);
      expect(message).toContain('wait until it has finished');
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
