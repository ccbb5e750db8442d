import path from 'node:path';
import { z } from 'zod';
import { redactSecrets } from './logger.ts';

function wholeNumber(min: number, max: number) {
  const rule = `must be a whole number ${min}..${max}`;
  return z.coerce.number(rule).int(rule).min(min, rule).max(max, rule);
}

/** Every environment variable the service reads, with its default. The README's table mirrors this. */
const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PORT: z.coerce
    .number()
    .int('must be a whole number')
    .min(0, 'must be 0..65535')
    .max(65535, 'must be 0..65535')
    .default(4000),
  HOST: z.string().trim().min(1, 'must not be empty').optional(),
  PGLITE_DIR: z.string().trim().min(1, 'must not be empty').default('.data/pglite'),
  DB_POOL_MAX: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be 1..100')
    .max(100, 'must be 1..100')
    .default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
  PLAYGROUND: z.enum(['graphiql', 'sandbox', 'off']).optional(),
  // Hardening (issue 6; docs/security.md).
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  GRAPHQL_MAX_DEPTH: wholeNumber(1, 100).default(15),
  GRAPHQL_MAX_ALIASES: wholeNumber(0, 1000).default(30),
  GRAPHQL_MAX_COST: wholeNumber(1, 10_000_000).default(50_000),
  GRAPHQL_MAX_TOKENS: wholeNumber(100, 1_000_000).default(5000),
  GRAPHQL_MAX_BATCH: wholeNumber(1, 100).default(10),
  BODY_LIMIT_BYTES: wholeNumber(1024, 100 * 1024 * 1024).default(1024 * 1024),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000).default(1200),
  TRUST_PROXY: z
    .string()
    .trim()
    .regex(/^(true|false|\d{1,2})$/, 'must be false, true (one proxy) or the number of proxy hops 0..10')
    .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v)))
    .pipe(z.number().max(10, 'must be false, true (one proxy) or the number of proxy hops 0..10'))
    .default(0),
  CORS_ORIGINS: z
    .string()
    .trim()
    .regex(
      /^(https?:\/\/[^\s,/]+\/?)(\s*,\s*https?:\/\/[^\s,/]+\/?)*$/,
      'must be a comma-separated list of origins such as https://example.org',
    )
    .optional(),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 600_000).default(10_000),
  DB_CONNECT_TIMEOUT_MS: wholeNumber(100, 60_000).default(2000),
  // Read replicas (docs/scaling.md).
  DATABASE_READ_URLS: z
    .string()
    .trim()
    .transform((text, ctx) => {
      const urls = text.split(',').map((entry) => entry.trim());
      urls.forEach((entry, index) => {
        let ok = /^postgres(ql)?:\/\//.test(entry);
        if (ok) {
          try {
            ok = new URL(entry).hostname !== '';
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${index + 1} (${JSON.stringify(redactUrl(entry))}) must be a postgres:// or postgresql:// URL with a host`,
          });
        }
      });
      return urls;
    })
    .optional(),
  DATABASE_READ_MAX_LAG_MS: wholeNumber(0, 3_600_000).default(5000),
  DATABASE_READ_CHECK_MS: wholeNumber(100, 60_000).default(1000),
  // Busy is not down (issue 10; docs/security.md).
  DB_STATEMENT_TIMEOUT_MS: wholeNumber(100, 3_600_000).default(10_000),
  DB_POOL_WAIT_MS: wholeNumber(10, 60_000).default(5000),
  // Implausible salaries (issue 10; docs/methodology.md).
  SALARY_MIN_USD_PER_YEAR: z.coerce.number('must be a number').positive('must be a positive number').default(1000),
  SALARY_MAX_USD_PER_YEAR: z.coerce
    .number('must be a number')
    .positive('must be a positive number')
    .max(1e12, 'must be at most 1e12')
    .default(10_000_000),
  // Duplicates across sources (issue 12; docs/methodology.md).
  DEDUPE_WINDOW_DAYS: wholeNumber(0, 3650).default(60),
  DB_PREPARED_STATEMENTS: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  // Memory of the read transactions' sorts and groupings (issue 11); PostgreSQL's default 4MB spills at 1M postings.
  DB_WORK_MEM: z
    .string()
    .trim()
    .regex(/^\d{1,7}(kB|MB|GB)$/, 'must be a size such as 64MB (digits and kB, MB or GB)')
    .default('64MB'),
  // Figures kept per process for their data version and time window (src/stats/figure-cache.ts); 0 turns the cache off.
  FIGURE_CACHE_ENTRIES: wholeNumber(0, 1_000_000).default(10_000),
  // Bytes of whole query answers kept per process while exact (src/http/operation-cache.ts); 0 turns it off.
  RESPONSE_CACHE_BYTES: wholeNumber(0, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  // Stored page panels refreshed in the background after mutations (src/stats/figure-refresher.ts).
  FIGURE_REFRESH: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  FIGURE_REFRESH_DELAY_MS: wholeNumber(0, 3_600_000).default(2000),
  FIGURE_REFRESH_TIMEOUT_MS: wholeNumber(0, 3_600_000).default(600_000),
  // Slow and idle clients (issue 10; docs/security.md): Node's own 300 s would let a few hundred trickling clients hold every descriptor.
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(1000, 120_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(1000, 600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 120_000).default(5000),
  // Shared state across instances (src/shared-state/): rate limit and API key cache in Redis when set.
  REDIS_URL: z
    .string()
    .trim()
    .refine(isRedisUrl, 'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0')
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1..64 letters, digits or : _ . -')
    .default('jobstats:'),
  CACHE_MAX_AGE_SECONDS: wholeNumber(0, 86_400).default(60),
  PERSISTED_QUERIES: z.enum(['apq', 'only', 'off']).default('apq'),
  PERSISTED_QUERIES_FILE: z.string().trim().min(1, 'must not be empty').optional(),
});

/** A URL that ioredis can connect to: redis:// or rediss://, a host, an optional port 1..65535 and database number. */
function isRedisUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return false;
  if (url.hostname === '' || (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65535))) return false;
  return url.pathname === '' || url.pathname === '/' || /^\/\d{1,2}$/.test(url.pathname);
}

export type Config = z.infer<typeof envSchema> & { pgliteDir: string };

export class ConfigError extends Error {}

/** Reads the environment once; a bad value names the variable, the value and the rule. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const value =
        name === 'DATABASE_URL' || name === 'REDIS_URL' || name === 'DATABASE_READ_URLS'
          ? redactUrl(String(env[name]))
          : String(env[name]);
      return `environment variable ${name}=${JSON.stringify(value)}: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  if (parsed.data.SALARY_MIN_USD_PER_YEAR >= parsed.data.SALARY_MAX_USD_PER_YEAR) {
    throw new ConfigError(
      `environment variable SALARY_MIN_USD_PER_YEAR=${JSON.stringify(String(parsed.data.SALARY_MIN_USD_PER_YEAR))}: must be below SALARY_MAX_USD_PER_YEAR (${parsed.data.SALARY_MAX_USD_PER_YEAR})`,
    );
  }
  const { HTTP_HEADERS_TIMEOUT_MS: headers, HTTP_REQUEST_TIMEOUT_MS: request } = parsed.data;
  if (headers > request) {
    throw new ConfigError(
      `environment variable HTTP_HEADERS_TIMEOUT_MS=${JSON.stringify(String(headers))}: must not exceed HTTP_REQUEST_TIMEOUT_MS (${request})`,
    );
  }
  if (parsed.data.PERSISTED_QUERIES === 'only' && !parsed.data.PERSISTED_QUERIES_FILE) {
    throw new ConfigError(
      'environment variable PERSISTED_QUERIES="only": needs PERSISTED_QUERIES_FILE, the allow-list of operations',
    );
  }
  return { ...parsed.data, pgliteDir: path.resolve(parsed.data.PGLITE_DIR) };
}

/** Hides the password of a connection string (URL, ?password= or key=value form) so that it can be logged. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
