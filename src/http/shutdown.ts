import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';

/**
 * Graceful shutdown for a node:http server. `drain()` stops accepting connections, lets every
 * request in flight finish (each answered with `Connection: close`), lets a keep-alive
 * connection that carries one more request have it answered the same way, closes connections
 * that stay idle for `idleGraceMs`, and after `timeoutMs` cuts whatever is left.
 */
export interface ConnectionTracker {
  readonly draining: boolean;
  /** Requests being answered right now. */
  readonly active: number;
  /** Call at the start of every request. */
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Resolves when every connection is closed; `forced` counts requests cut at the timeout. */
  drain(timeoutMs: number): Promise<{ forced: number }>;
}

interface SocketState {
  active: number;
  idleSince: number;
}

export function trackConnections(server: http.Server, idleGraceMs = 500): ConnectionTracker {
  const sockets = new Map<Socket, SocketState>();
  let draining = false;
  let drainStarted = 0;
  let active = 0;
  let drained: Promise<{ forced: number }> | undefined;

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { active: 0, idleSince: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });

  function closeIdle(now: number): void {
    for (const [socket, state] of sockets) {
      if (state.active === 0 && now - Math.max(state.idleSince, drainStarted) >= idleGraceMs) socket.end();
    }
  }

  return {
    get draining() {
      return draining;
    },
    get active() {
      return active;
    },
    onRequest(req, res) {
      const state = sockets.get(req.socket);
      active += 1;
      if (state) state.active += 1;
      if (draining) res.setHeader('connection', 'close');
      let done = false;
      res.once('close', () => {
        if (done) return;
        done = true;
        active -= 1;
        if (state) {
          state.active -= 1;
          state.idleSince = Date.now();
        }
      });
    },
    drain(timeoutMs) {
      if (drained) return drained;
      draining = true;
      drainStarted = Date.now();
      drained = new Promise((resolve) => {
        let finished = false;
        const finish = (forced: number) => {
          if (finished) return;
          finished = true;
          clearInterval(ticker);
          clearTimeout(deadline);
          resolve({ forced });
        };
        // net.Server's close, not http.Server's: the latter also drops idle keep-alive
        // connections at once, racing requests that clients are sending on them.
        net.Server.prototype.close.call(server, () => finish(0));
        const ticker = setInterval(() => closeIdle(Date.now()), Math.max(10, Math.floor(idleGraceMs / 5)));
        const deadline = setTimeout(() => {
          const forced = active;
          for (const socket of sockets.keys()) socket.destroy();
          finish(forced);
        }, timeoutMs);
        if (sockets.size === 0) closeIdle(Date.now());
      });
      return drained;
    },
  };
}
