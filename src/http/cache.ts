import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type pg from 'pg';
import type { GraphQLContext } from '../graphql/context.ts';

/**
 * HTTP caching of public answers (pages, CSV exports, GraphQL GET queries): an ETag derived
 * from the data version (the sum of the data_version counters, which statement triggers bump on
 * every write: see its migration) plus the current minute, because figures are computed as of
 * the request and postings open and close as time passes; `If-None-Match` answered with 304;
 * `Cache-Control: public, max-age=N`, N (CACHE_MAX_AGE_SECONDS) being the bound on how stale a
 * cached answer may be.
 */
export class ResponseCache {
  constructor(
    private readonly pool: pg.Pool,
    readonly maxAge: number,
    /** Changes when the code that renders answers changes (package version, schema). */
    private readonly build: string,
  ) {}

  /** The current data version: one cheap statement. */
  async dataVersion(): Promise<string> {
    const { rows } = await this.pool.query<{ v: string | null }>('SELECT sum(version)::text AS v FROM data_version');
    return rows[0]?.v ?? '0';
  }

  /**
   * A weak ETag of the representation at `key` (method, path and query) as of now; undefined
   * when the database cannot say (the answer then goes uncached and reports the outage itself).
   * `readVersion` reads the version where the answer will be read (see snapshotContexts); by
   * default one statement on the pool.
   */
  async etag(key: string, readVersion: () => Promise<string> = () => this.dataVersion()): Promise<string | undefined> {
    let version: string;
    try {
      version = await readVersion();
    } catch {
      return undefined;
    }
    const minute = Math.floor(Date.now() / 60_000);
    const hash = crypto
      .createHash('sha256')
      .update(`${this.build}\0${version}\0${minute}\0${key}`)
      .digest('base64url')
      .slice(0, 27);
    return `W/"${hash}"`;
  }

  publicHeaders(etag: string | undefined): Record<string, string> {
    if (etag === undefined) return { 'cache-control': 'no-store' };
    return { etag, 'cache-control': `public, max-age=${this.maxAge}`, vary: 'Accept-Encoding' };
  }

  /** Answers 304 when the request's If-None-Match names `etag`; true when it did. */
  notModified(
    req: IncomingMessage,
    res: ServerResponse,
    etag: string | undefined,
    extra: Record<string, string> = {},
  ): boolean {
    if (etag === undefined || !matchesIfNoneMatch(req.headers['if-none-match'], etag)) return false;
    res.writeHead(304, { ...this.publicHeaders(etag), ...extra });
    res.end();
    return true;
  }
}

/**
 * Whether an If-None-Match header names `etag` (weak comparison, RFC 9110 13.1.2). A malformed
 * header matches nothing: the full answer is sent, never an error.
 */
export function matchesIfNoneMatch(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.length > 8192) return false;
  // `*` ("any current representation") is not honoured: it would answer 304 for a page that is a 404.
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return (text.match(/(W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === wanted);
}

type Encoding = 'br' | 'gzip' | 'identity';

/** The best encoding the client accepts (q-values honoured; brotli preferred to gzip at equal q). */
export function chooseEncoding(header: string | string[] | undefined): Encoding {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const q = new Map<string, number>();
  for (const part of text.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const of = (name: string) => q.get(name) ?? q.get('*') ?? 0;
  const br = of('br');
  const gzip = of('gzip');
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return 'identity';
}

/** Smaller bodies are not worth compressing. */
const MIN_COMPRESS_BYTES = 1024;

/** Sends `body` compressed with the encoding the client accepts (gzip or brotli), else as is. */
export function sendCompressed(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: Buffer,
  headers: Record<string, string | number>,
  /** The body's encodings made so far, reused and filled in (a kept answer is compressed once per encoding). */
  encoded?: Partial<Record<'br' | 'gzip', Buffer>>,
): void {
  const encoding = body.length >= MIN_COMPRESS_BYTES ? chooseEncoding(req.headers['accept-encoding']) : 'identity';
  const vary = String(headers.vary ?? '');
  const varyHeader = vary.toLowerCase().includes('accept-encoding')
    ? vary
    : vary
      ? `${vary}, Accept-Encoding`
      : 'Accept-Encoding';
  const made = encoding === 'identity' ? body : encoded?.[encoding];
  const bytes =
    made ??
    (encoding === 'br'
      ? // Quality 5: most of brotli's gain at a fraction of the default quality's (11) cost.
        zlib.brotliCompressSync(body, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
        })
      : encoding === 'gzip'
        ? zlib.gzipSync(body, { level: 6 })
        : body);
  if (encoded && encoding !== 'identity') encoded[encoding] = bytes;
  res.writeHead(status, {
    ...headers,
    vary: varyHeader,
    'content-length': bytes.length,
    ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/**
 * The operations of one page request. The first context's snapshot gives the ETag its data
 * version (in the round trip of its BEGIN, no statement of its own) and then renders the page,
 * so a page is the data its ETag names; `end` closes that snapshot when no operation did (a 304).
 */
export function snapshotContexts(create: () => GraphQLContext) {
  const first = create();
  let unused: GraphQLContext | undefined = first;
  return {
    version: () => first.dataVersion(),
    next: (): GraphQLContext => {
      const context = unused ?? create();
      unused = undefined;
      return context;
    },
    end: () => first.reads.end(),
  };
}
