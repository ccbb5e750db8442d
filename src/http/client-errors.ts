import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** How long a connection cut for a client error stays open after its answer, reading what the client still sends. */
const LINGER_MS = 2_000;

// Node's own answers to a client error (node:_http_server), by error code.
const ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * Answers a client error (a request or headers timeout, malformed or oversized headers) as Node
 * does, but closes gracefully: Node writes the answer and destroys the socket at once, and a
 * client still sending (a slow body) then gets a TCP reset that can discard the unread 408
 * before the client reads it, as seen on a busy machine. Here the answer goes out with a FIN, the
 * connection lingers briefly reading what the client still sends, then is destroyed.
 */
export function answerClientErrorsGracefully(server: http.Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const sock = socket as net.Socket & { _httpMessage?: http.ServerResponse | null };
    // As Node: no answer once a response has started on this connection (it would corrupt it).
    if (error.code === 'ECONNRESET' || !sock.writable || sock._httpMessage?.headersSent) {
      sock.destroy();
      return;
    }
    sock.end(ANSWERS[error.code ?? ''] ?? BAD_REQUEST);
    setTimeout(() => sock.destroy(), LINGER_MS).unref();
  });
}
