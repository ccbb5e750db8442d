import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  /**
   * @param size the declared Content-Length, or the bytes received when reading stopped
   * @param declared whether `size` is the declared length (the body was not read)
   */
  constructor(
    readonly limit: number,
    readonly size: number,
    readonly declared: boolean,
  ) {
    super(
      declared
        ? `Request body of ${size} bytes (Content-Length) exceeds the limit of ${limit} bytes.`
        : `Request body exceeds the limit of ${limit} bytes (${size} bytes received before reading stopped).`,
    );
  }
}

/** Reads a request body up to `limit` bytes; larger bodies are refused without buffering them. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit, declared, true);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(limit, size, false);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
