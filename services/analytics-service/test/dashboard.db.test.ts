// GET /dashboard: its files as HTTP sees them (types, caching, the content security policy), then the page in
// headless Chromium against a listening service with real data — both charts drawn, the picker filled, a
// change of page redrawing the hourly chart, the empty and error states — without a console error or a failed
// request. With UPDATE_SCREENSHOTS=1 it also saves docs/public/analytics-dashboard.png.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addViews, refresh, startTestService, type TestService } from './support/test-service.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../../docs/public/analytics-dashboard.png', import.meta.url));
const HOUR = 3_600_000;

// The workspace compiles for Node, without the DOM's types: this is the part of a canvas the test uses.
interface Canvas {
  width: number;
  height: number;
  toDataURL(): string;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}

let service: TestService;
let chartJsUrl: string;

beforeAll(async () => {
  service = await startTestService('dashboard');
  const html = (await service.app.inject({ url: '/dashboard' })).body;
  chartJsUrl = /<script defer src="([^"]+)"><\/script>/.exec(html)?.[1] ?? '';
});
afterAll(() => service.close());

describe('the dashboard files', () => {
  it('serve the page with a policy that allows only this origin, revalidated on each load', async () => {
    const response = await service.app.inject({ url: '/dashboard' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    // Every script is a file of this service: no inline code, no other host.
    expect(response.body).not.toMatch(/<script(?![^>]*\ssrc="\/dashboard\/)/);
    expect(chartJsUrl).toMatch(/^\/dashboard\/vendor\/chart\.js\/4\.\d+\.\d+\/chart\.umd\.min\.js$/);
  });

  it('serve Chart.js from node_modules under its version, cacheable for a year', async () => {
    const response = await service.app.inject({ url: chartJsUrl });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.body).toMatch(/^\/\*!\n \* Chart\.js v4\./);
  });

  it.each([
    ['/dashboard/app.js', 'text/javascript; charset=utf-8'],
    ['/dashboard/style.css', 'text/css; charset=utf-8'],
    ['/dashboard/favicon.svg', 'image/svg+xml'],
  ])('serve %s as %s, and 304 to a matching If-None-Match', async (url, type) => {
    const response = await service.app.inject({ url });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(type);
    const etag = response.headers.etag as string;
    const again = await service.app.inject({ url, headers: { 'if-none-match': `"other", ${etag}` } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing)
  console.warn(`Skipping the dashboard browser test: ${CHROMIUM} is missing (CI installs it).`);

// Generous limits for a loaded CI machine; on an idle one the whole block takes about three seconds.
describe.skipIf(chromiumMissing)('the dashboard in Chromium', { timeout: 20_000 }, () => {
  let browser: Browser;
  let page: Page;
  let address: string;
  const problems: string[] = []; // console errors, page errors, failed requests
  const views = new Map<string, Map<number, number>>(); // page → hour start → views, as seeded

  beforeAll(async () => {
    const current = Math.floor(Date.now() / HOUR) * HOUR;
    const seed: [string, number, number][] = [
      ...Array.from({ length: 24 }, (_, i): [string, number, number] => [
        '/home',
        current - (i + 1) * HOUR,
        5 + ((i * 7) % 11),
      ]),
      ['/home', current, 1000], // the current hour: in today's top, not in the hourly chart
      ['/pricing', current - 3 * HOUR, 40],
      ['/pricing', current - 10 * HOUR, 25],
      ['/pricing', current, 100],
      ['/blog/hello-world', current, 5],
    ];
    for (const [name, hour, count] of seed) {
      views.set(name, (views.get(name) ?? new Map<number, number>()).set(hour, count));
    }
    await addViews(
      service,
      seed.map(([name, hour, count]) => [name, new Date(hour).toISOString(), count]),
    );
    await refresh(service);
    address = await service.app.listen({ port: 0, host: '127.0.0.1' });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`),
    );
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
    });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** The hourly chart's table: hour start → views. */
  async function hourlyTable(): Promise<Map<number, number>> {
    const cells = await page.locator('#hourly-table tbody td').allTextContents(); // hour, views, hour, …
    return new Map(
      Array.from({ length: cells.length / 2 }, (_, row) => [
        Date.parse(`${cells[2 * row]?.replace(' ', 'T')}:00Z`),
        Number(cells[2 * row + 1]),
      ]),
    );
  }

  function expectTableOf(name: string, table: Map<number, number>): void {
    expect(table.size).toBe(24);
    for (const [hour, count] of table)
      expect(count, new Date(hour).toISOString()).toBe(views.get(name)?.get(hour) ?? 0);
  }

  /** How many pixels of the canvas are painted: a blank canvas has none. */
  const paintedPixels = (selector: string) =>
    page.$eval(selector, (canvas: Canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha] !== 0) painted++;
      return painted;
    });

  it('draws both charts from the reports and lists the pages in the picker', async () => {
    await page.goto(`${address}/dashboard`);
    await page.waitForSelector('#top[data-state="ready"]');
    await page.waitForSelector('#hourly[data-state="ready"][data-page="/home"]');

    expect(await paintedPixels('#top-chart')).toBeGreaterThan(1000);
    expect(await paintedPixels('#hourly-chart')).toBeGreaterThan(1000);
    expect(
      await page
        .locator('#page-select option')
        .evaluateAll((options: { value: string }[]) => options.map((option) => option.value)),
    ).toEqual(['', '/home', '/pricing', '/blog/hello-world']);
    expect(await page.locator('#top-table td:first-child').allTextContents()).toEqual([
      '/home',
      '/pricing',
      '/blog/hello-world',
    ]);
    expectTableOf('/home', await hourlyTable());
    expect(await page.textContent('#freshness')).toMatch(
      /^Daily totals as of \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/,
    );
    expect(await page.isHidden('#error')).toBe(true);

    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
  });

  it('redraws the hourly chart for the page picked', async () => {
    const before = await page.$eval('#hourly-chart', (canvas: Canvas) => canvas.toDataURL());
    await page.selectOption('#page-select', '/pricing');
    await page.waitForSelector('#hourly[data-state="ready"][data-page="/pricing"]');

    expectTableOf('/pricing', await hourlyTable());
    expect(await page.$eval('#hourly-chart', (canvas: Canvas) => canvas.toDataURL())).not.toBe(before);
    expect(await page.textContent('#hourly-page')).toBe('/pricing');
    expect(new URL(page.url()).searchParams.get('page')).toBe('/pricing');
  });

  it('shows an empty state for a page without views in the last 24 hours', async () => {
    await page.fill('#page-input', '/blog/hello-world'); // its only views are in the current hour
    await page.click('button[type="submit"]');
    await page.waitForSelector('#hourly[data-state="empty"][data-page="/blog/hello-world"]');
    expect(await page.textContent('#hourly .placeholder')).toBe(
      'No views of /blog/hello-world in the last 24 hours.',
    );
    expect(await page.isVisible('#hourly .placeholder')).toBe(true);
    expect(await page.isVisible('#hourly-chart')).toBe(false);
  });

  it('had no console errors and no failed requests', () => {
    expect(problems).toEqual([]);
  });

  it("shows the service's explanation when a report fails", async () => {
    await page.fill('#page-input', 'p'.repeat(201));
    await page.click('button[type="submit"]');
    await page.waitForSelector('#hourly[data-state="error"]');
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error')).toContain('params/page must NOT have more than 200 characters');
    expect(await page.textContent('#hourly .placeholder')).toContain('could not be loaded');
  });
});
