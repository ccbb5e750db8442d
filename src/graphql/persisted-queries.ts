import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * Persisted queries: `apq` (default) is Apollo's automatic persisted queries (a client sends a
 * query's SHA-256 hash, and the text once when the server does not know it yet), which lets
 * queries travel as short cacheable GET URLs; `only` is an allow-list for production: only the
 * operations of PERSISTED_QUERIES_FILE run, by hash or by their exact text, and nothing can be
 * registered; `off` disables both.
 */
export type PersistedQueriesMode = 'apq' | 'only' | 'off';

export const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

export class ManifestError extends Error {}

/**
 * Reads an allow-list: Apollo's persisted query manifest
 * (`{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id","name","type","body"}]}`)
 * or a plain JSON object of hash → query text. Every id must be the SHA-256 of its body.
 */
export function loadManifest(file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ManifestError(`persisted query manifest ${file} cannot be read: ${(error as Error).message}`);
  }
  const entries: [string, unknown][] =
    parsed && typeof parsed === 'object' && Array.isArray((parsed as { operations?: unknown }).operations)
      ? ((parsed as { operations: { id?: unknown; body?: unknown }[] }).operations.map((op) => [
          String(op.id),
          op.body,
        ]) as [string, unknown][])
      : parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? Object.entries(parsed)
        : [];
  const map = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof body !== 'string')
      throw new ManifestError(`persisted query manifest ${file}: operation ${id} has no query text (body)`);
    if (sha256(body) !== id.toLowerCase())
      throw new ManifestError(
        `persisted query manifest ${file}: operation ${id} is not the SHA-256 of its text (${sha256(body)})`,
      );
    map.set(id.toLowerCase(), body);
  }
  if (map.size === 0) throw new ManifestError(`persisted query manifest ${file} lists no operation`);
  return map;
}

/** Apollo's APQ store in allow-list mode: answers from the manifest and registers nothing. */
export class ManifestCache {
  constructor(private readonly manifest: Map<string, string>) {}
  async get(key: string): Promise<string | undefined> {
    return this.manifest.get(key.replace(/^apq:/, '').toLowerCase());
  }
  async set(): Promise<void> {}
  async delete(): Promise<boolean> {
    return false;
  }
}

/** In `only` mode: the query texts of a request that are not on the allow-list (empty when all are). */
export function unlistedQueries(manifest: Map<string, string>, operations: unknown[]): string[] {
  return operations.flatMap((op) => {
    const query = op && typeof op === 'object' ? (op as { query?: unknown }).query : undefined;
    return typeof query === 'string' && !manifest.has(sha256(query)) ? [query] : [];
  });
}
