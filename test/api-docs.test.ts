import fs from 'node:fs';
import path from 'node:path';
import { createApiKey } from '../src/auth/api-keys.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { startTestServer } from './support/server.ts';

const DOC = path.join(__dirname, '../docs/api.md');

interface Example {
  query: string;
  answerStart: number;
  answerEnd: number;
}

/** Each ```graphql block and the ```json block that follows it. */
function examples(text: string): Example[] {
  const found: Example[] = [];
  const block = /```graphql\n([\s\S]*?)```\s*\n\s*```json\n([\s\S]*?)```/g;
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const answerStart = m.index + m[0].length - 3 - (m[2] ?? '').length;
    found.push({ query: m[1] ?? '', answerStart, answerEnd: answerStart + (m[2] ?? '').length });
  }
  return found;
}

/** Numbers to 9 significant digits, so that the last bits of a float sum never fail the comparison. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toPrecision(9));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

/** What a reader should see: data, and of errors their message, path and code (no stack traces). */
function readable(body: {
  data?: unknown;
  errors?: { message: string; path?: unknown; extensions?: { code?: string } }[];
}) {
  return {
    ...(body.errors
      ? {
          errors: body.errors.map((e) => ({
            message: e.message,
            ...(e.path ? { path: e.path } : {}),
            extensions: { code: e.extensions?.code },
          })),
        }
      : {}),
    ...(body.data !== undefined ? { data: body.data } : {}),
  };
}

describe('docs/api.md', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const text = fs.readFileSync(DOC, 'utf8');
  const all = examples(text);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it.each([
    'stats(filter:',
    'breakdown(by:',
    'location:',
    'compare(roles:',
    'sources {',
    'salary(source:',
    'histogram(',
    'minSampleSize',
    'excludeOutliers',
    'currency:',
    'trend(',
    'roles(',
    'search:',
    'orderBy:',
    'postings(',
    'topEmployers(',
    'node(id:',
    'createPosting(',
    'upsertPosting(',
    'deletePosting(',
    'reportSalary(',
    'userErrors',
  ])('has an example using %s', (fragment) => {
    expect(all.some((example) => example.query.includes(fragment))).toBe(true);
  });

  it('shows, for every example, the answer the service gives on the seeded data', async () => {
    const answers: string[] = [];
    // Examples marked "# Authorization: Bearer <key>" are sent with a key created for the run.
    const { key } = await createApiKey(db.pool, 'api-docs');
    for (const example of all) {
      const auth: Record<string, string> = example.query.includes('# Authorization: Bearer <key>')
        ? { authorization: `Bearer ${key}` }
        : {};
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ query: example.query }),
      });
      answers.push(JSON.stringify(readable(await res.json()), null, 2) + '\n');
    }
    if (process.env.UPDATE_API_DOCS) {
      // Writes the answers into the document (run once after changing an example, then review the diff).
      let updated = text;
      for (let i = all.length - 1; i >= 0; i--) {
        const ex = all[i] as Example;
        updated = updated.slice(0, ex.answerStart) + answers[i] + updated.slice(ex.answerEnd);
      }
      fs.writeFileSync(DOC, updated);
      return;
    }
    all.forEach((example, i) => {
      expect({
        query: example.query,
        answer: rounded(JSON.parse(text.slice(example.answerStart, example.answerEnd))),
      }).toEqual({
        query: example.query,
        answer: rounded(JSON.parse(answers[i] as string)),
      });
    });
  });
});
