import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../../src/db/free-port.ts';

export const ROOT = path.resolve(__dirname, '../../..');

/**
 * `src/main.ts` in a child process (node --import tsx, so that the child's pid is the server's
 * and signals reach it directly), on a free port of 127.0.0.1, with its stdout and stderr kept.
 */
export interface ChildService {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident memory of the process, in bytes (from /proc). */
  rss(): number;
  /** Collects garbage (only with `withGc`), then returns the resident memory in bytes. */
  rssAfterGc(): Promise<number>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startService(
  env: Record<string, string | undefined>,
  timeoutMs = 240_000,
  withGc = false,
): Promise<ChildService> {
  const port = await freePort();
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    ...process.env,
    NODE_OPTIONS: undefined,
    DATABASE_URL: undefined,
    TEST_DATABASE_URL: undefined,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...env,
  })) {
    if (value !== undefined) childEnv[key] = value;
  }
  const entry = withGc
    ? ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'main-with-gc.ts')]
    : ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, entry, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = `http://127.0.0.1:${port}`;
  const ready = await Promise.race([
    (async () => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && child.exitCode === null) {
        if (output.includes('GraphQL and playground at')) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    })(),
    exited.then(() => false),
  ]);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`the service did not start:\n${output}`);
  }
  const rss = () => {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
  };
  return {
    url,
    child,
    output: () => output,
    exited,
    rss,
    async rssAfterGc() {
      const before = (output.match(/gc done/g) ?? []).length;
      child.kill('SIGUSR2');
      for (let i = 0; i < 200 && (output.match(/gc done/g) ?? []).length === before; i++)
        await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200));
      return rss();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
