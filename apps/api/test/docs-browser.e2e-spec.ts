import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itInBrowser, requireChromium } from './chromium';
import { createTestApp, TestApp } from './test-app';

/** The DOM of `url` once headless Chromium has run its scripts, with HOST mapped to 127.0.0.1. */
async function renderedDom(browser: string, url: string, host: string): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  try {
    return await new Promise((done, fail) => {
      execFile(
        browser,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${profile}`,
          `--host-resolver-rules=MAP ${host} 127.0.0.1`,
          '--dump-dom',
          '--virtual-time-budget=15000',
          url,
        ],
        { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
        (error, stdout, stderr) =>
          error ? fail(new Error(`chromium failed: ${error.message}\n${stderr}`)) : done(stdout),
      );
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

describe('The Swagger UI in a browser (e2e)', () => {
  let test: TestApp;
  let port: number;

  beforeAll(async () => {
    test = await createTestApp({ PREDICTION_LOG: 'off' });
    await test.app.listen(0, '127.0.0.1');
    port = (test.app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await test.app.close();
  });

  itInBrowser('the Swagger UI browser test')(
    'should render the operations over plain HTTP when opened by a host name other than localhost',
    async () => {
      const chromium = requireChromium();

      // Chromium treats localhost as a secure origin: only another name shows what a user sees.
      const dom = await renderedDom(chromium, `http://mle.test:${port}/docs`, 'mle.test');

      expect(dom).toContain('class="swagger-ui"');
      expect(dom).toMatch(/class="opblock-summary-method">POST<\/span>/);
      expect(dom).toContain('data-path="/predict"');
      expect(dom).toContain('data-path="/model/reload"');
    },
    90_000,
  );
});
