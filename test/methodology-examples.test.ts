import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { gql, startTestServer } from './support/server.ts';

const DOC = path.join(__dirname, '../docs/methodology.md');

interface WorkedExample {
  feed: string;
  queries: { query: string; answer: unknown }[];
}

/** Each ```ndjson feed of the methodology, with the ```graphql / ```json pairs that follow it (up to the next feed). */
function workedExamples(text: string): WorkedExample[] {
  const feeds = [...text.matchAll(/```ndjson\n([\s\S]*?)```/g)];
  return feeds.map((feed, i) => {
    const end = feeds[i + 1]?.index ?? text.length;
    const rest = text.slice((feed.index ?? 0) + feed[0].length, end);
    const queries = [...rest.matchAll(/```graphql\n([\s\S]*?)```\s*\n\s*```json\n([\s\S]*?)```/g)].map((m) => ({
      query: m[1] ?? '',
      answer: JSON.parse(m[2] ?? 'null') as unknown,
    }));
    return { feed: feed[1] ?? '', queries };
  });
}

/** Numbers to 9 significant digits, so that the last bits of a float sum never fail the comparison. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toPrecision(9));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

describe('docs/methodology.md worked examples', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const examples = workedExamples(fs.readFileSync(DOC, 'utf8'));

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('has worked examples with queries', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) expect(e.queries.length).toBeGreaterThan(0);
  });

  it.each(examples.map((e, i) => [i + 1, e] as const))(
    'example %i: the feed imported gives the documented answers',
    async (_n, example) => {
      await db.pool.query('TRUNCATE posting, salary_observation, employer RESTART IDENTITY CASCADE');
      const summary = await importFile(db, 'postings', Readable.from([example.feed]), { format: 'ndjson' });
      expect(summary.rejected).toBe(0);
      for (const { query, answer } of example.queries) {
        const { data, errors } = await gql(server.url, query);
        expect(rounded({ ...(errors ? { errors } : {}), data })).toEqual(rounded(answer));
      }
    },
  );
});
