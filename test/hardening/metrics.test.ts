import type { RunningServer } from '../../src/http/server.ts';
import { recordImport } from '../../src/http/metrics.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { gql, startTestServer } from '../support/server.ts';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? '';
    const have = labelText.split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('/metrics: Prometheus text with operations, latency, pool usage and import totals', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('counts operations by name and outcome, with a latency histogram', async () => {
    await gql(server.url, 'query RoleStats { role(slug: "backend-developer") { stats { openings } } }');
    await gql(server.url, 'query RoleStats { role(slug: "backend-developer") { stats { openings } } }');
    await gql(server.url, 'query Broken { role(slug: "x") { nope } }');
    await gql(server.url, '{ roles(first: 1000) { totalCount } }');
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP jobstats_graphql_operations_total /m);
    expect(text).toMatch(/^# TYPE jobstats_graphql_operation_duration_seconds histogram$/m);
    expect(sample(text, 'jobstats_graphql_operations_total', { operation: 'RoleStats', outcome: 'ok' })).toBe(2);
    expect(
      sample(text, 'jobstats_graphql_operations_total', { operation: 'Broken', outcome: 'GRAPHQL_VALIDATION_FAILED' }),
    ).toBe(1);
    expect(
      sample(text, 'jobstats_graphql_operations_total', { operation: 'anonymous', outcome: 'BAD_USER_INPUT' }),
    ).toBe(1);
    expect(sample(text, 'jobstats_graphql_operation_duration_seconds_count', { operation: 'RoleStats' })).toBe(2);
    expect(
      sample(text, 'jobstats_graphql_operation_duration_seconds_bucket', { le: '+Inf', operation: 'RoleStats' }),
    ).toBe(2);
    expect(sample(text, 'jobstats_http_requests_total', { route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(
      2,
    );
    expect(sample(text, 'jobstats_http_request_duration_seconds_count', { route: '/graphql' })).toBe(4);
    // Process figures come from prom-client's default collectors.
    expect(sample(text, 'jobstats_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('reports database pool usage', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const total = sample(text, 'jobstats_db_pool_connections', { state: 'total' });
    const idle = sample(text, 'jobstats_db_pool_connections', { state: 'idle' });
    expect(total).toBeGreaterThanOrEqual(1);
    expect(idle).toBeLessThanOrEqual(total as number);
    expect(sample(text, 'jobstats_db_pool_connections', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'jobstats_db_pool_max')).toBeGreaterThanOrEqual(1);
  });

  it('adds import totals recorded with recordImport', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const runsBefore = sample(before, 'jobstats_import_runs_total', { kind: 'postings' }) ?? 0;
    const insertedBefore = sample(before, 'jobstats_import_rows_total', { kind: 'postings', outcome: 'inserted' }) ?? 0;
    recordImport({ kind: 'postings', read: 10, inserted: 7, updated: 1, unchanged: 0, rejected: 2, seconds: 0.5 });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, 'jobstats_import_runs_total', { kind: 'postings' })).toBe(runsBefore + 1);
    expect(sample(text, 'jobstats_import_rows_total', { kind: 'postings', outcome: 'inserted' })).toBe(
      insertedBefore + 7,
    );
    expect(
      sample(text, 'jobstats_import_rows_total', { kind: 'postings', outcome: 'rejected' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('counts stored rows per table, including rows imported by another process', async () => {
    const counts = (
      await db.pool.query<{ p: number; e: number }>(
        'SELECT (SELECT count(*) FROM posting)::int AS p, (SELECT count(*) FROM employer)::int AS e',
      )
    ).rows[0];
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, 'jobstats_stored_rows', { table: 'posting' })).toBe(counts?.p);
    expect(sample(text, 'jobstats_stored_rows', { table: 'employer' })).toBe(counts?.e);
    await db.pool.query(
      `INSERT INTO role (slug, title) VALUES ('metrics-role', 'Metrics Role');
       INSERT INTO employer (name, normalized_name) VALUES ('Metrics Co', 'metrics co');
       INSERT INTO posting (role_id, employer_id, source, external_id, posted_at)
         SELECT r.id, e.id, 'metrics', 'm-1', now() FROM role r, employer e WHERE r.slug = 'metrics-role' AND e.normalized_name = 'metrics co'`,
    );
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(after, 'jobstats_stored_rows', { table: 'posting' })).toBe((counts?.p ?? 0) + 1);
  });

  it('keeps client-chosen operation names from multiplying series', async () => {
    await gql(server.url, `query ${'X'.repeat(100)} { __typename }`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).not.toContain('X'.repeat(100));
    expect(sample(text, 'jobstats_graphql_operations_total', { operation: 'invalid', outcome: 'ok' })).toBe(1);
  });
});
