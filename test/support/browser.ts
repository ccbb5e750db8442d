import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { ROOT } from './run.ts';

/** Debian's Chromium (`apt-get install chromium`, or .ci/install-browser). Never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test/artifacts');

/**
 * `describe` when Chromium is there; without it, `describe.skip` with a message on a developer's
 * machine, but a real failure under CI (CI is set), where .ci/install-browser should have
 * installed it.
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  if (fs.existsSync(CHROMIUM) || process.env.CI) {
    describe(name, fn);
    return;
  }
  console.warn(
    `Skipping browser tests "${name}": ${CHROMIUM} is missing. Install it with .ci/install-browser (apt-get install chromium).`,
  );
  describe.skip(name, fn);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A browser context in which every request that is not to `serverUrl` is aborted and recorded:
 * a test asserts afterwards that `external` is empty. data: and blob: URLs are not network
 * requests (GraphiQL starts its editor workers from blob: URLs) and are let through.
 */
export async function isolatedContext(
  browser: Browser,
  serverUrl: string,
): Promise<{ context: BrowserContext; external: string[] }> {
  const origin = new URL(serverUrl).origin;
  const external: string[] = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const allowed = (url: string) => url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    if (!external.includes(url)) external.push(url);
    return route.abort('blockedbyclient');
  });
  // Anything that reached the network layer without passing the route (workers, websockets).
  context.on('request', (request) => {
    if (!allowed(request.url()) && !external.includes(request.url())) external.push(request.url());
  });
  context.on('page', (page) => page.on('websocket', (ws) => external.push(ws.url())));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return { context, external };
}
