import pg from 'pg';
import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { mean } from './support/independent-stats.ts';
import { startTestServer } from './support/server.ts';

const DAY = 24 * 3600 * 1000;
const ROLE = 'answer-role';

interface Model {
  externalId: string;
  salary: number;
  postedAt: Date;
  closedAt: Date | null;
}

const row = (p: Model) => ({
  externalId: p.externalId,
  source: 'answer-test',
  role: ROLE,
  roleTitle: 'Answer Role',
  title: `Engineer ${p.externalId}`,
  company: `Employer ${p.externalId}`,
  salaryMin: p.salary,
  salaryCurrency: 'USD',
  salaryPeriod: 'YEAR',
  postedAt: p.postedAt.toISOString(),
  closedAt: p.closedAt?.toISOString() ?? '',
});

const QUERY = `query Answer($slug: String!, $first: Int!) { role(slug: $slug) {
  stats { openings salary { mean } }
  postings(first: $first) { edges { node { title postedAt } } }
} }`;

/** What the query answers for the model now, computed without the service. */
function expected(model: Model[], first: number) {
  const now = Date.now();
  const open = model.filter((p) => p.postedAt.getTime() <= now && (p.closedAt === null || p.closedAt.getTime() > now));
  return {
    openings: open.length,
    mean: mean(open.map((p) => p.salary)),
    // Newest first, open ones (the list's default filter, as the figures').
    titles: [...open]
      .sort((a, b) => b.postedAt.getTime() - a.postedAt.getTime())
      .slice(0, first)
      .map((p) => `Engineer ${p.externalId}`),
  };
}

describe('the operation cache: whole answers of repeated queries', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const now = Date.now();
  const model: Model[] = [
    { externalId: 'a1', salary: 100_000, postedAt: new Date(now - 30 * DAY), closedAt: null },
    { externalId: 'a2', salary: 80_000, postedAt: new Date(now - 10 * DAY), closedAt: null },
    { externalId: 'a3', salary: 150_000, postedAt: new Date(now - 5 * DAY), closedAt: new Date(now - DAY) },
  ];

  /** Sends the query; the body as text, and the statements the server ran for it. */
  async function ask(
    variables: Record<string, unknown> = { slug: ROLE, first: 10 },
    headers: Record<string, string> = {},
    query = QUERY,
  ) {
    const before = db.counter.count;
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { status: res.status, text, statements: db.counter.count - before, type: res.headers.get('content-type') };
  }
  const cachedAnswers = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^jobstats_graphql_cached_answers_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
  };
  function expectModel(text: string, first = 10): void {
    const body = JSON.parse(text) as {
      data: {
        role: {
          stats: { openings: number; salary: { mean: number } };
          postings: { edges: { node: { title: string } }[] };
        };
      };
    };
    const want = expected(model, first);
    expect(body.data.role.stats.openings).toBe(want.openings);
    expect(body.data.role.stats.salary.mean).toBeCloseTo(want.mean as number, 6);
    expect(body.data.role.postings.edges.map((e) => e.node.title)).toEqual(want.titles);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'postings', model.map(row));
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('answers a repeated query with the same bytes, in one statement (the data version and time window) and no execution', async () => {
    const first = await ask();
    expect(first.status).toBe(200);
    expectModel(first.text);
    const hitsBefore = await cachedAnswers();
    const second = await ask();
    expect(second.text).toBe(first.text);
    expect(second.type).toBe(first.type);
    expect(second.statements).toBe(1);
    expect(await cachedAnswers()).toBe(hitsBefore + 1);
    // Other variables, another answer (and each computed once).
    const one = await ask({ slug: ROLE, first: 1 });
    expectModel(one.text, 1);
    expect((await ask({ slug: ROLE, first: 1 })).text).toBe(one.text);
    expect(await cachedAnswers()).toBe(hitsBefore + 2);
  });

  it('sends a kept answer compressed as the client asks, the same text once decoded', async () => {
    // Big enough to be compressed: the role beside the schema's type names and descriptions.
    const big = `query Big($slug: String!) { role(slug: $slug) { slug } __schema { types { name description } } }`;
    const plain = await ask({ slug: ROLE }, {}, big);
    expect(plain.text.length).toBeGreaterThan(2048);
    const hits = await cachedAnswers();
    for (const encoding of ['gzip', 'br', 'gzip']) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-encoding': encoding },
        body: JSON.stringify({ query: big, variables: { slug: ROLE } }),
      });
      expect(res.headers.get('content-encoding')).toBe(encoding);
      // fetch decodes the body: what the client reads is the answer, byte for byte.
      expect(await res.text()).toBe(plain.text);
    }
    expect(await cachedAnswers()).toBe(hits + 3);
  });

  it('answers the next query after a write by anyone (here the importer) with the write in it', async () => {
    await ask();
    const p: Model = { externalId: 'a4', salary: 120_000, postedAt: new Date(Date.now() - DAY), closedAt: null };
    await importRows(db, 'postings', [row(p)]);
    model.push(p);
    const after = await ask();
    expectModel(after.text);
    expect(after.statements).toBeGreaterThan(1);
    // A plain SQL write changes the data version just the same.
    await db.pool.query(
      `UPDATE posting SET closed_at = now() - interval '1 minute' WHERE source = 'answer-test' AND external_id = 'a2'`,
    );
    model[1] = { ...(model[1] as Model), closedAt: new Date(Date.now() - 60_000) };
    expectModel((await ask()).text);
  });

  it('answers anew once a posting closes, though nothing was written', async () => {
    const p: Model = {
      externalId: 'a5',
      salary: 90_000,
      postedAt: new Date(Date.now() - DAY),
      closedAt: new Date(Date.now() + 1500),
    };
    await importRows(db, 'postings', [row(p)]);
    model.push(p);
    const open = await ask();
    const closesAt = p.closedAt!.getTime();
    if (Date.now() < closesAt - 200) {
      // Still open (unless the machine took its time): asked again, the kept answer.
      expect((await ask()).text).toBe(open.text);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, closesAt - Date.now() + 50)));
    const closed = await ask();
    expectModel(closed.text);
    expect(closed.text).not.toBe(open.text);
  });

  it('runs every time a query with an Authorization header, an answer with errors, or a batch', async () => {
    const hits = await cachedAnswers();
    await ask(undefined, { authorization: 'Bearer not-a-key' });
    const withKey = await ask(undefined, { authorization: 'Bearer not-a-key' });
    expect(withKey.statements).toBeGreaterThan(1);
    const failing = `query { role(slug: "${ROLE}") { stats { openings salary(currency: "XYZ") { mean } } } }`;
    const first = await ask({}, {}, failing);
    expect(first.text).toContain('"errors"');
    await ask({}, {}, failing);
    const batch = JSON.stringify([{ query: QUERY, variables: { slug: ROLE, first: 2 } }]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch,
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(await cachedAnswers()).toBe(hits);
  });

  (serverUrl() ? it : it.skip)(
    'executes identical queries that arrive together once: the others wait for its answer, the same bytes',
    async () => {
      const inFlight = async () =>
        Number(
          /^jobstats_http_requests_in_flight (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1],
        );
      const lockWaiters = async (client: pg.Client) =>
        (
          await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          )
        ).rows[0]?.n;
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      try {
        const hits = await cachedAnswers();
        // The first of them cannot begin reading (its window reads figure_snapshot) until this
        // transaction ends, and the others arrive meanwhile; /metrics reads no such table.
        await blocker.query('BEGIN; LOCK TABLE figure_snapshot IN ACCESS EXCLUSIVE MODE');
        const requests = Array.from({ length: 8 }, () => ask({ slug: ROLE, first: 7 }));
        while ((await inFlight()) < 9) await new Promise((r) => setTimeout(r, 20));
        // Eight requests in flight, one statement waiting for the lock: one execution.
        expect(await lockWaiters(blocker)).toBe(1);
        await blocker.query('COMMIT');
        const answers = await Promise.all(requests);
        for (const answer of answers) {
          expect(answer.status).toBe(200);
          expect(answer.text).toBe(answers[0]?.text);
        }
        expectModel(answers[0]!.text, 7);
        expect(await cachedAnswers()).toBe(hits + 7);
      } finally {
        await blocker.end();
      }
    },
  );

  it('keeps nothing with RESPONSE_CACHE_BYTES 0', async () => {
    const off = await startTestServer(db, { responseCacheBytes: 0 });
    try {
      const before = db.counter.count;
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${off.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: QUERY, variables: { slug: ROLE, first: 3 } }),
        });
        expectModel(await res.text(), 3);
      }
      // Both executed: the second's figures come from the figure cache, its postings from the database.
      const metrics = await (await fetch(`${off.url}/metrics`)).text();
      expect(metrics).toMatch(/^jobstats_graphql_cached_answers_total 0$/m);
      expect(db.counter.count - before).toBeGreaterThan(2);
    } finally {
      await off.close();
    }
  });
});
