/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a whole platform:
 * sign in with the bootstrap key, see the overview, create a connection from the form generated from the
 * connector's schemas, see it listed, call a local upstream through it, see the execution, open webhooks.
 * Skipped, visibly, where /usr/bin/chromium is not installed (`.ci/run` installs it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../src/api/dashboard.routes.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const describeBrowser = hasChromium ? describe : describe.skip;
const SCREENSHOTS = path.resolve('test-results/dashboard');

/** Builds the dashboard when it is missing or older than its sources (npm test builds it first). */
function ensureDashboardBuilt(): void {
  const index = path.join(DASHBOARD_DIST, 'index.html');
  const builtAt = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const newest = (dir: string): number =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .map((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs;
      })
      .reduce((a, b) => Math.max(a, b), 0);
  if (builtAt > newest(path.resolve('dashboard/src'))) return;
  execFileSync(process.execPath, [path.resolve('node_modules/vite/bin/vite.js'), 'build', 'dashboard'], {
    stdio: 'pipe',
  });
}

describeBrowser(
  `dashboard in chromium${hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)'}`,
  () => {
    let t: TestPlatform;
    let upstream: Server;
    let upstreamUrl: string;
    const upstreamAuth: (string | undefined)[] = [];
    let context: BrowserContext;
    let page: Page;
    let userDataDir: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      ensureDashboardBuilt();
      upstream = createServer((request, response) => {
        upstreamAuth.push(request.headers.authorization);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ greeting: 'hello from upstream', path: request.url }));
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      t = await startTestPlatform('pglite', { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });

      userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kryonix-chromium-'));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        viewport: { width: 1280, height: 900 },
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-quic',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (error) => pageErrors.push(error.message));
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await t?.close();
      await new Promise((resolve) => upstream?.close(resolve));
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    });

    const shot = (name: string) =>
      page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

    it('serves the SPA at / and for page paths, and keeps problem 404s for the API', async () => {
      for (const pagePath of ['/', '/connections', '/webhooks?tab=deliveries']) {
        const response = await fetch(`${t.baseUrl}${pagePath}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/text\/html/);
        expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      }
      for (const missing of [
        '/api/integrations/nothing-here',
        '/assets/missing.js',
        '/health/nope',
        '/webhooks/a/b',
      ]) {
        const response = await fetch(`${t.baseUrl}${missing}`);
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(((await response.json()) as { code: string }).code).toBe('KRX_ROUTE_NOT_FOUND');
      }
      // The API still wants a key.
      expect((await fetch(`${t.baseUrl}/api/integrations/connections`)).status).toBe(401);
    });

    it('signs in with an API key and shows the overview', async () => {
      await page.goto(`${t.baseUrl}/`);
      await page.getByLabel('API key').fill('krx_not-a-real-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('KRX_UNAUTHENTICATED');

      await page.getByLabel('API key').fill(t.adminKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      expect(await page.evaluate("sessionStorage.getItem('kryonix.apiKey')")).toBe(t.adminKey);
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await shot('overview');
    }, 60_000);

    it('creates a connection from the schema form, lists it and calls it', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'New connection' }).click();
      const form = page.getByRole('dialog', { name: 'New connection' });
      await form.getByLabel('Connector').selectOption('rest');
      await form.getByLabel('Name', { exact: true }).fill('upstream-e2e');
      await form.locator('#config-baseUrl').fill(upstreamUrl);
      await form.locator('#auth-type').selectOption('bearer');
      await form.locator('#auth-token').fill('tok_browser_secret');
      expect(await form.locator('#auth-token').getAttribute('type')).toBe('password');
      await shot('connection-form');
      await form.getByRole('button', { name: 'Create connection' }).click();

      // The detail page: the credential is masked, never echoed.
      await page.getByRole('heading', { name: 'upstream-e2e', level: 1 }).waitFor();
      const body = await page.locator('main').textContent();
      expect(body).toContain('token');
      expect(body).not.toContain('tok_browser_secret');

      await page.getByRole('link', { name: 'Connections' }).first().click();
      await page.getByRole('link', { name: 'upstream-e2e' }).waitFor();
      const row = page.getByRole('row', { name: /upstream-e2e/ });
      expect(await row.textContent()).toContain('REST API');

      // Test button of the row: the REST connector's test calls the base URL.
      await row.getByRole('button', { name: 'Test upstream-e2e' }).click();
      await expect
        .poll(() =>
          row
            .getByRole('status')
            .textContent()
            .catch(() => ''),
        )
        .toMatch(/✓|✗/);

      await page.getByRole('link', { name: 'upstream-e2e' }).click();
      await page.getByLabel('Path').fill('/hello');
      await page.getByRole('button', { name: 'Send' }).click();
      const result = page.getByTestId('call-result');
      await result.waitFor();
      expect(await result.textContent()).toContain('HTTP 200');
      expect(await result.textContent()).toContain('hello from upstream');
      expect(upstreamAuth).toContain('Bearer tok_browser_secret');
      await shot('connection-detail');
    }, 90_000);

    it('opens the webhooks page and creates an inbound endpoint with a URL to copy', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      await page.getByRole('tab', { name: 'Inbound endpoints' }).waitFor();
      await page.getByRole('button', { name: 'New endpoint' }).click();
      await page.getByLabel('Name').fill('orders-in');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      const row = page.getByRole('row', { name: /orders-in/ });
      await row.waitFor();
      expect(await row.textContent()).toMatch(new RegExp(`${t.baseUrl}/webhooks/[\\w-]+`));
      await page.getByRole('status').filter({ hasText: 'shown only now' }).waitFor();

      await page.getByRole('tab', { name: 'Subscriptions' }).click();
      await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
      await page.getByRole('tab', { name: 'Deliveries' }).click();
      await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
      await shot('webhooks');
    }, 60_000);

    it('raised no uncaught errors in the page', () => {
      expect(pageErrors).toEqual([]);
    });
  },
);
