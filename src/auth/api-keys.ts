import crypto from 'node:crypto';
import type pg from 'pg';

/**
 * API keys for the mutations. A key reads `jsk_<prefix>_<secret>`: 12 hex characters that
 * identify it (stored in clear, unique) and 32 random bytes in base64url. Only the SHA-256 of
 * the whole key is stored; the key itself is shown once, when it is created.
 */
const KEY_PATTERN = /^jsk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
/** Compared against when no key has the prefix, so that an unknown prefix costs the same hash and compare. */
const NO_HASH = '0'.repeat(64);
/** last_used_at is written at most this often per key. */
const TOUCH_INTERVAL_MS = 60_000;

export class ApiKeyError extends Error {}

export interface ApiKeyInfo {
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The key text; it is not stored and cannot be shown again. */
  key: string;
}

export interface VerifiedApiKey {
  id: number;
  name: string;
  prefix: string;
}

/** Why a request has no valid key: no Authorization header, or a key that is malformed, unknown or revoked. */
export type ApiKeyCheck = { ok: true; key: VerifiedApiKey } | { ok: false; reason: 'missing' | 'invalid' };

type Queryable = Pick<pg.Pool, 'query'>;

const INFO_COLUMNS = `name, prefix, created_at AS "createdAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt"`;

/** SHA-256 of the whole key text, as 64 lower-case hex digits (what the api_key table stores). */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new ApiKeyError('the key name must not be empty');
  if (trimmed.length > 100)
    throw new ApiKeyError(`the key name must be at most 100 characters (has ${trimmed.length})`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects.
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ApiKeyError('the key name must not contain control characters');
  return trimmed;
}

/** Creates a key named `name` and returns it with its text, which is shown this once. */
export async function createApiKey(db: Queryable, name: string): Promise<CreatedApiKey> {
  const keyName = checkName(name);
  for (let attempt = 0; ; attempt += 1) {
    const prefix = crypto.randomBytes(6).toString('hex');
    const key = `jsk_${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
    try {
      const { rows } = await db.query<ApiKeyInfo>(
        `INSERT INTO api_key (name, prefix, hash) VALUES ($1, $2, $3) RETURNING ${INFO_COLUMNS}`,
        [keyName, prefix, hashApiKey(key)],
      );
      return { ...(rows[0] as ApiKeyInfo), key };
    } catch (error) {
      // A prefix taken already (48 random bits): draw another.
      if ((error as { code?: string }).code !== '23505' || attempt >= 3) throw error;
    }
  }
}

/**
 * Revokes the active key with this prefix (a whole key names its prefix too) or, when no key has
 * that prefix, every active key with this name. Returns the keys revoked now.
 */
export async function revokeApiKeys(
  db: Queryable,
  prefixOrName: string,
  options: {
    /** Told the SHA-256 of each key revoked, once the revocation is stored (to evict the keys from shared caches). */
    onRevoked?: (hashes: string[]) => Promise<void>;
  } = {},
): Promise<ApiKeyInfo[]> {
  const target = prefixOrName.trim();
  const prefix = KEY_PATTERN.exec(target)?.[1] ?? target;
  const { rows } = await db.query<ApiKeyInfo & { hash: string }>(
    `UPDATE api_key SET revoked_at = now()
     WHERE revoked_at IS NULL
       AND CASE WHEN EXISTS (SELECT 1 FROM api_key WHERE prefix = $1) THEN prefix = $1 ELSE name = $2 END
     RETURNING ${INFO_COLUMNS}, hash`,
    [prefix, target],
  );
  if (rows.length > 0) await options.onRevoked?.(rows.map((row) => row.hash));
  return rows.map(({ hash: _hash, ...info }) => info);
}

/** Every key, oldest first: name, prefix and dates, never the hash. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<ApiKeyInfo>(`SELECT ${INFO_COLUMNS} FROM api_key ORDER BY created_at, id`);
  return rows;
}

/**
 * Checks an `Authorization: Bearer <key>` header: the key is looked up by its prefix and its
 * SHA-256 compared with the stored one in constant time; revoked keys fail. A valid key gets its
 * last_used_at set (at most once a minute).
 */
export async function verifyApiKey(db: Queryable, authorization: string | undefined): Promise<ApiKeyCheck> {
  if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'missing' };
  const key = authorization.length <= 300 ? BEARER.exec(authorization)?.[1] : undefined;
  const prefix = key === undefined ? undefined : KEY_PATTERN.exec(key)?.[1];
  if (key === undefined || prefix === undefined) return { ok: false, reason: 'invalid' };
  const { rows } = await db.query<{
    id: number;
    name: string;
    hash: string;
    revokedAt: Date | null;
    lastUsedAt: Date | null;
  }>(`SELECT id, name, hash, revoked_at AS "revokedAt", last_used_at AS "lastUsedAt" FROM api_key WHERE prefix = $1`, [
    prefix,
  ]);
  const row = rows[0];
  const given = Buffer.from(hashApiKey(key), 'utf8');
  const stored = Buffer.from(row?.hash ?? NO_HASH, 'utf8');
  const equal = given.length === stored.length && crypto.timingSafeEqual(given, stored);
  if (!row || !equal || row.revokedAt !== null) return { ok: false, reason: 'invalid' };
  if (row.lastUsedAt === null || Date.now() - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
    await db.query(
      `UPDATE api_key SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [row.id],
    );
  }
  return { ok: true, key: { id: row.id, name: row.name, prefix } };
}
