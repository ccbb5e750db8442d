import type { RunningServer } from '../src/http/server.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { mean, percentile } from './support/independent-stats.ts';
import { gql, startTestServer } from './support/server.ts';

const DATA_SALARIES = [70000, 90000, 110000, 150000];

describe('comparing roles', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    await importRows(
      db,
      'postings',
      DATA_SALARIES.map((salary, i) => ({
        externalId: `de-${i}`,
        source: 'cmp',
        role: 'data-engineer',
        company: `Company ${i % 3}`,
        // Distinct ads: the same employer, title and place on one day would be one ad posted twice.
        title: `Data Engineer ${i}`,
        country: i % 2 ? 'DE' : 'US',
        salaryMin: salary,
        degreeRequired: i % 2 === 0,
        postedAt: '2026-01-10',
      })),
    );
    await importRows(db, 'postings', [
      { externalId: 'ml-0', source: 'cmp', role: 'ml-engineer', company: 'Solo', postedAt: '2026-01-10' },
    ]);
    server = await startTestServer(db);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('gives each role, in the order asked, the figures of its own stats under the same filter and currency', async () => {
    const res = await gql<{
      compare: {
        role: { slug: string };
        stats: { openings: number };
        salary: { currency: string; mean: number | null; median: number | null; p25: number | null };
      }[];
      de: { stats: { openings: number; salary: { mean: number; median: number; p25: number } } };
    }>(
      server.url,
      `{ compare(roles: ["data-engineer", "backend-developer"], filter: { status: ANY }, currency: "EUR") {
           role { slug } stats { openings } salary { currency mean median p25 } }
         de: role(slug: "data-engineer") { stats(filter: { status: ANY }) { openings salary(currency: "EUR") { mean median p25 } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const [first, second] = res.data!.compare;
    expect(first!.role.slug).toBe('data-engineer');
    expect(second!.role.slug).toBe('backend-developer');
    expect(first!.salary.currency).toBe('EUR');
    expect(first!.stats.openings).toBe(res.data!.de.stats.openings);
    expect({ mean: first!.salary.mean, median: first!.salary.median, p25: first!.salary.p25 }).toEqual(
      res.data!.de.stats.salary,
    );
    // Independently: USD amounts over the EUR rate of data/exchange-rates.csv.
    const eur = DATA_SALARIES.map((v) => v / 1.17);
    expect(first!.salary.mean).toBeCloseTo(mean(eur) as number, 6);
    expect(first!.salary.p25).toBeCloseTo(percentile(eur, 0.25) as number, 6);
  });

  it('names the unknown roles, and refuses more than 10 roles, a repeated one or none, with BAD_USER_INPUT', async () => {
    const unknown = await gql(
      server.url,
      `{ compare(roles: ["backend-developer", "astronaut", "wizard"]) { role { slug } } }`,
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0]?.message).toContain('has no role with slug "astronaut", "wizard"');
    const eleven = Array.from({ length: 11 }, (_, i) => `"r${i}"`).join(', ');
    const tooMany = await gql(server.url, `{ compare(roles: [${eleven}]) { role { slug } } }`);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toContain('must name 1 to 10 roles');
    const twice = await gql(
      server.url,
      `{ compare(roles: ["backend-developer", "backend-developer"]) { role { slug } } }`,
    );
    expect(twice.errors?.[0]?.message).toContain('must not name a role twice');
    const none = await gql(server.url, `{ compare(roles: []) { role { slug } } }`);
    expect(none.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const currency = await gql(
      server.url,
      `{ compare(roles: ["backend-developer"], currency: "XXX") { salary { mean } } }`,
    );
    expect(currency.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(currency.errors?.[0]?.message).toContain('"XXX"');
  });

  it('serves /compare with the figures side by side and one box plot per role with salaries on one axis', async () => {
    const res = await fetch(`${server.url}/compare?roles=backend-developer,data-engineer,ml-engineer`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBeTruthy();
    const html = await res.text();
    expect(html).toContain('<th scope="col" class="num"><a href="/roles/backend-developer">Backend Developer</a></th>');
    expect(html).toMatch(
      /<th scope="row">Average salary<\/th><td class="num">\$88,800<\/td><td class="num">\$105,000<\/td><td class="num">n\/a<\/td>/,
    );
    expect(html).toMatch(
      /<th scope="row">Job openings<\/th><td class="num">3<\/td><td class="num">4<\/td><td class="num">1<\/td>/,
    );
    const svg = /<svg class="chart compare-chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg.match(/<g class="box">/g)).toHaveLength(2);
    expect(svg).toContain('Data Engineer: from $70,000 to $150,000');
    expect(html).toContain('No salaries yet for Ml Engineer');
    // Repeated parameters work like a list: the role page's form sends them that way.
    expect((await fetch(`${server.url}/compare?roles=backend-developer&roles=data-engineer`)).status).toBe(200);
  });

  it('answers an unknown role with a 404 naming it, too many with a 400, and links to it from role pages', async () => {
    const unknown = await fetch(`${server.url}/compare?roles=backend-developer,astronaut`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('has no role with slug &quot;astronaut&quot;');
    const many = await fetch(`${server.url}/compare?roles=${Array.from({ length: 11 }, (_, i) => `r${i}`).join(',')}`);
    expect(many.status).toBe(400);
    expect((await fetch(`${server.url}/compare`)).status).toBe(400);
    const page = await (await fetch(`${server.url}/roles/backend-developer`)).text();
    expect(page).toContain(
      '<form method="get" action="/compare"><input type="hidden" name="roles" value="backend-developer">',
    );
  });
});
