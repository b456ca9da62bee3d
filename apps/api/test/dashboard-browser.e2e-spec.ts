import { Features } from '@app/mle';
import { LabelledTableReader } from '@app/mle/data';
import { Evaluation } from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import { ModelTrainer } from '@app/mle/training';
import { mkdir } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { CHROMIUM, IN_CI, itInBrowser, requireChromium } from './chromium';
import { appendPredictions, emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { createTestApp, DEFAULT_SCHEMA, modelName, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const STATUS = 'status-token-0123456789';
const DAY = 86_400_000;
const HOST = 'mle.test';
const inBrowser = itInBrowser('the dashboard browser test');

interface DailyPerformance {
  day: string;
  realized: unknown;
  estimated: unknown;
}

interface ModelStatus {
  view: string;
  model: string;
  recommendation: string;
  shadow: unknown;
  promotions: { at: string }[];
  latest: {
    estimation: { daily: DailyPerformance[]; unlabelledDays: { days: string[] } };
    drift: { features: unknown[] };
  };
}

/** What a page shows and what went wrong in it: console errors, page errors, CSP violations. */
interface Watched {
  page: Page;
  problems: string[];
  requests: string[];
}

// The drift demo, a model trained before the drift and served (promoted twice: the first
// version is then the shadow), three weeks of its real answers to post-drift rows whose labels
// are known, the last days' answers to rows still waiting for theirs, and an evaluation: RETRAIN.
describe('The dashboard in a browser (e2e)', () => {
  const database = `dashboard_${process.pid}`;
  const now = new Date();
  const driftFrom = new Date(now.getTime() - 90 * DAY);
  let dataSource: DataSource;
  let test: TestApp;
  let guarded: TestApp;
  let browser: Browser | undefined;
  let origin: string;
  let guardedOrigin: string;

  async function listen(app: TestApp): Promise<number> {
    await app.app.listen(0, '127.0.0.1');
    return (app.app.getHttpServer().address() as AddressInfo).port;
  }

  /** Trains a version on pre-drift rows and serves it by a reload, recorded as a promotion. */
  async function serveNewVersion(): Promise<void> {
    await test.app.get(ModelTrainer).train({ to: driftFrom, force: true });
    await request(test.app.getHttpServer())
      .post(`/models/${modelName()}/reload`)
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
  }

  /** The served model's answers to stored rows, logged at the given times. */
  async function logAnswers(rows: { id: string; features: Features }[], at: (i: number) => Date) {
    const served = test.app.get(ModelRegistry).first.current!;
    const answers = served.model.predict(rows.map((row) => row.features));
    await appendPredictions(
      test.logDir,
      served.manifest.version,
      rows.map((row, i) => ({
        inputId: row.id,
        features: row.features,
        prediction: answers[i].prediction,
        probability: answers[i].probability,
        ts: at(i),
      })),
    );
  }

  beforeAll(async () => {
    const url = await scratchDatabaseWithDemo(database, { rows: 20_000, now, driftFrom });
    dataSource = await openTestDataSource(url);
    const env = {
      DATABASE_URL: url,
      MODEL_DIR: await emptyDir('mle-dashboard-models-'),
      LOG_DIR: await emptyDir('mle-dashboard-logs-'),
    };
    test = await createTestApp(env);
    await serveNewVersion();
    await serveNewVersion();
    const data = test.app.get(ModelRegistry).first.data!;
    const labelled = await new LabelledTableReader(dataSource, data, 600).page({
      from: new Date(driftFrom.getTime() + DAY),
      to: new Date(now.getTime() - 31 * DAY),
      labelledOnly: true,
    });
    await logAnswers(
      labelled.rows,
      (i) => new Date(now.getTime() - (4 + (i % 17)) * DAY - 3_600_000),
    );
    const recent = await new LabelledTableReader(dataSource, data, 400).page({
      from: new Date(now.getTime() - 10 * DAY),
      to: now,
      labelledOnly: false,
    });
    const waiting = recent.rows.filter((row) => row.label === null).slice(0, 160);
    expect(waiting.length).toBeGreaterThan(100);
    await logAnswers(waiting, (i) => new Date(now.getTime() - (i % 4) * DAY));
    const evaluation = (
      await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(200)
    ).body as Evaluation;
    expect(evaluation.recommendation).toBe('RETRAIN');

    origin = `http://${HOST}:${await listen(test)}`;
    guarded = await createTestApp({ ...env, RETRAINING_STATUS_TOKEN: STATUS });
    guardedOrigin = `http://${HOST}:${await listen(guarded)}`;
    if (CHROMIUM || IN_CI) {
      browser = await chromium.launch({
        executablePath: requireChromium(),
        // Chromium treats localhost as a secure origin: another name shows what a user sees.
        args: ['--no-sandbox', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
      });
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await guarded?.app.close();
    await test?.app.close();
    await dataSource?.destroy();
    await dropScratchDatabase(database);
  });

  /** A page of a fresh context that records every problem and request. */
  async function watchedPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Watched> {
    const context = await browser!.newContext(options);
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (r) => requests.push(r.url()));
    // The page's own code never sees this (no DOM types here: it is a string).
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => " +
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    return { page, problems, requests };
  }

  async function openDashboard(watched: Watched, at: string): Promise<void> {
    const response = await watched.page.goto(`${at}/dashboard`);
    expect(response?.status()).toBe(200);
    await watched.page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
  }

  const attribute = (page: Page, selector: string, name: string) =>
    page.locator(selector).first().getAttribute(name);

  inBrowser(
    'should draw every chart from the data it fetched, with nothing loaded from elsewhere',
    async () => {
      const data = (await request(test.app.getHttpServer()).get('/dashboard/data').expect(200))
        .body as { models: ModelStatus[] };
      const watched = await watchedPage({ viewport: { width: 1280, height: 900 } });

      await openDashboard(watched, origin);

      const { page } = watched;
      const status = data.models[0];
      expect(status.recommendation).toBe('RETRAIN');
      const section = `section[data-model="${status.model}"]`;
      const { daily, unlabelledDays } = status.latest.estimation;
      expect(daily.length).toBeGreaterThanOrEqual(20);
      const accuracy = `${section} [data-chart="accuracy"]`;
      expect(await attribute(page, accuracy, 'data-points')).toBe(String(daily.length));
      expect(await attribute(page, accuracy, 'data-realized')).toBe(
        String(daily.filter((d) => d.realized).length),
      );
      expect(unlabelledDays.days.length).toBeGreaterThanOrEqual(3);
      expect(await attribute(page, accuracy, 'data-estimated')).toBe(
        String(daily.filter((d) => unlabelledDays.days.includes(d.day) && d.estimated).length),
      );
      // Both promotions happened today, the last day shown.
      expect(status.promotions).toHaveLength(2);
      expect(await attribute(page, accuracy, 'data-markers')).toBe('2');
      expect(await page.locator(`${accuracy} canvas`).count()).toBe(1);
      const coverage = `${section} [data-chart="coverage"]`;
      expect(await attribute(page, coverage, 'data-points')).toBe(String(daily.length));
      expect(await page.locator(`${coverage} canvas`).count()).toBe(1);
      const psi = `${section} [data-chart="psi"]`;
      expect(status.latest.drift.features).toHaveLength(DEFAULT_SCHEMA.length);
      expect(await attribute(page, psi, 'data-bars')).toBe(String(DEFAULT_SCHEMA.length));
      expect(await page.locator(`${psi} li`).count()).toBe(DEFAULT_SCHEMA.length);
      const recommendation = page.locator(`${section} [data-recommendation]`);
      expect(await recommendation.getAttribute('data-recommendation')).toBe('RETRAIN');
      expect(await recommendation.textContent()).toBe('RETRAIN');
      expect(status.shadow).not.toBeNull();
      expect(await attribute(page, `${section} [data-shadow]`, 'data-shadow')).toBe('yes');
      expect(await page.locator('#updated').textContent()).toMatch(/^updated at \d{4}-\d\d-\d\d/);
      expect(await page.locator('#view').textContent()).toMatch(/public view/);
      expect(watched.problems).toEqual([]);
      expect(watched.requests.length).toBeGreaterThanOrEqual(6);
      expect(watched.requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);

      const screenshot = process.env.DASHBOARD_SCREENSHOT;
      if (screenshot) {
        const file = resolve(screenshot);
        await mkdir(dirname(file), { recursive: true });
        await page.screenshot({ path: file, fullPage: true });
      }
      await page.context().close();
    },
  );

  inBrowser(
    'should fit a phone: no sideways scrolling at 390 px, the charts as wide as their panels',
    async () => {
      const watched = await watchedPage({ viewport: { width: 390, height: 844 }, isMobile: true });

      await openDashboard(watched, origin);

      const { page } = watched;
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      const widths = await page.evaluate<{ chart: number; panel: number }[]>(
        `[...document.querySelectorAll('[data-chart="accuracy"]')].map((chart) => ({
        chart: chart.querySelector('canvas').getBoundingClientRect().width,
        panel: chart.getBoundingClientRect().width,
      }))`,
      );
      expect(widths.length).toBeGreaterThan(0);
      for (const { chart, panel } of widths) {
        expect(chart).toBeLessThanOrEqual(panel);
        expect(chart).toBeGreaterThan(panel - 40);
      }
      expect(watched.problems).toEqual([]);
      await page.context().close();
    },
  );

  inBrowser(
    'should ask for the status token and, given it as a Basic password, show the full view',
    async () => {
      const refused = await request(guarded.app.getHttpServer()).get('/dashboard').expect(401);
      expect(refused.headers['www-authenticate']).toBe(
        'Basic realm="mle-service dashboard", charset="UTF-8"',
      );
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      // A browser with no credentials to answer the challenge with stops there.
      const withoutCredentials = await watchedPage();
      await expect(withoutCredentials.page.goto(`${guardedOrigin}/dashboard`)).rejects.toThrow(
        /ERR_INVALID_AUTH_CREDENTIALS/,
      );
      await withoutCredentials.page.context().close();

      const signedIn = await watchedPage({
        httpCredentials: { username: 'ops', password: STATUS },
      });
      await openDashboard(signedIn, guardedOrigin);

      expect(await signedIn.page.locator('#view').textContent()).toMatch(/full view/);
      expect(await attribute(signedIn.page, '[data-recommendation]', 'data-recommendation')).toBe(
        'RETRAIN',
      );
      expect(signedIn.problems).toEqual([]);
      await signedIn.page.context().close();
    },
  );
});
