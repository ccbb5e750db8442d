import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';

/**
 * What the service adds to Apollo's drain (`ApolloServerPluginDrainHttpServer`, which ends idle
 * connections, waits for requests in flight and cuts what is left at its deadline): the readiness
 * flag (/readyz answers 503 from the first moment), `Connection: close` on every answer given while
 * draining (requests already in flight included, when their headers have not gone yet), and a grace
 * period before Apollo's drain starts. Apollo ends a connection with no request in flight at once,
 * which races a request a keep-alive client (a proxy's pool) is sending on it at that moment: a
 * reset the client cannot safely retry. During the grace period the listener is closed but such a
 * request is still answered, with `Connection: close`.
 */
export interface DrainFlag {
  readonly draining: boolean;
  /** Requests being answered right now. */
  readonly active: number;
  /** Requests that ended without their answer while draining (cut at the deadline, or abandoned by their client). */
  readonly cut: number;
  /** Call at the start of every request. */
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Raises the flag, stops accepting connections and resolves after the grace period. */
  beginDrain(): Promise<void>;
}

export function drainFlag(server: http.Server, graceMs = 500): DrainFlag {
  let draining = false;
  const answering = new Set<ServerResponse>();
  let cut = 0;
  let begun: Promise<void> | undefined;
  return {
    get draining() {
      return draining;
    },
    get active() {
      return answering.size;
    },
    get cut() {
      return cut;
    },
    onRequest(_req, res) {
      answering.add(res);
      if (draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        answering.delete(res);
        if (draining && !res.writableFinished) cut += 1;
      });
    },
    beginDrain() {
      begun ??= new Promise((resolve) => {
        draining = true;
        // Answers still to come on connections accepted before: the client then opens a new connection.
        for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
        // net.Server's close, not http.Server's: the latter also ends idle keep-alive connections
        // at once, the race the grace period is for. Apollo's drain calls http.Server's after it.
        if (server.listening) net.Server.prototype.close.call(server);
        setTimeout(resolve, graceMs);
      });
      return begun;
    },
  };
}
