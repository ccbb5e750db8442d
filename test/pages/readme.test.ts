import fs from 'node:fs';
import path from 'node:path';
import { gql } from '../support/server.ts';
import { ROOT } from '../support/run.ts';
import { startSeededServer, type SeededServer } from '../support/seeded-server.ts';

// The README's promises: its example answers are the service's, its configuration table lists
// every variable of src/config.ts, its npm commands and its links exist.

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Each ```graphql block and the ```json block that follows it. */
function examples(text: string): { query: string; answer: string }[] {
  const block = /```graphql\n([\s\S]*?)```\s*\n\s*```json\n([\s\S]*?)```/g;
  return [...text.matchAll(block)].map((m) => ({ query: m[1] ?? '', answer: m[2] ?? '' }));
}

/** Numbers to 9 significant digits, so that the last bits of a float never fail the comparison. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toPrecision(9));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

describe('README.md', () => {
  let s: SeededServer;

  beforeAll(async () => {
    s = await startSeededServer();
  });

  afterAll(async () => {
    await s?.close();
  });

  const all = examples(README);

  it('has example queries', () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
  });

  it.each(all.map((e, i) => [i + 1, e] as const))('example %i gives the answer shown', async (_, example) => {
    const res = await gql<unknown>(s.url, example.query);
    expect(res.status).toBe(200);
    expect(rounded({ data: res.data, ...(res.errors ? { errors: res.errors } : {}) })).toEqual(
      rounded(JSON.parse(example.answer)),
    );
  });

  it('lists every environment variable of src/config.ts with its default', () => {
    const config = fs.readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
    const schema = config.slice(
      config.indexOf('const envSchema'),
      config.indexOf('});', config.indexOf('const envSchema')),
    );
    const names = [...schema.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(names).toContain('DATABASE_URL');
    expect(names).toContain('PLAYGROUND');
    const rows = new Set([...README.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => m[1]));
    expect(names.filter((n) => !rows.has(n))).toEqual([]);
  });

  it('names only npm commands that exist', () => {
    const scripts = Object.keys(
      (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
        .scripts,
    );
    const used = [...README.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(0);
    expect([...new Set(used)].filter((n) => !scripts.includes(n))).toEqual([]);
    expect(scripts).toEqual(expect.arrayContaining(['start', 'test']));
  });

  it('links only to files that exist, and shows a picture of a role page', () => {
    const links = [...README.matchAll(/\]\(([^)#\s]+)\)/g)]
      .map((m) => m[1] as string)
      .filter((l) => !/^[a-z]+:/.test(l));
    expect(links).toEqual(
      expect.arrayContaining([
        'docs/methodology.md',
        'docs/import-format.md',
        'docs/api.md',
        'docs/images/role-page.png',
      ]),
    );
    expect([...new Set(links)].filter((l) => !fs.existsSync(path.join(ROOT, l)))).toEqual([]);
    for (const file of ['docker-compose.yml', 'Dockerfile', '.ci/run', '.ci/install-browser'])
      expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });
});
