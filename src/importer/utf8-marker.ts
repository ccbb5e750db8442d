/**
 * Decodes a stream of UTF-8 bytes like StringDecoder, except that each invalid byte becomes
 * INVALID_UTF8 (a lone surrogate, which decoding valid UTF-8 can never give) instead of U+FFFD,
 * which valid input may hold. The reader can then reject exactly the records that held invalid
 * bytes (rule invalidUtf8) rather than import them silently altered. Node's decoders only
 * replace or throw, neither saying where, hence this small scanner; valid chunks take the
 * fast path of one fatal TextDecoder call.
 */
export const INVALID_UTF8 = '\uDFFF';

const fatal = new TextDecoder('utf-8', { fatal: true });

/** The length of the valid sequence starting at bytes[i], 0 when it is invalid, -1 when the bytes end inside it. */
function sequenceAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) length = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    length = 3;
    if (b === 0xe0) low = 0xa0;
    if (b === 0xed) high = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    length = 4;
    if (b === 0xf0) low = 0x90;
    if (b === 0xf4) high = 0x8f;
  } else return 0;
  for (let k = 1; k < length; k++) {
    if (i + k >= bytes.length) return -1;
    const c = bytes[i + k] as number;
    if (c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return 0;
  }
  return length;
}

export class Utf8Marker {
  private pending: Buffer = Buffer.alloc(0);

  write(chunk: Buffer): string {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    // Keep a sequence that the chunk cuts off for the next chunk.
    let end = bytes.length;
    for (let back = 1; back <= 3 && back <= bytes.length; back++) {
      const b = bytes[bytes.length - back] as number;
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0 && sequenceAt(bytes, bytes.length - back) === -1) end = bytes.length - back;
      break;
    }
    this.pending = Buffer.from(bytes.subarray(end));
    return this.decode(bytes.subarray(0, end));
  }

  end(): string {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return INVALID_UTF8.repeat(rest.length);
  }

  private decode(bytes: Uint8Array): string {
    try {
      return fatal.decode(bytes);
    } catch {
      let text = '';
      let start = 0;
      let i = 0;
      while (i < bytes.length) {
        const length = sequenceAt(bytes, i);
        if (length > 0) {
          i += length;
          continue;
        }
        text += Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('utf8') + INVALID_UTF8;
        i += 1;
        start = i;
      }
      return text + Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('utf8');
    }
  }
}
