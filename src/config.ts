import path from 'node:path';
import { z } from 'zod';

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
  return { ...parsed.data, pgliteDir: path.resolve(parsed.data.PGLITE_DIR) };
}

/** Hides the password of a connection string so that it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
