import type { RunningServer } from '../../src/http/server.ts';
import { seedDatabase } from '../../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { importRows } from '../support/import-rows.ts';
import { mean, percentile } from '../support/independent-stats.ts';
import { gql, startTestServer } from '../support/server.ts';

// Ten ordinary salaries and one $5,000,000 posting, as a board with a typo would publish it.
// Ten distinct ads: each at its own site, so that no two share a duplicate key (employer, title, location).
const SALARIES = [80000, 82000, 85000, 86000, 88000, 90000, 91000, 93000, 95000, 98000];
const rows = [
  ...SALARIES.map((salary, i) => ({
    externalId: `q-${i}`,
    source: i % 2 ? 'boardA' : 'boardB',
    role: 'qa-engineer',
    title: i < 4 ? 'Senior QA Engineer' : 'QA Engineer',
    company: `Company ${i % 4}`,
    location: `Site ${i}`,
    country: i % 3 ? 'DE' : 'US',
    remote: i % 2 === 0,
    salaryMin: salary,
    degreeRequired: i % 4 === 0,
    postedAt: '2026-01-10',
  })),
  {
    externalId: 'q-typo',
    source: 'boardA',
    role: 'qa-engineer',
    company: 'Company 0',
    country: 'DE',
    salaryMin: 5_000_000,
    degreeRequired: false,
    postedAt: '2026-01-11',
  },
];

describe('role pages that tell the whole story', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const page = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, html: await res.text() };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    await importRows(db, 'postings', rows);
    server = await startTestServer(db);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('leaves the outlier out of the headline by default, says so with the figures including it, and shows all with ?outliers=include', async () => {
    const { html } = await page('/roles/qa-engineer');
    const without = Math.round(mean(SALARIES) as number).toLocaleString('en-US');
    const withIt = Math.round(mean([...SALARIES, 5_000_000]) as number).toLocaleString('en-US');
    expect(html).toContain(`<div class="figure-mean"><dt>Average salary</dt><dd>$${without}`);
    expect(html).toContain(`1 outlier salary is left out of these figures`);
    expect(html).toContain(`With it: average $${withIt}`);
    expect(html).toContain('href="/roles/qa-engineer?outliers=include"');
    const all = await page('/roles/qa-engineer?outliers=include');
    expect(all.html).toContain(`<div class="figure-mean"><dt>Average salary</dt><dd>$${withIt}`);
    expect(all.html).toContain('All 11 salaries are included.');
  });

  it('shows the employer and the posting degree shares side by side, each with what it means', async () => {
    const { html } = await page('/roles/qa-engineer');
    // Postings: q-0, q-4, q-8 require one, of 11 known; employers: Company 0 (q-0, q-4, q-8) requires, of 4.
    expect(html).toContain(
      '<div class="figure-degree"><dt>Degree requirement</dt><dd>25%<small>of employers require a degree (1 of 4): an employer counts when any of its postings asks for one',
    );
    expect(html).toContain(
      '<div class="figure-degree-postings"><dt>Postings requiring a degree</dt><dd>27%<small>of postings ask for a degree (3 of 11 that say)',
    );
  });

  it('filters by country, remote, seniority and source with plain links, the playground link carrying the same filter', async () => {
    const { html } = await page('/roles/qa-engineer');
    for (const href of [
      '?country=DE',
      '?country=US',
      '?remote=true',
      '?remote=false',
      '?seniority=SENIOR',
      '?source=boardA',
    ]) {
      expect(html).toContain(`href="/roles/qa-engineer${href}"`);
    }
    const filtered = await page('/roles/qa-engineer?country=DE&seniority=SENIOR');
    expect(filtered.status).toBe(200);
    const api = await gql<{ role: { stats: { openings: number } } }>(
      server.url,
      '{ role(slug: "qa-engineer") { stats(filter: { country: "DE", seniority: SENIOR }) { openings } } }',
    );
    expect(filtered.html).toContain(
      `<div class="figure-openings"><dt>Job openings</dt><dd>${api.data!.role.stats.openings}<small>`,
    );
    const playground = /href="(\/graphql\?query=[^"]+)"/.exec(filtered.html)?.[1] ?? '';
    expect(decodeURIComponent(playground.replace(/&amp;/g, '&'))).toContain(
      'stats(filter: { country: "DE", seniority: SENIOR })',
    );
    expect((await page('/roles/qa-engineer?remote=maybe')).status).toBe(400);
    expect((await page('/roles/qa-engineer?country=XX')).status).toBe(400);
    expect((await page('/roles/qa-engineer?seniority=boss')).html).toContain(
      'seniority=BOSS must be one of JUNIOR, MID, SENIOR, LEAD',
    );
  });

  it('gives salary by seniority and the top countries as small tables, and the sources with their freshness', async () => {
    const { html } = await page('/roles/qa-engineer');
    expect(html).toContain('<caption>Salary by seniority</caption>');
    const seniorMedian = Math.round(percentile(SALARIES.slice(0, 4), 0.5) as number).toLocaleString('en-US');
    expect(html).toContain(
      `<tr><th scope="row">Senior</th><td class="num">4</td><td class="num">$${seniorMedian}</td><td class="num">4</td></tr>`,
    );
    expect(html).toContain('<caption>Top countries by openings</caption>');
    expect(html).toMatch(/<tr><th scope="row">DE<\/th><td class="num">7<\/td>/);
    expect(html).toMatch(
      /<li><strong>boardA<\/strong>: 6 postings, last imported <time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{4}-\d\d-\d\d<\/time><\/li>/,
    );
    const sources = await gql<{ sources: { name: string; postings: number; lastImportedAt: string }[] }>(
      server.url,
      '{ sources { name postings lastImportedAt } }',
    );
    expect(sources.data!.sources.map((s) => [s.name, s.postings])).toEqual([
      ['boardA', 6],
      ['boardB', 5],
      ['seed', 3],
    ]);
  });

  it('hides the prose sections of a role without prose, and keeps them for the seed role', async () => {
    const bare = await page('/roles/qa-engineer');
    expect(bare.html).not.toContain('id="responsibilities"');
    expect(bare.html).not.toContain('id="become"');
    expect(bare.html).not.toContain('id="average-salary"');
    const seed = await page('/roles/backend-developer');
    expect(seed.html).toContain('id="responsibilities"');
    expect(seed.html).toContain('id="become"');
  });

  it('rounds every displayed bound: no long decimals anywhere on the page', async () => {
    const { html } = await page('/roles/backend-developer');
    // Times carry milliseconds (datetime="…16.123Z"); everything else shown is rounded.
    expect(html.replace(/datetime="[^"]*"/g, '')).not.toMatch(/\d\.\d{3,}/);
    const qa = await page('/roles/qa-engineer?outliers=include');
    // Axis labels are compact ($85.5k, $2.5M); amounts in text are whole dollars.
    expect(qa.html.replace(/datetime="[^"]*"/g, '')).not.toMatch(/\$[\d,]+\.\d+(?![\dkM])|\d\.\d{3,}/);
  });

  it('names each employer by the most frequent spelling of its postings, trimmed', async () => {
    const before = await gql<{ role: { topEmployers: { edges: { node: { name: string } }[] } } }>(
      server.url,
      '{ role(slug: "qa-engineer") { topEmployers(first: 10, filter: { status: ANY }) { edges { node { name } } } } }',
    );
    expect(before.data!.role.topEmployers.edges.map((e) => e.node.name)).toContain('Company 1');
    // "Company 1" had 3 postings (q-1, q-5, q-9); four spelled "  COMPANY   1 " now outnumber them.
    // The four are one ad on one board (one duplicate key, one day): postings are counted with dedupe: false.
    await importRows(
      db,
      'postings',
      [0, 1, 2, 3].map((i) => ({
        externalId: `shout-${i}`,
        source: 'boardC',
        role: 'qa-engineer',
        company: '  COMPANY   1 ',
        postedAt: '2026-01-12',
      })),
    );
    const after = await gql<{ role: { topEmployers: { edges: { postings: number; node: { name: string } }[] } } }>(
      server.url,
      '{ role(slug: "qa-engineer") { topEmployers(first: 10, dedupe: false, filter: { status: ANY }) { edges { postings node { name } } } } }',
    );
    expect(after.data!.role.topEmployers.edges[0]).toEqual({ postings: 7, node: { name: 'COMPANY 1' } });
  });
});
