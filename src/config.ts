import path from 'node:path';
import { z } from 'zod';

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
  PORT: z.coerce.number().int('must be a whole number').min(0, 'must be 0..65535').max(65535, 'must be 0..65535').default(4000),
  HOST: z.string().trim().min(1, 'must not be empty').optional(),
  PGLITE_DIR: z.string().trim().min(1, 'must not be empty').default('.data/pglite'),
  DB_POOL_MAX: z.coerce.number().int('must be a whole number').min(1, 'must be 1..100').max(100, 'must be 1..100').default(10),
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
    .regex(/^(https?:\/\/[^\s,/]+\/?)(\s*,\s*https?:\/\/[^\s,/]+\/?)*$/, 'must be a comma-separated list of origins such as https://example.org')
    .optional(),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 600_000).default(10_000),
  DB_CONNECT_TIMEOUT_MS: wholeNumber(100, 60_000).default(2000),
  CACHE_MAX_AGE_SECONDS: wholeNumber(0, 86_400).default(60),
  PERSISTED_QUERIES: z.enum(['apq', 'only', 'off']).default('apq'),
  PERSISTED_QUERIES_FILE: z.string().trim().min(1, 'must not be empty').optional(),
});

export type Config = z.infer<typeof envSchema> & { pgliteDir: string };

export class ConfigError extends Error {}

/** Reads the environment once; a bad value names the variable, the value and the rule. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const value = name === 'DATABASE_URL' ? redactUrl(String(env[name])) : String(env[name]);
      return `environment variable ${name}=${JSON.stringify(value)}: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  if (parsed.data.PERSISTED_QUERIES === 'only' && !parsed.data.PERSISTED_QUERIES_FILE) {
    throw new ConfigError('environment variable PERSISTED_QUERIES="only": needs PERSISTED_QUERIES_FILE, the allow-list of operations');
  }
  return { ...parsed.data, pgliteDir: path.resolve(parsed.data.PGLITE_DIR) };
}

/** Hides the password of a connection string so that it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
