import crypto from 'node:crypto';
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const MAX_STARTUP_BYTES = 10_000;
const MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

function message(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

function errorResponse(code: string, text: string, severity = 'FATAL'): Buffer {
  return message(
    'E',
    Buffer.concat([
      Buffer.from('S'),
      cstring(severity),
      Buffer.from('V'),
      cstring(severity),
      Buffer.from('C'),
      cstring(code),
      Buffer.from('M'),
      cstring(text),
      Buffer.from([0]),
    ]),
  );
}

const SYNC = message('S', Buffer.alloc(0));
const COPY_FAIL = message('f', cstring('the client disconnected'));
const ROLLBACK = message('Q', cstring('ROLLBACK'));
const AUTH_CLEARTEXT = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

/** Where a NUL-terminated string starting at `at` ends (the index of its NUL). */
function cstringEnd(packet: Buffer, at: number): number {
  const end = packet.indexOf(0, at);
  if (end < 0) throw new Error('malformed message: a name without its terminating NUL');
  return end;
}

/**
 * The frontend message with its prepared statement and portal names put in the connection's own
 * namespace (PGlite's one session would otherwise share them between connections); `onName` sees
 * each scoped statement name a Parse creates ('P') or a Close drops ('C'). The unnamed statement
 * and portal stay as they are: the gate keeps them to one connection until its Sync.
 */
function scopeNames(packet: Buffer, prefix: string, onName: (kind: 'P' | 'C', name: string) => void): Buffer {
  const type = packet[0];
  // Offsets of the names in the body: Parse (statement), Bind (portal, statement), Execute (portal),
  // Describe and Close (a kind byte 'S' or 'P', then the name).
  const names: number[] = [];
  if (type === 0x50 || type === 0x45) names.push(5);
  else if (type === 0x42) names.push(5, cstringEnd(packet, 5) + 1);
  else if (type === 0x44 || type === 0x43) names.push(6);
  else return packet;
  const parts: Buffer[] = [];
  let from = 5;
  for (const at of names) {
    const end = cstringEnd(packet, at);
    parts.push(packet.subarray(from, at));
    if (end > at) {
      const scoped = prefix + packet.toString('utf8', at, end);
      parts.push(Buffer.from(scoped, 'utf8'));
      const isStatement =
        type === 0x50 || (type === 0x42 && at !== 5) || ((type === 0x43 || type === 0x44) && packet[5] === 0x53);
      if (isStatement && type === 0x50) onName('P', scoped);
      if (isStatement && type === 0x43) onName('C', scoped);
    }
    from = end;
  }
  parts.push(packet.subarray(from));
  return message(String.fromCharCode(type), Buffer.concat(parts));
}

function closeStatement(name: string): Buffer {
  return message('C', Buffer.concat([Buffer.from('S'), cstring(name)]));
}

let connectionNumber = 0;

/**
 * Follows the backend's messages across the chunks PGlite hands out and keeps the transaction
 * status of the last ReadyForQuery ('I' idle, 'T' in a transaction, 'E' failed transaction).
 */
class BackendTracker {
  private header = Buffer.alloc(5);
  private headerLength = 0;
  private remaining = 0;
  private type = 0;
  /** Status byte of the last ReadyForQuery seen since reset(). */
  status: string | null = null;
  /** Between a CopyInResponse and the ReadyForQuery that ends the COPY. */
  copyIn = false;

  reset(): void {
    this.status = null;
  }

  feed(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.remaining > 0) {
        if (this.type === 0x5a) this.status = String.fromCharCode(data[i]!);
        const n = Math.min(this.remaining, data.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header[this.headerLength++] = data[i++]!;
      if (this.headerLength < 5) continue;
      this.headerLength = 0;
      this.type = this.header[0]!;
      this.remaining = this.header.readInt32BE(1) - 4;
      if (this.type === 0x47) this.copyIn = true; // CopyInResponse
      if (this.type === 0x5a) this.copyIn = false; // ReadyForQuery
    }
  }
}

/**
 * PGlite runs one PostgreSQL session for every connection. The gate hands that session to one
 * connection at a time, from its first message until a ReadyForQuery says the session is idle
 * again, so that no connection ever sees another's transaction, half-sent extended-protocol
 * pipeline or COPY.
 */
class SessionGate {
  private holder: Connection | null = null;
  /** Prepared statements of closed connections, dropped by the next connection that takes the idle session. */
  readonly stale: string[] = [];
  private waiting: { conn: Connection; resolve: () => void; reject: (e: Error) => void }[] = [];

  othersWaiting(): boolean {
    return this.waiting.length > 0;
  }

  heldBy(conn: Connection): boolean {
    return this.holder === conn;
  }

  acquire(conn: Connection): Promise<void> {
    if (this.holder === conn) return Promise.resolve();
    if (this.holder === null) {
      this.holder = conn;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiting.push({ conn, resolve, reject }));
  }

  release(conn: Connection): void {
    if (this.holder !== conn) return;
    const next = this.waiting.shift();
    this.holder = next?.conn ?? null;
    next?.resolve();
  }

  forget(conn: Connection): void {
    const index = this.waiting.findIndex((w) => w.conn === conn);
    if (index >= 0) this.waiting.splice(index, 1)[0]!.reject(new Error('connection closed'));
  }
}

export interface SessionServerOptions {
  db: PGlite;
  /** The password every connection must give (cleartext over loopback). */
  token: string;
  maxConnections?: number;
  /**
   * A connection that keeps the session (inside a transaction) without sending anything for this
   * long while others wait is closed and its transaction rolled back, so that a stopped client
   * cannot block the others.
   */
  idleInTransactionMs?: number;
}

export interface SessionServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private phase: 'startup' | 'password' | 'session' | 'closed' = 'startup';
  private startup: Buffer | undefined;
  private processing = false;
  private readonly tracker = new BackendTracker();
  /** The last message sent to PGlite ended in a ReadyForQuery 'I' (or none was sent yet). */
  private idle = true;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The message PGlite is running for this connection, if any. */
  private running: Promise<void> | undefined;
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  /** This connection's namespace for prepared statement and portal names. */
  private readonly prefix = `c${++connectionNumber}_`;
  /** The (scoped) prepared statements this connection holds in the shared session. */
  private readonly statements = new Set<string>();

  constructor(
    private readonly socket: net.Socket,
    private readonly gate: SessionGate,
    private readonly options: Required<SessionServerOptions>,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      void this.drain();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => void this.close());
  }

  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private fail(code: string, text: string): void {
    if (this.socket.writable) {
      this.socket.end(errorResponse(code, text));
      // A peer that does not close its side is cut all the same.
      setTimeout(() => this.socket.destroy(), 5_000).unref();
    }
    void this.close();
  }

  /** Handles every complete message in the buffer, one after the other. */
  private async drain(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    this.socket.pause();
    try {
      for (;;) {
        if (this.phase === 'closed') return;
        const next = this.phase === 'startup' ? this.takeStartup() : this.takeMessage();
        if (!next) break;
        await this.handle(next);
      }
    } catch (error) {
      this.fail('XX000', `embedded database: ${(error as Error).message}`);
    } finally {
      this.processing = false;
      if (this.phase !== 'closed') this.socket.resume();
    }
  }

  private takeStartup(): Buffer | undefined {
    if (this.buffer.length < 8) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_BYTES) {
      this.fail('08P01', 'invalid startup packet length');
      return undefined;
    }
    if (this.buffer.length < length) return undefined;
    const packet = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return packet;
  }

  private takeMessage(): Buffer | undefined {
    if (this.buffer.length < 5) return undefined;
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length > MAX_MESSAGE_BYTES) {
      this.fail('08P01', `invalid message length ${length}`);
      return undefined;
    }
    if (this.buffer.length < length + 1) return undefined;
    const packet = Buffer.from(this.buffer.subarray(0, length + 1));
    this.buffer = this.buffer.subarray(length + 1);
    return packet;
  }

  private async handle(packet: Buffer): Promise<void> {
    if (this.phase === 'startup') {
      const code = packet.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N');
      } else if (code === CANCEL_REQUEST) {
        // PGlite has no backend to interrupt: a cancel request is answered by closing, as the protocol allows.
        this.socket.end();
        await this.close();
      } else if (code !== PROTOCOL_3) {
        this.fail('0A000', `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: only 3.0 is served`);
      } else {
        this.startup = Buffer.from(packet);
        this.phase = 'password';
        this.socket.write(AUTH_CLEARTEXT);
      }
      return;
    }
    if (this.phase === 'password') {
      const given = packet[0] === 0x70 ? packet.subarray(5, packet.length - 1) : Buffer.alloc(0);
      const expected = Buffer.from(this.options.token);
      const digest = (b: Buffer) => crypto.createHash('sha256').update(b).digest();
      if (packet[0] !== 0x70 || !crypto.timingSafeEqual(digest(given), digest(expected))) {
        this.fail(
          '28P01',
          'password authentication failed for the embedded database (the password is in the jobstats.lock file)',
        );
        return;
      }
      this.phase = 'session';
      // PGlite answers the startup packet with AuthenticationOk, its parameters and ReadyForQuery.
      await this.execute(this.startup!);
      return;
    }
    if (packet[0] === 0x58) {
      // Terminate: close without handing it to PGlite, whose session lives on for the others.
      this.socket.end();
      await this.close();
      return;
    }
    await this.execute(
      scopeNames(packet, this.prefix, (kind, name) =>
        kind === 'P' ? this.statements.add(name) : this.statements.delete(name),
      ),
    );
  }

  private async execute(packet: Buffer): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.gate.acquire(this);
    if (this.isClosed()) {
      this.gate.release(this);
      return;
    }
    this.tracker.reset();
    const { db } = this.options;
    const stale = this.idle ? this.gate.stale.splice(0) : [];
    this.running = db.runExclusive(async () => {
      // The session is idle here (the previous holder ended on ReadyForQuery 'I'): closing is safe.
      if (stale.length > 0)
        await db.execProtocolRawStream(new Uint8Array(Buffer.concat([...stale.map(closeStatement), SYNC])), {
          onRawData: () => undefined,
        });
      await db.execProtocolRawStream(new Uint8Array(packet), {
        onRawData: (data) => {
          this.tracker.feed(data);
          if (this.socket.writable) this.socket.write(Buffer.from(data));
        },
      });
    });
    try {
      await this.running;
    } finally {
      this.running = undefined;
      // No ReadyForQuery (a Parse, Bind or COPY data): the exchange goes on and the session stays taken.
      this.idle = this.tracker.status === 'I';
    }
    if (this.idle) {
      this.gate.release(this);
    } else if (!this.isClosed() && this.options.idleInTransactionMs > 0) {
      // Only a connection that blocks others is cut: alone, a slow --atomic import may take its time.
      const check = () => {
        if (!this.gate.othersWaiting()) {
          this.idleTimer = setTimeout(check, 1000).unref();
          return;
        }
        this.fail(
          '25P03',
          `terminating the connection: it kept the shared embedded database in a transaction for ${this.options.idleInTransactionMs} ms without a statement while others waited`,
        );
      };
      this.idleTimer = setTimeout(check, this.options.idleInTransactionMs).unref();
    }
  }

  /** Ends the connection; a session left mid-transaction (or mid-COPY, mid-pipeline) is rolled back first. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return this.closed;
    this.phase = 'closed';
    clearTimeout(this.idleTimer);
    // A socket ended with an error message keeps it until it is flushed; any other is cut.
    if (!this.socket.writableEnded) this.socket.destroy();
    this.gate.forget(this);
    try {
      await this.running?.catch(() => undefined);
      if (this.gate.heldBy(this) && !this.idle) {
        const { db } = this.options;
        const tracker = new BackendTracker();
        const run = (m: Buffer) => db.execProtocolRawStream(new Uint8Array(m), { onRawData: (d) => tracker.feed(d) });
        await db.runExclusive(async () => {
          if (tracker.copyIn || this.tracker.copyIn) await run(COPY_FAIL);
          await run(SYNC);
          if (tracker.status !== 'I') await run(ROLLBACK);
        });
      }
    } catch {
      // PGlite itself failed; nothing more can be undone here.
    } finally {
      this.gate.stale.push(...this.statements);
      this.statements.clear();
      this.gate.release(this);
      this.markClosed();
    }
    return this.closed;
  }
}

/**
 * Serves one PGlite database over the PostgreSQL protocol on a loopback port, to clients that give
 * the password. Hand-written rather than PGLiteSocketServer because that one interleaves
 * connections per message (so one client's Parse can land inside another's pipeline), asks for no
 * password, and stops serving for good after one failed query.
 */
export async function startSessionServer(options: SessionServerOptions): Promise<SessionServer> {
  const settings: Required<SessionServerOptions> = { maxConnections: 32, idleInTransactionMs: 60_000, ...options };
  await options.db.waitReady;
  const gate = new SessionGate();
  const connections = new Set<Connection>();
  const server = net.createServer((socket) => {
    if (connections.size >= settings.maxConnections) {
      socket.end(
        errorResponse('53300', `too many connections to the embedded database (at most ${settings.maxConnections})`),
      );
      return;
    }
    const conn = new Connection(socket, gate, settings);
    connections.add(conn);
    void conn.closed.then(() => connections.delete(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((c) => c.close()));
      await closed;
    },
  };
}
