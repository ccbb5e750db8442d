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

/** A body whose bytes are not UTF-8: refused (400) rather than read with replacement characters. */
export class InvalidUtf8Error extends Error {
  constructor(readonly offset: number) {
    super(`Request body is not valid UTF-8 (first bad byte at offset ${offset}).`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The byte offset of the first invalid UTF-8 sequence (the decoder does not say where). */
function firstInvalidByte(bytes: Buffer): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix: decoding bytes[0, mid) fails exactly when mid passes the bad byte
  // (a sequence cut at mid is not counted as bad: `stream` keeps it pending).
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

/** Reads a request body up to `limit` bytes as UTF-8; larger bodies are refused without buffering them. */
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
  const bytes = Buffer.concat(chunks);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidUtf8Error(firstInvalidByte(bytes));
  }
}
