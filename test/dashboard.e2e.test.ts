/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a whole platform:
 * sign in with the bootstrap key, see the overview, create a connection from the form generated from the
 * connector's schemas, see it listed, call a local upstream through it from the API tester (a raw call, a
 * connector action, a transform over the response), see the execution, watch the overview's counters,
 * call chart and connection status chart follow the live stream, subscribe a local receiver to webhooks
 * and replay a delivery, switch to Portuguese, and look at every page at a phone's width. A screenshot of
 * each page lands in test-results/dashboard/ (CI keeps it as an artifact).
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
import { type Receiver, startReceiver } from './fakes/webhook-receiver.js';
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
    /** When set, the upstream answers 503: the connection's test fails and its health goes unhealthy. */
    let upstreamDown = false;
    let receiver: Receiver;
    let context: BrowserContext;
    let page: Page;
    let userDataDir: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      ensureDashboardBuilt();
      upstream = createServer((request, response) => {
        upstreamAuth.push(request.headers.authorization);
        if (upstreamDown) response.statusCode = 503;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ greeting: 'hello from upstream', path: request.url }));
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      receiver = await startReceiver();
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
    }, 180_000);

    afterAll(async () => {
      await context?.close();
      await t?.close();
      await new Promise((resolve) => upstream?.close(resolve));
      await receiver?.close();
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    });

    const shot = (name: string) =>
      page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
    const admin = (method: string, url: string, body?: unknown) =>
      fetch(`${t.baseUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${t.adminKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const connectionId = async () => {
      const response = await admin('GET', '/api/integrations/connections?search=upstream-e2e');
      return ((await response.json()) as { items: { id: string }[] }).items[0].id;
    };

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
      await page.getByLabel('Category').selectOption('crm');
      await page.getByText('No connections match these filters.').waitFor();
      await page.getByLabel('Category').selectOption('');
      await row.waitFor();
      await shot('connections');

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

      // Edit keeps the stored credential unless asked to replace it.
      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      const edit = page.getByRole('dialog', { name: 'Edit upstream-e2e' });
      await edit.getByLabel('Description').fill('edited in the browser');
      await edit.getByRole('button', { name: 'Save changes' }).click();
      await edit.waitFor({ state: 'detached' });
      await page.getByText('edited in the browser').waitFor();
      await page.getByRole('button', { name: 'Send' }).click();
      await expect
        .poll(() => upstreamAuth.filter((value) => value === 'Bearer tok_browser_secret').length)
        .toBeGreaterThanOrEqual(2);
    }, 90_000);

    it('calls the connection from the API tester: a raw call, a connector action and a transform of the response', async () => {
      await nav('API tester').click();
      await page.getByRole('heading', { name: 'API tester', level: 1 }).waitFor();
      await page.getByLabel('Connection').selectOption({ label: 'upstream-e2e (rest)' });
      expect(new URL(page.url()).searchParams.get('connectionId')).toMatch(/^[0-9a-f-]{36}$/);

      // A raw call: status, timing, cache status (the gateway's X-Cache) and the upstream's body.
      await page.getByLabel('Path').fill('/from-tester');
      await page.getByRole('button', { name: 'Send' }).click();
      const result = page.getByTestId('call-result');
      await result.waitFor();
      const text = await result.textContent();
      expect(text).toContain('HTTP 200');
      expect(text).toMatch(/Cache: (MISS|BYPASS)/);
      expect(text).toContain('x-cache');
      expect(text).toContain('/from-tester');
      expect(text).toMatch(/round trip \d/);

      // A connector action, its input form generated from the action's input schema.
      await page.getByRole('radio', { name: 'Connector action' }).check();
      const form = page.getByRole('form', { name: 'Run an action' });
      await form.getByLabel('Action').selectOption('get');
      await form.locator('#action-input-path').fill('/from-action');
      await form.getByRole('button', { name: 'Run action' }).click();
      await expect.poll(() => result.textContent()).toContain('/from-action');
      expect(await result.textContent()).toContain('hello from upstream');

      // A pipeline tried on the response body, nothing saved.
      await result.getByText('Transform this response').click();
      await page
        .getByLabel('Pipeline steps (JSON list)')
        .fill('[{ "type": "map", "expression": "{ \\"said\\": $uppercase(data.greeting) }" }]');
      await page.getByRole('button', { name: 'Run on the response' }).click();
      const output = page.getByTestId('transform-output');
      await output.waitFor();
      expect(await output.textContent()).toContain('HELLO FROM UPSTREAM');
      await shot('tester');
    }, 60_000);

    it('shows the call in the execution log, with its redacted detail', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Executions' }).click();
      await page.getByRole('heading', { name: 'Executions', level: 1 }).waitFor();
      // Execution records are written in batches: refresh until the call is there.
      const row = page.getByRole('row', { name: /\/hello/ });
      await expect
        .poll(
          async () => {
            if ((await row.count()) > 0) return true;
            await page.getByRole('button', { name: 'Refresh' }).click();
            return false;
          },
          { timeout: 15_000, interval: 500 },
        )
        .toBe(true);
      expect(await row.first().textContent()).toContain('upstream-e2e');
      await shot('executions');

      // Export what is loaded, as CSV (formula-safe, quoted) and as JSON.
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      expect(csv.suggestedFilename()).toMatch(/^executions-[\dT-]+\.csv$/);
      const lines = fs.readFileSync(await csv.path(), 'utf8').split('\r\n');
      expect(lines[0]).toBe(
        'id,startedAt,connectionName,connectionId,executionType,method,url,status,responseStatus,executionTime,retryCount,cached,bytesTransferred,errorCode,errorMessage',
      );
      expect(lines.some((line) => line.includes('/hello') && line.includes('"upstream-e2e"'))).toBe(true);
      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export JSON' }).click(),
      ]);
      const exported = JSON.parse(fs.readFileSync(await json.path(), 'utf8')) as { url: string }[];
      expect(exported.length).toBe(lines.length - 1);
      expect(exported.some((item) => item.url.endsWith('/hello'))).toBe(true);
      await row
        .first()
        .getByRole('button', { name: /Open execution/ })
        .click();
      const drawer = page.getByRole('dialog', { name: 'Execution' });
      await drawer.getByTestId('execution-detail').waitFor();
      const text = await drawer.textContent();
      expect(text).toContain('hello from upstream');
      expect(text).not.toContain('tok_browser_secret');
      await shot('execution-detail');
      await page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'detached' });
    }, 60_000);

    it('streams executions live', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
      await page.getByRole('heading', { name: 'Live', level: 1 }).waitFor();
      await page
        .getByRole('status')
        .filter({ hasText: /^Live$/ })
        .waitFor();
      const connections = await fetch(`${t.baseUrl}/api/integrations/connections?search=upstream-e2e`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      const [connection] = ((await connections.json()) as { items: { id: string }[] }).items;
      const call = await fetch(`${t.baseUrl}/api/v1/connections/${connection.id}/execute`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'GET', endpoint: '/live-call' }),
      });
      expect(call.status).toBe(200);
      const event = page.locator('[data-event="execution"]').first();
      await event.waitFor();
      expect(await event.textContent()).toContain('HTTP 200');
      await shot('live');
    }, 60_000);

    it('counts the calls on the overview and updates its counters and charts without a reload', async () => {
      await nav('Overview').click();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await page
        .getByRole('status')
        .filter({ hasText: /^Live$/ })
        .waitFor();
      // Marks this document: a reload would lose it.
      await page.evaluate('window.__sameDocument = true');
      const calls = page.locator('[data-kpi="Calls"] .kpi-value');
      const count = async () => Number((await calls.textContent())?.replace(/[^0-9]/g, '') || '0');
      const charted = async () =>
        Number((await page.locator('[data-total-calls]').getAttribute('data-total-calls')) ?? '0');
      const health = (state: string) => page.locator(`[data-health="${state}"] .count`).textContent();
      await expect.poll(count, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      const before = await count();
      await expect
        .poll(() => page.locator('[data-kpi="Connections"] .kpi-value').textContent())
        .toBe('1 / 1');
      await page.locator('.chart canvas').waitFor();
      expect(await charted()).toBe(before);
      // The row's Test passed against the upstream: one healthy connection.
      await expect.poll(() => health('healthy')).toBe('1');
      await shot('overview-with-calls');

      const id = await connectionId();
      for (const endpoint of ['/more-1', '/more-2']) {
        await admin('POST', `/api/v1/connections/${id}/execute`, { method: 'GET', endpoint });
      }
      await expect.poll(count, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
      await expect.poll(charted, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
      expect(await page.getByRole('row', { name: /upstream-e2e/ }).count()).toBeGreaterThan(0);

      // The upstream goes down: a test marks the connection unhealthy and the status chart follows.
      upstreamDown = true;
      expect(
        ((await (await admin('POST', `/api/integrations/connections/${id}/test`)).json()) as { ok: boolean })
          .ok,
      ).toBe(false);
      await expect.poll(() => health('unhealthy'), { timeout: 20_000 }).toBe('1');
      expect(await health('healthy')).toBe('0');
      expect(
        await page.getByRole('img', { name: /connections by health/ }).getAttribute('aria-label'),
      ).toContain('unhealthy: 1');
      await shot('overview-unhealthy');
      upstreamDown = false;
      await admin('POST', `/api/integrations/connections/${id}/test`);
      await expect.poll(() => health('healthy'), { timeout: 20_000 }).toBe('1');
      expect(await page.evaluate('window.__sameDocument')).toBe(true);
    }, 90_000);

    it("shows a connection's metrics and its health history on its page", async () => {
      await nav('Connections').click();
      await page.getByRole('link', { name: 'upstream-e2e' }).click();
      await page.getByRole('heading', { name: 'upstream-e2e', level: 1 }).waitFor();
      const metrics = page.getByRole('region', { name: 'Calls through this connection' });
      await expect
        .poll(async () =>
          Number(
            (await metrics.locator('[data-kpi="Calls"] .kpi-value').textContent())?.replace(/[^0-9]/g, '') ||
              '0',
          ),
        )
        .toBeGreaterThanOrEqual(5);
      await metrics.locator('.chart canvas').waitFor();

      // A failed test made elsewhere reaches the open page live (health change → history reloaded),
      // and a test from the page is listed above it.
      upstreamDown = true;
      await admin('POST', `/api/integrations/connections/${await connectionId()}/test`);
      const history = page.getByTestId('health-history');
      await expect
        .poll(
          () =>
            history
              .locator('li')
              .first()
              .textContent()
              .catch(() => ''),
          { timeout: 20_000 },
        )
        .toMatch(/unhealthy/);
      upstreamDown = false;
      await page.getByRole('button', { name: 'Test connection' }).click();
      await expect
        .poll(
          () =>
            history
              .locator('li')
              .first()
              .textContent()
              .catch(() => ''),
          { timeout: 20_000 },
        )
        .toMatch(/^(?!.*unhealthy).*healthy/);
      expect(await history.locator('li').count()).toBeGreaterThanOrEqual(2);
      await shot('connection-detail-metrics');
    }, 60_000);

    it('runs a pipeline in the transform playground', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Transform' }).click();
      await page.getByRole('heading', { name: 'Transform playground', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Run pipeline' }).click();
      const output = page.getByTestId('transform-output');
      await output.waitFor();
      const text = await output.textContent();
      expect(text).toContain('ana@example.com');
      expect(text).toContain('25.5');
      await shot('transform');
      // A broken expression is reported, not thrown.
      await page
        .getByLabel('Pipeline steps (JSON list)')
        .fill('[{ "type": "map", "expression": "{ broken" }]');
      await page.getByRole('button', { name: 'Run pipeline' }).click();
      await page.getByRole('alert').first().waitFor();
    }, 60_000);

    it('creates an alert rule from the form and lists it', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();

      await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();

      await page.getByText('Nothing is firing').waitFor();

      await page.getByRole('button', { name: 'New alert rule' }).click();

      const form = page.getByRole('form', { name: 'New alert rule' });

      await form.getByLabel('Name').fill('upstream errors');

      await form.getByLabel('Watch').selectOption('error_rate');

      await form.getByLabel('Scope').selectOption('connection');

      await form.getByLabel('Connection').selectOption({ label: 'upstream-e2e' });

      await form.getByLabel('Threshold (%)').fill('10');

      await form.getByLabel('Channel').selectOption('webhook');

      await form.getByLabel('URL').fill('https://ops.example.com/alerts/secret-path');

      await form.getByRole('button', { name: 'Create rule' }).click();

      const row = page.getByRole('row', { name: /upstream errors/ });

      await row.waitFor();

      const text = await row.textContent();

      expect(text).toContain('Error rate');

      expect(text).toContain('10 %');

      await row.getByRole('button', { name: 'Disable' }).click();

      await row.getByRole('button', { name: 'Enable' }).waitFor();

      await shot('alerts');
    }, 60_000);

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

      await shot('webhooks');
    }, 60_000);

    it('subscribes a receiver, sends a test delivery and replays it with its attempts listed', async () => {
      await page.getByRole('tab', { name: 'Subscriptions' }).click();
      await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
      await page.getByRole('button', { name: 'New subscription' }).click();
      const form = page.getByRole('form', { name: 'New subscription' });
      await form.getByLabel('Name').fill('ops-receiver');
      await form.getByLabel('Target URL').fill(`${receiver.url}/hooks`);
      await form.getByRole('checkbox', { name: 'webhook.subscription_disabled' }).check();
      await form.getByText('Filter and payload template (optional)').click();
      await form.getByLabel('Filter (JSONata)').fill("data.reason != 'manual'");
      await form.getByRole('button', { name: 'Create subscription' }).click();
      await page.getByRole('status').filter({ hasText: 'shown only now' }).waitFor();
      const row = page.getByRole('row', { name: /ops-receiver/ });
      expect(await row.textContent()).toContain('filtered');
      await row.getByRole('button', { name: 'Send test' }).click();
      await expect.poll(() => receiver.on('/hooks').length, { timeout: 20_000 }).toBe(1);
      expect(JSON.parse(receiver.on('/hooks')[0].body).type).toBe('test.event');
      await shot('webhooks-subscriptions');

      await row.getByRole('button', { name: 'Deliveries' }).click();
      await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
      const replay = page.getByRole('button', { name: 'Replay delivery test.event' });
      await expect
        .poll(
          async () => {
            if ((await replay.count()) > 0) return true;
            await page.getByRole('button', { name: 'Refresh' }).click();
            return false;
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe(true);
      await replay.click();
      await expect.poll(() => receiver.on('/hooks').length, { timeout: 20_000 }).toBe(2);

      await page.getByRole('button', { name: 'Open delivery test.event' }).click();
      const drawer = page.getByRole('dialog', { name: 'Delivery' });
      await expect
        .poll(
          async () => {
            const attempts = await drawer.locator('ol.attempts li').count();
            if (attempts < 2) {
              await page.keyboard.press('Escape');
              await page.getByRole('button', { name: 'Open delivery test.event' }).click();
            }
            return attempts;
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe(2);
      await drawer.getByRole('button', { name: 'Replay delivery test.event' }).waitFor();
      await shot('webhooks-delivery');
      await page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'detached' });

      // Deleting asks first: declined, the subscription stays; confirmed, it goes.
      await page.getByRole('tab', { name: 'Subscriptions' }).click();
      await row.waitFor();
      const questions: string[] = [];
      page.once('dialog', (dialog) => {
        questions.push(dialog.message());
        void dialog.dismiss();
      });
      await row.getByRole('button', { name: 'Delete' }).click();
      await expect.poll(() => questions.length).toBe(1);
      expect(questions[0]).toContain('ops-receiver');
      await row.getByRole('button', { name: 'Disable' }).waitFor();
      page.once('dialog', (dialog) => void dialog.accept());
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.waitFor({ state: 'detached' });
    }, 90_000);

    it('switches to Brazilian Portuguese, formats in that locale and remembers the choice', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
      await page.getByLabel('Language').selectOption('pt-BR');
      await page.getByRole('heading', { name: 'Conexões', level: 1 }).waitFor();
      expect(await page.evaluate('document.documentElement.lang')).toBe('pt-BR');
      await page.getByRole('button', { name: 'Nova conexão' }).waitFor();
      await page.getByRole('columnheader', { name: 'Último teste' }).waitFor();
      await page.getByRole('button', { name: 'Testar upstream-e2e' }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Principal' });
      await nav.getByRole('link', { name: 'Visão geral' }).waitFor();
      await shot('connections-pt-BR');

      // The choice survives a reload (localStorage), and so does the page.
      await page.reload();
      await page.getByRole('heading', { name: 'Conexões', level: 1 }).waitFor();
      expect(await page.evaluate("localStorage.getItem('kryonix.locale')")).toBe('pt-BR');
      expect(await page.title()).toBe('Conexões · KRYONIX');

      await nav.getByRole('link', { name: 'Biblioteca de conectores' }).click();
      await page.getByRole('heading', { name: 'Biblioteca de conectores', level: 1 }).waitFor();
      await page.getByLabel('Buscar conectores').fill('nada-disso-existe');
      await page.getByText('Nenhum conector corresponde a esta busca.').waitFor();
      await shot('connectors-pt-BR');

      await nav.getByRole('link', { name: 'Alertas' }).click();
      await page.getByRole('heading', { name: 'Alertas', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Nova regra de alerta' }).waitFor();
      await page.getByRole('columnheader', { name: 'Condição' }).waitFor();
      await shot('alerts-pt-BR');

      await nav.getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('tab', { name: 'Endpoints de entrada' }).waitFor();
      await page.getByRole('button', { name: 'Novo endpoint' }).waitFor();
      await shot('webhooks-pt-BR');

      await nav.getByRole('link', { name: 'Testador de API' }).click();
      await page.getByRole('heading', { name: 'Testador de API', level: 1 }).waitFor();
      await page.getByLabel('Conexão').selectOption({ label: 'upstream-e2e (rest)' });
      await page.getByRole('radio', { name: 'Ação do conector' }).waitFor();
      await page.getByRole('button', { name: 'Enviar' }).waitFor();
      await shot('tester-pt-BR');

      await nav.getByRole('link', { name: 'Execuções' }).click();
      await page.getByRole('heading', { name: 'Execuções', level: 1 }).waitFor();
      await page.getByRole('columnheader', { name: 'Quando' }).waitFor();
      await shot('executions-pt-BR');

      await nav.getByRole('link', { name: 'Visão geral' }).click();
      await page.getByRole('heading', { name: 'Visão geral', level: 1 }).waitFor();
      await expect
        .poll(() => page.locator('[data-kpi="Connections"] .kpi-value').textContent())
        .toBe('1 / 1');
      await page.locator('.chart canvas').waitFor();
      await page.getByRole('heading', { name: 'Status das conexões' }).waitFor();
      await page.getByRole('img', { name: /conexões por saúde: saudável: 1/ }).waitFor();
      // Numbers are formatted with Intl in pt-BR (a comma before decimals, a dot between thousands).
      const formatted = await page.evaluate(
        "new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 1 }).format(1234.5)",
      );
      expect(formatted).toBe('1.234,5');
      await shot('overview-pt-BR');

      await page.getByLabel('Idioma').selectOption('en');
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      expect(await page.evaluate("localStorage.getItem('kryonix.locale')")).toBe('en');
    }, 60_000);

    it('works from the keyboard and at a phone width', async () => {
      // The skip link moves focus to the page's content.
      await page.goto(`${t.baseUrl}/connections`);
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'Skip to content' }).focus();
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement?.id')).toBe('main');
      // Tabs follow the arrow keys.
      await nav('Webhooks').click();
      await page.getByRole('tab', { name: 'Inbound endpoints' }).focus();
      await page.keyboard.press('ArrowRight');
      await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
      expect(await page.evaluate("document.activeElement?.getAttribute('role')")).toBe('tab');
      expect(await page.getByRole('tab', { name: 'Subscriptions' }).getAttribute('aria-selected')).toBe(
        'true',
      );

      await page.setViewportSize({ width: 390, height: 844 });
      try {
        const menu = page.getByRole('button', { name: 'Menu' });
        for (const [name, heading] of [
          ['Overview', 'Overview'],
          ['Connections', 'Connections'],
          ['API tester', 'API tester'],
          ['Executions', 'Executions'],
          ['Live', 'Live'],
          ['Webhooks', 'Webhooks'],
          ['Alerts', 'Alerts'],
          ['Transform', 'Transform playground'],
          ['Connector library', 'Connector library'],
        ]) {
          // The menu is folded away; it opens from the header's button and closes on navigation.
          expect(await nav(name).isVisible()).toBe(false);
          await menu.click();
          expect(await menu.getAttribute('aria-expanded')).toBe('true');
          await nav(name).click();
          await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
          // Nothing wider than the screen: wide tables scroll inside their own box.
          expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
          await shot(`phone-${name.toLowerCase().replace(/ /g, '-')}`);
        }
        await menu.click();
        await nav('Connections').click();
        await page.getByRole('link', { name: 'upstream-e2e' }).click();
        await page.getByRole('heading', { name: 'upstream-e2e', level: 1 }).waitFor();
        await page.locator('.chart canvas').first().waitFor();
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
        await shot('phone-connection-detail');
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    }, 90_000);

    it('gives a viewer key a read-only dashboard: the read views work, no mutating control is offered', async () => {
      const created = await fetch(`${t.baseUrl}/api/integrations/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'dashboard-viewer', role: 'viewer' }),
      });
      expect(created.status).toBe(201);
      const viewerKey = ((await created.json()) as { key: string }).key;

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API key').fill(viewerKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await page.getByRole('note').filter({ hasText: 'viewer key' }).waitFor();
      await shot('viewer-overview');

      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'upstream-e2e' }).waitFor();
      expect(await page.getByRole('button', { name: 'New connection' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Test/ }).count()).toBe(0);
      await shot('viewer-connections');

      await page.getByRole('link', { name: 'upstream-e2e' }).click();
      await page.getByRole('heading', { name: 'upstream-e2e', level: 1 }).waitFor();
      await page.getByText('edited in the browser').waitFor();
      for (const name of ['Edit', 'Delete', 'Disable', 'Test connection', 'Send', 'Add endpoint']) {
        expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
      }
      await shot('viewer-connection-detail');

      await nav.getByRole('link', { name: 'Executions' }).click();
      await page.getByRole('heading', { name: 'Executions', level: 1 }).waitFor();
      await page
        .getByRole('row', { name: /\/hello/ })
        .first()
        .waitFor();
      await shot('viewer-executions');

      await nav.getByRole('link', { name: 'Alerts' }).click();
      await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
      const rule = page.getByRole('row', { name: /upstream errors/ });
      await rule.waitFor();
      expect(await page.getByRole('button', { name: 'New alert rule' }).count()).toBe(0);
      expect(await rule.getByRole('button').count()).toBe(0);
      await shot('viewer-alerts');

      await nav.getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      await page.getByRole('row', { name: /orders-in/ }).waitFor();
      expect(await page.getByRole('button', { name: 'New endpoint' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
      await shot('viewer-webhooks');

      await nav.getByRole('link', { name: 'API tester' }).click();
      await page.getByRole('heading', { name: 'API tester', level: 1 }).waitFor();
      await page.getByLabel('Connection').selectOption({ label: 'upstream-e2e (rest)' });
      await page.getByText('A viewer key cannot make calls').waitFor();
      expect(await page.getByRole('button', { name: 'Send' }).count()).toBe(0);
      await shot('viewer-tester');

      await nav.getByRole('link', { name: 'Connector library' }).click();
      await page.getByRole('heading', { name: 'Connector library', level: 1 }).waitFor();
      await shot('viewer-connectors');

      await nav.getByRole('link', { name: 'Transform' }).click();
      await page.getByRole('heading', { name: 'Transform playground', level: 1 }).waitFor();
      expect(await page.getByRole('button', { name: 'Run pipeline' }).isDisabled()).toBe(true);
      await shot('viewer-transform');
    }, 90_000);

    it('raised no uncaught errors in the page', () => {
      expect(pageErrors).toEqual([]);
    });
  },
);
