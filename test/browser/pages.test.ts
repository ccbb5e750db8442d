import fs from 'node:fs';
import path from 'node:path';
const path_ = path;
import { importRows } from '../support/import-rows.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, describeWithBrowser, isolatedContext, launchBrowser } from '../support/browser.ts';
import { ROOT } from '../support/run.ts';
import { startSeededServer, type SeededServer } from '../support/seeded-server.ts';
import { gql } from '../support/server.ts';

// Debian's Chromium, driven by playwright-core, against the real server on a seeded database.
// Every request that is not to the server is aborted and recorded; any such attempt fails the test.

describeWithBrowser('in a browser, with the network blocked but for the server', () => {
  let s: SeededServer;
  let browser: Browser;
  let context: BrowserContext;
  let external: string[];

  beforeAll(async () => {
    s = await startSeededServer();
    browser = await launchBrowser();
    ({ context, external } = await isolatedContext(browser, s.url));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await s?.close();
  });

  afterEach(() => {
    // Checked after each test, so that the test that made the request is the one that fails.
    expect(external).toEqual([]);
  });

  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(`${s.url}${path}`, { waitUntil: 'load' });
    expect(response?.status()).toBeLessThan(500);
    (page as Page & { jsErrors?: string[] }).jsErrors = errors;
    return page;
  }

  /** axe-core's WCAG 2.1 A/AA checks (contrast, names, table and heading markup), injected from node_modules. */
  async function accessibilityViolations(page: Page): Promise<string[]> {
    // Evaluated through the DevTools protocol: the pages' Content-Security-Policy forbids scripts.
    await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const result = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(
              ctx: unknown,
              opts: unknown,
            ): Promise<{ violations: { id: string; help: string; nodes: { target: unknown }[] }[] }>;
          };
        }
      ).axe;
      return axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      });
    });
    return result.violations.map(
      (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
    );
  }

  /** Text of GraphiQL's result pane once it shows `expected`. */
  async function runInGraphiQL(page: Page, expected: string): Promise<string> {
    await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('button.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response');
    await result.filter({ hasText: expected }).waitFor({ timeout: 30_000 });
    return (await result.innerText()).replace(/\u00a0/g, ' ');
  }

  it('the playground loads GraphiQL with schema docs, and its example query shows 88800', async () => {
    const page = await open('/graphql');
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    const text = await runInGraphiQL(page, '88800');
    expect(text).toContain('"mean": 88800');
    expect(text).toContain('"openings": 3');
    // The schema's documentation, from introspection.
    await page
      .getByRole('button', { name: /Documentation Explorer/i })
      .first()
      .click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().waitFor({ timeout: 15_000 });
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.getByText('role', { exact: true }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground.png') });
    expect((page as Page & { jsErrors?: string[] }).jsErrors).toEqual([]);
    await page.close();
  }, 90_000);

  it('/roles/backend-developer shows 3 openings, $88,800 and one histogram bar per API bucket', async () => {
    const api = await gql<{ role: { stats: { salary: { histogram: unknown[] } } } }>(
      s.url,
      '{ role(slug: "backend-developer") { stats { salary { histogram { lowerBound upperBound count } } } } }',
    );
    const buckets = api.data?.role.stats.salary.histogram.length ?? 0;
    expect(buckets).toBeGreaterThan(0);

    const page = await open('/roles/backend-developer');
    await expect(page.title()).resolves.toBe('Backend Developer salaries and statistics');
    expect(await page.locator('h1').innerText()).toBe('Backend Developer Average Salaries and Statistics');
    expect(await page.locator('.figure-openings dd').innerText()).toMatch(/^3\b/);
    expect(await page.locator('.figure-mean dd').innerText()).toMatch(/^\$88,800\b/);
    expect(await page.locator('.figure-degree dd').innerText()).toMatch(/^33%/);
    const histogram = page.getByRole('img', { name: 'Distribution of annual Backend Developer salaries' });
    await expect(histogram.count()).resolves.toBe(1);
    await expect(histogram.locator('rect.bar').count()).resolves.toBe(buckets);
    await expect(histogram.locator('g.marker').count()).resolves.toBe(3);
    // Every bar is drawn: positive width, inside the chart.
    for (const box of await histogram
      .locator('rect.bar')
      .evaluateAll((rects) => rects.map((r) => ({ width: (r as SVGRectElement).getBBox().width })))) {
      expect(box.width).toBeGreaterThan(0);
    }
    await expect(
      page.getByRole('img', { name: /Open Backend Developer postings at the end of each month/ }).count(),
    ).resolves.toBe(1);
    expect(await page.locator('.sample-size').innerText()).toBe('3');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'role-backend-developer.png'), fullPage: true });
    if (process.env.UPDATE_DOCS_IMAGES) {
      // The README's picture: `UPDATE_DOCS_IMAGES=1 npm test -- test/browser`.
      await page.screenshot({
        path: path.join(ROOT, 'docs/images/role-page.png'),
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height: 1220 },
      });
    }
    expect((page as Page & { jsErrors?: string[] }).jsErrors).toEqual([]);

    // The page's playground link opens GraphiQL on the page's figures.
    await page.getByRole('link', { name: 'Open these figures in the GraphQL playground' }).click();
    await page.waitForURL(/\/graphql\?query=/);
    const text = await runInGraphiQL(page, '88800');
    expect(text).toContain('"mean": 88800');
    expect(text).toContain('"confidence": "INSUFFICIENT"');
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-role-figures.png') });
    await page.close();
  }, 90_000);

  it('/roles lists the roles and sorts by a column when its heading is followed', async () => {
    const page = await open('/roles');
    const table = page.getByRole('table', { name: /Roles, sorted by role/ });
    await expect(table.locator('tbody tr').count()).resolves.toBeGreaterThanOrEqual(1);
    const row = table.locator('tr[data-slug="backend-developer"]');
    expect((await row.locator('td').allInnerTexts()).map((t) => t.trim())).toEqual(['3', '$88,800', '$87,800', '33%']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'roles.png'), fullPage: true });
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole('link', { name: /^Mean salary/ }).click();
    await page.waitForURL(/\/roles\?sort=mean&dir=desc$/);
    await expect(page.getByRole('columnheader', { name: /Mean salary/ }).getAttribute('aria-sort')).resolves.toBe(
      'descending',
    );
    await page.getByRole('link', { name: /^Mean salary/ }).click();
    await page.waitForURL(/\/roles\?sort=mean&dir=asc$/);
    await expect(page.getByRole('columnheader', { name: /Mean salary/ }).getAttribute('aria-sort')).resolves.toBe(
      'ascending',
    );
    await page.getByRole('link', { name: 'Backend Developer' }).click();
    await page.waitForURL(/\/roles\/backend-developer$/);
    await page.close();
  }, 60_000);

  it('an unknown role is a 404 page', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${s.url}/roles/no-such-role`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Role not found');
    await page.screenshot({ path: path.join(ARTIFACTS, 'role-not-found.png') });
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  it('is readable on a 360 px wide phone: chart labels of at least 11 px, nothing wider than the screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 2 });
    await phone.route('**/*', (route) => (route.request().url().startsWith(s.url) ? route.continue() : route.abort()));
    try {
      for (const path of ['/roles/backend-developer', '/compare?roles=backend-developer']) {
        const page = await phone.newPage();
        await page.goto(`${s.url}${path}`, { waitUntil: 'load' });
        const sizes = await page.evaluate(() =>
          [...document.querySelectorAll('svg.chart text')].map((el) => {
            const svg = (el as SVGTextElement).ownerSVGElement as SVGSVGElement;
            const scale = svg.getScreenCTM()?.a ?? 1;
            return parseFloat(getComputedStyle(el).fontSize) * scale;
          }),
        );
        expect(sizes.length).toBeGreaterThan(0);
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
        await page.screenshot({
          path: path_.join(ARTIFACTS, `phone${path.replace(/[^a-z]+/g, '-')}.png`),
          fullPage: true,
        });
        expect(await accessibilityViolations(page)).toEqual([]);
        await page.close();
      }
    } finally {
      await phone.close();
    }
  }, 60_000);

  it('/compare shows the roles side by side with their salary distributions on one axis', async () => {
    await importRows(
      s.db,
      'postings',
      [80000, 95000, 120000, 140000].map((salary, i) => ({
        externalId: `browser-de-${i}`,
        source: 'browser',
        role: 'data-engineer',
        company: `Data Co ${i}`,
        salaryMin: salary,
        postedAt: '2026-01-20',
      })),
    );
    const page = await open('/compare?roles=backend-developer,data-engineer');
    expect(await page.locator('table.compare-table thead th').allInnerTexts()).toEqual([
      'Figure',
      'Backend Developer',
      'Data Engineer',
    ]);
    expect(await page.locator('svg.compare-chart g.box').count()).toBe(2);
    await page.screenshot({ path: path_.join(ARTIFACTS, 'compare.png'), fullPage: true });
    if (process.env.UPDATE_DOCS_IMAGES) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: path_.join(ROOT, 'docs/images/compare-page.png'), fullPage: true });
    }
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  }, 60_000);
});
