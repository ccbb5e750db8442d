/**
 * `npm run bench:load`: autocannon against the role statistics query on a freshly seeded
 * database, served by `src/main.ts` in a child process (so the load generator does not share
 * its event loop). With DATABASE_URL, a new database on that server (dropped afterwards);
 * without, the embedded PGlite in a temporary folder. The rate limit is off for the run.
 *
 * BENCH_DURATION (seconds, default 60) and BENCH_CONNECTIONS (default 64) change the load.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../src/db/free-port.ts';
import { createScratchDatabase } from '../src/db/scratch-database.ts';

const ROOT = path.resolve(__dirname, '..');
const QUERY =
  '{ role(slug: "backend-developer") { stats { openings employers salary { mean median } degreeRequirement { employerShare } } } }';
const duration = Number(process.env.BENCH_DURATION ?? 60);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);

async function main(): Promise<void> {
  const base = process.env.DATABASE_URL;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  let cleanup: () => Promise<void> = async () => undefined;
  if (base) {
    const scratch = await createScratchDatabase(base, 'jobstats_bench');
    env.DATABASE_URL = scratch.url;
    cleanup = scratch.drop;
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-bench-'));
    delete env.DATABASE_URL;
    env.PGLITE_DIR = dir;
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  const port = await freePort();
  Object.assign(env, {
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  delete env.NODE_OPTIONS;

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    for (let i = 0; !stderr.includes('GraphQL and playground at'); i++) {
      if (child.exitCode !== null || i > 1200) throw new Error('the service did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const body = JSON.stringify({ query: QUERY });
    const check = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const checked = (await check.json()) as { data?: { role?: { stats?: { openings?: number } } }; errors?: unknown };
    if (check.status !== 200 || checked.errors || !checked.data?.role?.stats)
      throw new Error(`the query does not work: ${JSON.stringify(checked)}`);
    console.log(
      `service: ${url} on ${base ? 'PostgreSQL' : 'embedded PGlite'}; ${connections} connections for ${duration} s; query: ${QUERY}`,
    );

    const result = await autocannon({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      duration,
    });
    console.log('');
    console.log(`requests:     ${result.requests.total} (${result.requests.average.toFixed(0)} per second on average)`);
    console.log(`throughput:   ${(result.throughput.average / 1024).toFixed(0)} KiB/s`);
    console.log(`latency p50:  ${result.latency.p50} ms`);
    console.log(`latency p99:  ${result.latency.p99} ms (max ${result.latency.max} ms)`);
    console.log(`errors:       ${result.errors} (timeouts ${result.timeouts})`);
    console.log(`non-2xx:      ${result.non2xx}`);
    if (result.errors > 0 || result.non2xx > 0) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
