import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import pino from 'pino';
import { createApiKey } from '../../src/auth/api-keys.ts';
import type { RunningServer } from '../../src/http/server.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { createLogger, redactRequestUrl, redactSecrets } from '../../src/logger.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import type { RolePageData } from '../../src/report/role-page-query.ts';
import { renderProse, unknownPlaceholders } from '../../src/stats/prose.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { runScript } from '../support/run.ts';
import { startTestServer } from '../support/server.ts';

interface Answer {
  status: number;
  requestId: string | null;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string; argumentName?: string } }[] };
}

async function send(url: string, body: RequestInit['body'], headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as Answer['body'] };
}

function logCollector(): { logger: pino.Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  // The service's own logger (redaction and serializers included), writing here.
  return { logger: createLogger('info', stream as unknown as pino.DestinationStream), lines, text: () => text };
}

describe('NUL and invalid UTF-8 are BAD_USER_INPUT in every GraphQL argument', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let key: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    server = await startTestServer(db);
    key = (await createApiKey(db.pool, 'text-test')).key;
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const ROLE = 'query($s: String!) { role(slug: $s) { slug } }';
  const cases: [string, { query: string; variables?: Record<string, unknown> }, string][] = [
    [
      'a slug literal with \\u0000',
      { query: '{ role(slug: "a\\u0000b") { slug } }' },
      'Argument "slug" has invalid value "a\\u0000b": must not contain the NUL character (U+0000).',
    ],
    [
      'a slug variable with NUL',
      { query: ROLE, variables: { s: 'a\u0000' } },
      'Variable "$s" has invalid value "a\\u0000": must not contain the NUL character (U+0000).',
    ],
    [
      'a slug variable with a lone surrogate',
      { query: ROLE, variables: { s: 'a\ud800' } },
      'Variable "$s" has invalid value',
    ],
    [
      'a search with NUL',
      { query: 'query($q: String) { roles(search: $q) { totalCount } }', variables: { q: '\u0000' } },
      'Variable "$q" has invalid value',
    ],
    [
      'a filter string with NUL',
      { query: '{ role(slug: "backend-developer") { stats(filter: { country: "d\\u0000e" }) { openings } } }' },
      'Argument "filter.country" has invalid value',
    ],
    [
      'a filter variable with NUL deep inside',
      {
        query: 'query($f: PostingFilter) { role(slug: "backend-developer") { stats(filter: $f) { openings } } }',
        variables: { f: { employer: 'x\u0000' } },
      },
      'Variable "$f.employer" has invalid value',
    ],
  ];

  it.each(cases)('%s: 400 BAD_USER_INPUT naming it', async (_what, payload, message) => {
    const answer = await send(server.url, JSON.stringify(payload));
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.message).toContain(message);
  });

  it('a variable nested 5,000 deep with NUL at the bottom is BAD_USER_INPUT, not a stack overflow', async () => {
    // Written by hand: JSON.stringify itself runs out of stack at this depth here.
    const deep = `${'{"a":'.repeat(5000)}"x\\u0000"${'}'.repeat(5000)}`;
    const answer = await send(
      server.url,
      `{"query":"query($v: String) { roles(search: $v) { totalCount } }","variables":{"v":${deep}}}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.message).toMatch(/^Variable "\$v\.a\.a.*…(\.a)+" has invalid value "x\\u0000"/);
  });

  it('upsertRole text with NUL is BAD_USER_INPUT and writes nothing', async () => {
    const answer = await send(
      server.url,
      JSON.stringify({
        query: 'mutation($i: UpsertRoleInput!) { upsertRole(input: $i) { role { slug } } }',
        variables: {
          i: {
            slug: 'nul-role',
            title: 'Nul',
            summary: 'bad \u0000 text',
            responsibilities: [{ title: 'ok', text: 'x\u0000' }],
          },
        },
      }),
      { authorization: `Bearer ${key}` },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.message).toContain('Variable "$i.summary" has invalid value "bad \\u0000 text"');
    expect((await db.pool.query(`SELECT 1 FROM role WHERE slug = 'nul-role'`)).rowCount).toBe(0);
  });

  it('a body with invalid UTF-8 bytes is 400 BAD_USER_INPUT naming the byte offset', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"query":"{ role(slug: \\"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\\") { slug } }"}'),
    ]);
    const answer = await send(server.url, new Uint8Array(bytes));
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toEqual({
      message: 'Request body is not valid UTF-8 (first bad byte at offset 25).',
      extensions: { code: 'BAD_USER_INPUT', offset: 25 },
    });
  });

  it('a GET whose query string is not percent-encoded UTF-8 is 400 BAD_USER_INPUT', async () => {
    const res = await fetch(`${server.url}/graphql?query=%7B__typename%7D&variables=%7B%22s%22%3A%22%FF%22%7D`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Answer['body'];
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain('is not percent-encoded UTF-8');
  });
});

describe('logs: secrets hidden, internal errors logged once with the request id', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const logs = logCollector();

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    server = await startTestServer(db, { logger: logs.logger, production: true });
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('hides access_token, api_key, key and token values in logged URLs', async () => {
    const res = await fetch(
      `${server.url}/graphql?query=%7B__typename%7D&access_token=SECRET-A&api_key=SECRET-B&key=SECRET-C&token=SECRET-D`,
      {
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(res.status).toBe(200);
    await res.text();
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.text()).not.toMatch(/SECRET-[ABCD]/);
    expect(logs.text()).toContain('access_token=[redacted]&api_key=[redacted]&key=[redacted]&token=[redacted]');
  });

  it('logs an INTERNAL_SERVER_ERROR once, with the request id, while the client sees no detail', async () => {
    // A column the code needs goes missing: every read of it fails inside the server.
    await db.pool.query('ALTER TABLE role RENAME COLUMN summary TO summary_gone');
    try {
      const before = logs.lines.length;
      const answer = await send(
        server.url,
        JSON.stringify({ query: '{ role(slug: "backend-developer") { slug summary } }' }),
        { 'x-request-id': 'req-internal-1' },
      );
      expect(answer.requestId).toBe('req-internal-1');
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(answer.body.errors?.[0]?.message).toBe('Internal server error');
      await new Promise((r) => setTimeout(r, 100));
      const internal = logs.lines.slice(before).filter((l) => l.msg === 'internal server error');
      expect(internal).toHaveLength(1);
      expect(internal[0]).toMatchObject({ level: 50, reqId: 'req-internal-1', path: ['role'] });
      expect(JSON.stringify(internal[0])).toContain('summary');
    } finally {
      await db.pool.query('ALTER TABLE role RENAME COLUMN summary_gone TO summary');
    }
  });

  it('hides the password of every form of connection string', () => {
    expect(redactSecrets('postgresql://app:hunter2@db:5432/jobs')).toBe('postgresql://app:***@db:5432/jobs');
    expect(redactSecrets('postgres://app:p@ss/w@db/jobs')).toBe('postgres://app:***@db/jobs');
    expect(redactSecrets('postgresql://db/jobs?user=app&password=hunter2&sslmode=require')).toBe(
      'postgresql://db/jobs?user=app&password=***&sslmode=require',
    );
    expect(redactSecrets("host=db user=app password='hunter 2' dbname=jobs")).toBe(
      'host=db user=app password=*** dbname=jobs',
    );
    expect(redactSecrets('host=db password=hunter2 dbname=jobs')).toBe('host=db password=*** dbname=jobs');
    expect(redactSecrets('redis://:hunter2@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactRequestUrl('/roles?sort=title&token=abc')).toBe('/roles?sort=title&token=[redacted]');
  });
});

describe('command lines: passwords redacted, a taken port is one line', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  const withPassword = (url: string) => `${url}${url.includes('?') ? '&' : '?'}password=hunter2`;
  const describeServer = serverUrl() ? it : it.skip;

  describeServer(
    'db:deploy and seed print the database without a ?password=',
    async () => {
      const deploy = await runScript('scripts/migrate.ts', [], { DATABASE_URL: withPassword(db.url) });
      expect(deploy.code).toBe(0);
      expect(deploy.stdout + deploy.stderr).not.toContain('hunter2');
      expect(deploy.stderr).toContain('password=***');
      const seed = await runScript('scripts/seed.ts', [], { DATABASE_URL: withPassword(db.url) });
      expect(seed.code).toBe(0);
      expect(seed.stdout + seed.stderr).not.toContain('hunter2');
    },
    300_000,
  );

  it('a bad DATABASE_URL with a password is one line without it', async () => {
    const result = await runScript('src/main.ts', [], { DATABASE_URL: 'mysql://app:hunter2@db/jobs' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: environment variable DATABASE_URL="mysql://app:***@db/jobs": must be a postgres:// or postgresql:// URL\n',
    );
  });

  describeServer(
    'npm start on a taken PORT says so in one line, without a stack trace',
    async () => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
      const port = (taken.address() as net.AddressInfo).port;
      try {
        const result = await runScript('src/main.ts', [], {
          DATABASE_URL: db.url,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `error: cannot listen on 127.0.0.1 port ${port}: the port is in use by another process; stop it or set PORT to a free port\n`,
        );
      } finally {
        taken.close();
      }
    },
    300_000,
  );
});

describe('imports and reports', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-text-'));
  });

  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const HEADER = 'externalId,source,role,company,postedAt,title\n';

  it('rejects a row with invalid UTF-8 (rule invalidUtf8), imports the others unaltered, and makes formula cells inert in --errors', async () => {
    const csv = Buffer.concat([
      Buffer.from(HEADER),
      Buffer.from('u-1,board,data-engineer,Acme,2025-08-01,Caf\u00e9 \ufffd ok\n'),
      Buffer.from('u-2,board,data-engineer,Acme,2025-08-01,Caf'),
      Buffer.from([0xe9]), // Latin-1 é: not UTF-8
      Buffer.from(' bad\n'),
      Buffer.from('u-3,board,data-engineer,"=HYPERLINK(""http://evil"",""x"")",never,"@SUM(A1)"\n'),
      Buffer.from('u-4,board,data-engineer,Acme,not-a-date,-5\n'),
    ]);
    const errorsFile = path.join(dir, 'errors.csv');
    const summary = await importFile(db, 'postings', Readable.from([csv]), { errorsFile, batchSize: 2 });
    const utf8 = summary.errors.find((e) => e.rule === 'invalidUtf8');
    expect(utf8).toMatchObject({ line: 3, field: 'title', value: 'Caf\ufffd bad', rule: 'invalidUtf8' });
    expect(summary.errors.filter((e) => e.line === 3)).toHaveLength(1);
    const stored = await db.pool.query<{ external_id: string; title: string }>(
      `SELECT external_id, title FROM posting ORDER BY external_id`,
    );
    expect(stored.rows.map((r) => r.external_id)).toEqual(expect.arrayContaining(['u-1']));
    expect(stored.rows.map((r) => r.external_id)).not.toContain('u-2');
    expect(stored.rows.find((r) => r.external_id === 'u-1')?.title).toBe('Caf\u00e9 \ufffd ok');

    const written = fs.readFileSync(errorsFile, 'utf8');
    // No cell of the errors file starts with a formula character (after its optional quote).
    const cells = written.split(/\r\n/).flatMap((line) => line.split(','));
    expect(cells.filter((cell) => /^"?[=+@\t\r]/.test(cell))).toEqual([]);
    expect(written).toContain(`'=HYPERLINK`);
    expect(written).toContain(`'@SUM(A1)`);
    // A plain negative number stays a number.
    expect(written).not.toContain(`'-5`);
  });

  it('writes hostile titles as literal Markdown text and huge amounts as plain whole numbers', () => {
    const role: RolePageData = {
      slug: 'x',
      title: '<img src=x onerror=alert(1)> *Boss* [link](http://evil)',
      summary: null,
      responsibilitiesIntro: null,
      responsibilities: [{ position: 1, title: '**bold** <b>', text: 'text' }],
      careerIntro: null,
      careerStepsIntro: null,
      careerSteps: [],
      conclusion: null,
      stats: {
        openings: 1,
        employers: 1,
        postingsSeen: 1,
        duplicatesRemoved: 0,
        sources: [],
        salary: {
          currency: 'USD',
          count: 1,
          sampleSize: 1,
          confidence: 'LOW',
          outliersExcluded: 0,
          mean: 3.4666666666666666e25,
          median: 1e21,
          min: 1,
          max: 1,
          p25: 1,
          p75: 1,
          histogram: [],
        },
        withOutliers: { count: 1, mean: 3.4666666666666666e25, median: 1e21, min: 1, max: 1 },
        degreeRequirement: {
          employerShare: 0.5,
          postingShare: 0.5,
          employersRequiring: 1,
          employersKnown: 2,
          postingsRequiring: 1,
          postingsKnown: 2,
          postingsByRequirement: [],
          employersByRequirement: [],
        },
        bySeniority: { groups: [] },
        byCountry: { totalGroups: 0, groups: [] },
      },
      trend: [],
      sources: [],
    };
    const markdown = renderMarkdown(role);
    expect(markdown).toContain(
      '# &lt;img src=x onerror=alert(1)&gt; \\*Boss\\* \\[link\\](http://evil) Average Salaries and Statistics',
    );
    expect(markdown).toContain('1. **\\*\\*bold\\*\\* &lt;b&gt;**: text');
    expect(markdown).toContain(`- Average Salary: $${BigInt(Math.round(3.4666666666666666e25))}`);
    expect(markdown).not.toMatch(/e\+\d/);
    expect(markdown).not.toContain('<img');
  });

  it('fills only its own placeholders: {{toString}} is not one', () => {
    expect(unknownPlaceholders('{{toString}} {{constructor}} {{title}}')).toEqual(['toString', 'constructor']);
    const figures = {
      openings: 3,
      employers: 2,
      salary: { mean: 88800, median: null },
      degreeRequirement: { employerShare: 0.33, postingShare: null },
    };
    expect(renderProse('{{title}} pays {{meanSalary}}; {{toString}} {{__proto__}}', 'Dev', figures)).toBe(
      'Dev pays $88800; {{toString}} {{__proto__}}',
    );
  });
});
