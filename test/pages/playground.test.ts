import pino from 'pino';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { EXAMPLE_QUERY } from '../../src/http/playground.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the playground on GET /graphql', () => {
  let db: TestDatabase;
  const servers: RunningServer[] = [];

  const start = async (options: {
    playground?: 'graphiql' | 'sandbox' | 'off';
    production?: boolean;
    rateLimit?: { limit: number };
  }) => {
    const server = await startServer({ db, logger: pino({ level: 'silent' }), ...options }, 0, '127.0.0.1');
    servers.push(server);
    return server.url;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    await db?.close();
  });

  it('serves GraphiQL, self-contained, on the example query (also with ?query=, which GraphiQL reads itself)', async () => {
    const url = await start({});
    for (const path of ['/graphql', `/graphql?query=${encodeURIComponent('{ roles { totalCount } }')}`]) {
      const res = await fetch(`${url}${path}`, { headers: HTML });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
      expect(html).toContain(JSON.stringify(EXAMPLE_QUERY).slice(1, 40));
      // No script, stylesheet, font or image is loaded from elsewhere.
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//i);
      expect(html).not.toContain('{ roles { totalCount } }');
    }
    expect(EXAMPLE_QUERY).toContain('role(slug: "backend-developer")');
  });

  it('still answers API clients on GET and POST', async () => {
    const url = await start({});
    const get = await fetch(`${url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves the GraphiQL page gzipped to browsers that accept it, the same page once unzipped', async () => {
    const url = await start({});
    const plain = await (await fetch(`${url}/graphql`, { headers: { ...HTML, 'accept-encoding': 'identity' } })).text();
    const res = await fetch(`${url}/graphql`, { headers: { ...HTML, 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(Number(res.headers.get('content-length'))).toBeLessThan(Buffer.byteLength(plain) / 2);
    expect(await res.text()).toBe(plain);
  });

  it('opening the playground does not use up the rate limit, which still holds for operations', async () => {
    const url = await start({ rateLimit: { limit: 1 } });
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/graphql`, { headers: HTML })).status).toBe(200);
    const post = () =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(429);
  });

  it('PLAYGROUND=sandbox serves Apollo Sandbox instead', async () => {
    const url = await start({ playground: 'sandbox' });
    const res = await fetch(`${url}/graphql`, { headers: HTML });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('embeddable-sandbox.cdn.apollographql.com');
    expect(html).not.toContain('YogaGraphiQL');
  });

  it('PLAYGROUND=off (the default in production) serves no playground, and the pages do not link to it', async () => {
    for (const options of [{ playground: 'off' as const }, { production: true }]) {
      const url = await start(options);
      const res = await fetch(`${url}/graphql`, { headers: HTML });
      const text = await res.text();
      expect(text).not.toContain('GraphiQL');
      expect(text).not.toContain('sandbox');
      const roles = await fetch(`${url}/roles`);
      expect(roles.status).toBe(200);
      expect(await roles.text()).not.toContain('/graphql');
    }
  });
});
