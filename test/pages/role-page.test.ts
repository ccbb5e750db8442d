import path from 'node:path';
import { upsertRole } from '../../src/catalog/role-writer.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { roleInputSchema } from '../../src/catalog/role-input.ts';
import { gql } from '../support/server.ts';
import { startSeededServer, type SeededServer } from '../support/seeded-server.ts';

interface Bucket {
  lowerBound: number;
  upperBound: number;
  count: number;
}

const API_FIGURES = `{ role(slug: "backend-developer") { stats { openings salary { mean median p25 p75 sampleSize confidence histogram { lowerBound upperBound count } } } trend(interval: MONTH) { period openingsAtEnd } } }`;

interface ApiFigures {
  role: {
    stats: {
      openings: number;
      salary: {
        mean: number;
        median: number;
        p25: number;
        p75: number;
        sampleSize: number;
        confidence: string;
        histogram: Bucket[];
      };
    };
    trend: { period: string; openingsAtEnd: number }[];
  };
}

const money = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;
const count = (html: string, needle: string | RegExp) => html.split(needle).length - 1;

async function page(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; type: string; html: string; headers: Headers }> {
  const res = await fetch(url, init);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    html: await res.text(),
    headers: res.headers,
  };
}

describe('GET /roles/:slug', () => {
  let s: SeededServer;
  let api: ApiFigures;

  beforeAll(async () => {
    s = await startSeededServer();
    const res = await gql<ApiFigures>(s.url, API_FIGURES);
    expect(res.errors).toBeUndefined();
    api = res.data as ApiFigures;
  });

  afterAll(async () => {
    await s?.close();
  });

  it('renders the seeded role as an accessible HTML page with the API figures', async () => {
    const { status, type, html, headers } = await page(`${s.url}/roles/backend-developer`);
    expect(status).toBe(200);
    expect(type).toBe('text/html; charset=utf-8');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).not.toContain('<script');
    expect(count(html, '<h1>')).toBe(1);
    expect(html).toContain('<h1>Backend Developer Average Salaries and Statistics</h1>');
    // The overview of the Markdown page, with HTML money.
    expect(html).toMatch(/<dt>Job openings<\/dt><dd>3<small>/);
    expect(html).toMatch(/<dt>Average salary<\/dt><dd>\$88,800<small>/);
    expect(html).toMatch(/<dt>Degree requirement<\/dt><dd>33%<small>/);
    // The prose, with its figures written the HTML way.
    expect(html).toContain('With an average salary of $88,800, it is an attractive career path');
    expect(html).toContain('the degree requirement for this job title is 33% according to our statistics');
    expect(html).not.toContain('$88800');
    for (const heading of [
      'Overview',
      'Average Salary',
      'Salary distribution',
      'Openings by month',
      'Responsibilities',
      'How to become a Backend Developer?',
    ]) {
      expect(html).toMatch(new RegExp(`<h2 id="[a-z-]+">${heading.replace('?', '\\?')}</h2>`));
    }
    expect(count(html, /<li value="\d+"><strong>/g)).toBe(10);
  });

  it('draws one histogram bar per API bucket, with the quartiles marked and a text alternative', async () => {
    const { html } = await page(`${s.url}/roles/backend-developer`);
    const { salary } = api.role.stats;
    expect(salary.histogram.length).toBeGreaterThan(0);
    const svg = /<svg class="chart histogram"[^>]*>[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toMatch(/role="img" aria-labelledby="histogram-title histogram-desc"/);
    expect(svg).toContain('<title id="histogram-title">');
    const bars = [
      ...svg.matchAll(/<rect class="bar"[^>]*data-lower="([^"]+)" data-upper="([^"]+)" data-count="(\d+)"/g),
    ];
    expect(bars.map((m) => ({ lowerBound: Number(m[1]), upperBound: Number(m[2]), count: Number(m[3]) }))).toEqual(
      salary.histogram,
    );
    for (const [key, value] of [
      ['p25', salary.p25],
      ['median', salary.median],
      ['p75', salary.p75],
    ] as const) {
      expect(svg).toContain(`<g class="marker marker-${key}" data-value="${value}">`);
    }
    const desc = /<desc id="histogram-desc">([^<]*)<\/desc>/.exec(svg)?.[1] ?? '';
    expect(desc).toContain(`Histogram of 3 annual salaries in ${salary.histogram.length} ranges`);
    expect(desc).toContain(
      `25th percentile ${money(salary.p25)}, median ${money(salary.median)}, 75th percentile ${money(salary.p75)}`,
    );
    // The same figures as a table, and in words.
    expect(html).toContain('<caption>Number of Backend Developer salaries per range</caption>');
    expect(html).toContain('<th scope="col">Annual salary</th>');
    expect(html).toContain(`Median: <strong>${money(salary.median)}</strong>`);
    expect(html).toContain(`Sample size: <strong class="sample-size">${salary.sampleSize}</strong>`);
    expect(salary.confidence).toBe('INSUFFICIENT');
    expect(html).toContain('<span class="badge INSUFFICIENT">Insufficient: fewer than 5 salaries</span>');
  });

  it('shows the monthly trend of openings as a chart and a table', async () => {
    const { html } = await page(`${s.url}/roles/backend-developer`);
    const svg = /<svg class="chart trend"[^>]*>[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toMatch(/role="img" aria-labelledby="trend-chart-title trend-chart-desc"/);
    const bars = [...svg.matchAll(/<rect class="trend-bar"[^>]*data-period="([^"]+)" data-value="(\d+)"/g)];
    expect(bars.map((m) => ({ period: m[1], openingsAtEnd: Number(m[2]) }))).toEqual(api.role.trend);
    expect(api.role.trend[0]).toEqual({ period: '2026-01', openingsAtEnd: 3 });
    expect(html).toContain('<caption>Backend Developer postings per month</caption>');
    expect(html).toContain('<tr><th scope="row">January 2026</th><td class="num">3</td><td class="num">3</td></tr>');
  });

  it('links to the same figures in the playground, and that query runs', async () => {
    const { html } = await page(`${s.url}/roles/backend-developer`);
    const href = /<a class="playground" href="([^"]+)">/.exec(html)?.[1];
    expect(href).toMatch(/^\/graphql\?query=/);
    const query = new URL(href!.replaceAll('&amp;', '&'), s.url).searchParams.get('query') ?? '';
    expect(query).toContain('role(slug: "backend-developer")');
    const res = await gql<ApiFigures>(s.url, query);
    expect(res.errors).toBeUndefined();
    expect(res.data?.role.stats.salary.mean).toBe(88800);
    // A browser following the link gets GraphiQL, which reads ?query= itself.
    const playground = await page(`${s.url}${href!.replaceAll('&amp;', '&')}`, { headers: { accept: 'text/html' } });
    expect(playground.status).toBe(200);
    expect(playground.html).toContain('GraphiQL');
  });

  it('answers an unknown slug with a 404 HTML page', async () => {
    const { status, type, html } = await page(`${s.url}/roles/no-such-role`);
    expect(status).toBe(404);
    expect(type).toBe('text/html; charset=utf-8');
    expect(html).toContain('<h1>Role not found</h1>');
    expect(html).toContain('There is no role called “no-such-role”.');
    expect(html).toContain('<a href="/roles">');
    const other = await page(`${s.url}/roles/a/b`);
    expect(other.status).toBe(404);
    expect(other.type).toBe('text/html; charset=utf-8');
  });

  it('escapes a hostile slug in the 404 page', async () => {
    const { status, html } = await page(`${s.url}/roles/%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    expect(status).toBe(404);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('escapes hostile role prose everywhere on the role page and in the list', async () => {
    const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & \'quoted\'';
    await upsertRole(
      s.db,
      roleInputSchema.parse({
        slug: 'hostile-role',
        title: `Evil <b>"Title"</b> & Co`,
        summary: `Summary ${hostile}`,
        responsibilitiesIntro: `Intro ${hostile}`,
        responsibilities: [{ title: `<i>T</i>`, text: `Text ${hostile}` }],
        careerIntro: `Career ${hostile}`,
        careerStepsIntro: `Steps ${hostile}`,
        careerSteps: [{ title: '</ol><h1>x</h1>', text: hostile }],
        conclusion: `End ${hostile}`,
      }),
    );
    for (const path of ['/roles/hostile-role', '/roles', '/roles?sort=degree&dir=asc']) {
      const { status, html } = await page(`${s.url}${path}`);
      expect(status).toBe(200);
      expect(html).not.toContain('<script');
      expect(html).not.toContain('<img');
      expect(html).not.toContain('<b>');
      expect(html).not.toContain('<i>');
      expect(html).toContain('Evil &lt;b&gt;&quot;Title&quot;&lt;/b&gt; &amp; Co');
    }
    const { html } = await page(`${s.url}/roles/hostile-role`);
    expect(html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quoted&#39;',
    );
    expect(count(html, '<h1>')).toBe(1);
    expect(html).toContain('<p>No salaries have been reported for this role yet.</p>');
  });

  it('shows a yearly trend when the postings span more months than one trend allows', async () => {
    const summary = await importFile(s.db, 'postings', path.join(__dirname, 'fixtures/old-posting.csv'));
    expect(summary).toMatchObject({ inserted: 1, rejected: 0 });
    const { status, html } = await page(`${s.url}/roles/archivist`);
    expect(status).toBe(200);
    expect(html).toContain('<h2 id="trend">Openings by year</h2>');
    expect(html).toContain('<tr><th scope="row">1950</th><td class="num">1</td><td class="num">1</td></tr>');
    expect(html).toMatch(/<dt>Average salary<\/dt><dd>\$50,000</);
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = await fetch(`${s.url}/roles/backend-developer`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${s.url}/roles/backend-developer`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
