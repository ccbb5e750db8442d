import path from 'node:path';
import { importFile } from '../../src/importer/import-file.ts';
import { startSeededServer, type SeededServer } from '../support/seeded-server.ts';

// Seed (backend-developer) plus fixtures/more-roles.csv. Figures computed by hand:
//   backend-developer  3 openings  mean 88800  median 87800  degree 1/3 -> 33%
//   data-engineer      2 openings  mean 90000  median 90000  degree 1/1 -> 100% (one unknown)
//   qa-engineer        1 opening   no salary                 degree 0/1 -> 0%
const BD = 'backend-developer';
const DE = 'data-engineer';
const QA = 'qa-engineer';

const ORDERS: [string, string, string[]][] = [
  ['title', 'asc', [BD, DE, QA]],
  ['title', 'desc', [QA, DE, BD]],
  ['openings', 'desc', [BD, DE, QA]],
  ['openings', 'asc', [QA, DE, BD]],
  ['mean', 'desc', [DE, BD, QA]],
  ['mean', 'asc', [BD, DE, QA]],
  ['median', 'desc', [DE, BD, QA]],
  ['median', 'asc', [BD, DE, QA]],
  ['degree', 'desc', [DE, BD, QA]],
  ['degree', 'asc', [QA, BD, DE]],
];

const slugs = (html: string) => [...html.matchAll(/<tr data-slug="([^"]+)">/g)].map((m) => m[1]);

async function get(url: string): Promise<{ status: number; html: string }> {
  const res = await fetch(url);
  return { status: res.status, html: await res.text() };
}

describe('GET /roles', () => {
  let s: SeededServer;

  beforeAll(async () => {
    s = await startSeededServer();
    const summary = await importFile(s.db, 'postings', path.join(__dirname, 'fixtures/more-roles.csv'));
    expect(summary).toMatchObject({ inserted: 3, rejected: 0 });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('lists every role with openings, mean and median salary and employer degree share', async () => {
    const { status, html } = await get(`${s.url}/roles`);
    expect(status).toBe(200);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<caption>Roles, sorted by role (A to Z)</caption>');
    expect(slugs(html)).toEqual([BD, DE, QA]);
    expect(html).toContain(
      '<tr data-slug="backend-developer"><th scope="row"><a href="/roles/backend-developer">Backend Developer</a></th>' +
        '<td class="num">3</td><td class="num">$88,800</td><td class="num">$87,800</td><td class="num">33%</td></tr>',
    );
    expect(html).toContain(
      '<td class="num">2</td><td class="num">$90,000</td><td class="num">$90,000</td><td class="num">100%</td>',
    );
    expect(html).toContain(
      '<td class="num">1</td><td class="num">n/a</td><td class="num">n/a</td><td class="num">0%</td>',
    );
    expect((html.match(/<th scope="col"/g) ?? []).length).toBe(5);
  });

  it.each(ORDERS)('sorts by %s %s', async (sort, dir, expected) => {
    const { status, html } = await get(`${s.url}/roles?sort=${sort}&dir=${dir}`);
    expect(status).toBe(200);
    expect(slugs(html)).toEqual(expected);
    expect(html).toMatch(
      new RegExp(
        `<th scope="col"( class="num")? aria-sort="${dir === 'asc' ? 'ascending' : 'descending'}"><a href="/roles\\?sort=${sort}&amp;dir=${dir === 'asc' ? 'desc' : 'asc'}"`,
      ),
    );
  });

  it('links each column heading to its sort: the current column flips, the others start at their natural direction', async () => {
    const { html } = await get(`${s.url}/roles?sort=mean&dir=desc`);
    const links = Object.fromEntries(
      [...html.matchAll(/<a href="([^"]+)" data-sort="([a-z]+)">/g)].map((m) => [m[2], m[1]]),
    );
    expect(links).toEqual({
      title: '/roles?sort=title&amp;dir=asc',
      openings: '/roles?sort=openings&amp;dir=desc',
      mean: '/roles?sort=mean&amp;dir=asc',
      median: '/roles?sort=median&amp;dir=desc',
      degree: '/roles?sort=degree&amp;dir=desc',
    });
    expect((html.match(/aria-sort=/g) ?? []).length).toBe(1);
  });

  it('answers an unknown sort with a 400 page naming the allowed values', async () => {
    const bad = await get(`${s.url}/roles?sort=salary`);
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('sort must be one of title, openings, mean, median, degree; got &quot;salary&quot;');
    const dir = await get(`${s.url}/roles?sort=title&dir=up`);
    expect(dir.status).toBe(400);
    expect(dir.html).toContain('dir must be asc or desc');
  });
});
