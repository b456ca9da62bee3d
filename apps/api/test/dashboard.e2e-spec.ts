import { ModelRegistry } from '@app/mle/registry';
import request from 'supertest';
import { DASHBOARD_SECURITY_HEADERS } from '../src/http/security-headers';
import { createTestApp, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const STATUS = 'status-token-0123456789';
const CHALLENGE = 'Basic realm="mle-service dashboard", charset="UTF-8"';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('The dashboard (e2e)', () => {
  const apps: TestApp[] = [];

  async function app(env: Record<string, string> = {}): Promise<TestApp> {
    const test = await createTestApp({ PREDICTION_LOG: 'off', ...env });
    apps.push(test);
    return test;
  }

  afterAll(async () => {
    await Promise.all(apps.map((test) => test.app.close()));
  });

  describe('when no status token is set', () => {
    let test: TestApp;
    const http = () => request(test.app.getHttpServer());

    beforeAll(async () => {
      test = await app();
    });

    it('should serve the page with the strict policy and no inline script', async () => {
      const response = await http().get('/dashboard').expect(200);

      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toBe(
        DASHBOARD_SECURITY_HEADERS['content-security-policy'],
      );
      expect(response.headers['cache-control']).toBe('no-store');
      const scripts = [...response.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src="dashboard\/assets\/[\w.]+\.js"/);
        expect(body.trim()).toBe('');
      }
      expect(response.text).not.toMatch(/\sstyle=|<style|https?:\/\//);
    });

    it('should answer the status of every served model, exactly as the status route does', async () => {
      const response = await http().get('/dashboard/data').expect(200);

      const body = response.body as { generatedAt: string; models: { model: string }[] };
      const names = test.app.get(ModelRegistry).models.map((m) => m.name);
      expect(body.models.map((m) => m.model)).toEqual(names);
      expect(Date.parse(body.generatedAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(response.headers['cache-control']).toBe('no-store');
      for (const model of body.models) {
        const status = await http().get(`/models/${model.model}/retraining/status`).expect(200);
        expect(model).toEqual(status.body);
        expect(model).toMatchObject({ view: 'public' });
      }
    });

    it('should give the full view to the ops token, as Basic password or bearer token', async () => {
      const viaBasic = await http()
        .get('/dashboard/data')
        .set('Authorization', basic('anyone', OPS));
      const viaBearer = await http().get('/dashboard/data').set('Authorization', `Bearer ${OPS}`);

      expect(viaBasic.status).toBe(200);
      expect(viaBasic.body.models[0].view).toBe('full');
      expect(viaBearer.body.models[0].view).toBe('full');
    });

    it('should refuse a wrong token rather than answer the public view', async () => {
      const response = await http()
        .get('/dashboard/data')
        .set('Authorization', basic('', 'another-token-0123456789'))
        .expect(401);

      expect(response.headers['www-authenticate']).toBe(CHALLENGE);
    });

    it('should serve uPlot and the page script and styles, revalidated by their entity tags', async () => {
      for (const [file, type] of [
        ['uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
        ['uPlot.min.css', 'text/css; charset=utf-8'],
        ['dashboard.js', 'text/javascript; charset=utf-8'],
        ['dashboard.css', 'text/css; charset=utf-8'],
      ]) {
        const response = await http().get(`/dashboard/assets/${file}`).expect(200);
        expect(response.headers['content-type']).toBe(type);
        expect(response.headers['content-security-policy']).toBe(
          DASHBOARD_SECURITY_HEADERS['content-security-policy'],
        );
        expect(Number(response.headers['content-length'])).toBeGreaterThan(500);
        const etag = response.headers['etag'];
        await http().get(`/dashboard/assets/${file}`).set('If-None-Match', etag).expect(304);
      }
      const uplot = await http().get('/dashboard/assets/uPlot.iife.min.js');
      expect(uplot.text).toContain('uPlot');
    });

    it('should answer 404 problem+json for a file the dashboard does not have', async () => {
      for (const path of ['/dashboard/assets/secrets.js', '/dashboard/assets/..%2Fpackage.json']) {
        const response = await http().get(path).expect(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('should list the page and its data in the OpenAPI document, not the assets', async () => {
      const doc = await http().get('/docs-json').expect(200);

      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/dashboard', '/dashboard/data']),
      );
      expect(Object.keys(doc.body.paths).filter((p) => p.includes('assets'))).toEqual([]);
      expect(doc.body.paths['/dashboard'].get.security).toContainEqual({});
    });
  });

  describe('when RETRAINING_STATUS_TOKEN is set', () => {
    let test: TestApp;
    const http = () => request(test.app.getHttpServer());

    beforeAll(async () => {
      test = await app({ RETRAINING_STATUS_TOKEN: STATUS });
    });

    it.each(['/dashboard', '/dashboard/data'])(
      'should challenge a request to %s without credentials with Basic and problem+json',
      async (path) => {
        const response = await http().get(path).expect(401);

        expect(response.headers['www-authenticate']).toBe(CHALLENGE);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({
          status: 401,
          type: 'urn:mle-service:problem:unauthorized',
          detail: expect.stringMatching(/RETRAINING_STATUS_TOKEN or OPS_TOKEN/),
        });
        expect(response.text).not.toContain(STATUS);
      },
    );

    it.each([
      ['a wrong Basic password', basic('ops', 'another-token-0123456789')],
      ['the token as the user name', basic(STATUS, '')],
      ['a wrong bearer token', 'Bearer another-token-0123456789'],
      ['base64 of no colon', `Basic ${Buffer.from(STATUS).toString('base64')}`],
      ['characters outside base64', 'Basic !!!!'],
      ['base64 of a bad length', 'Basic abc'],
      ['padding only', 'Basic ===='],
      [
        'bytes that are not UTF-8',
        `Basic ${Buffer.from([0x3a, 0xff, 0xfe, 0xfd]).toString('base64')}`,
      ],
      ['an empty Basic', 'Basic '],
      ['two credentials', `${basic('', STATUS)} ${basic('', STATUS)}`],
      ['another scheme', `Digest username="x", response="${STATUS}"`],
      ['a very long header', `Basic ${'QUFB'.repeat(2000)}`],
    ])('should answer 401, never 500, to %s', async (_, header) => {
      const response = await http().get('/dashboard/data').set('Authorization', header);

      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(CHALLENGE);
    });

    it.each([
      ['Basic with any user name', basic('anyone', STATUS)],
      ['Basic with an empty user name (curl -u :TOKEN)', basic('', STATUS)],
      ['Basic with the ops token', basic('ops', OPS)],
      ['a bearer token', `Bearer ${STATUS}`],
    ])('should answer the full view to %s', async (_, header) => {
      const page = await http().get('/dashboard').set('Authorization', header).expect(200);
      const data = await http().get('/dashboard/data').set('Authorization', header).expect(200);

      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(data.body.models.length).toBeGreaterThan(0);
      for (const model of data.body.models) expect(model.view).toBe('full');
    });

    it('should keep the status route on bearer tokens only', async () => {
      await request(test.app.getHttpServer())
        .get('/retraining/status')
        .set('Authorization', basic('', STATUS))
        .expect(401);
    });

    it('should serve the assets without credentials: they hold no data', async () => {
      await http().get('/dashboard/assets/dashboard.js').expect(200);
    });
  });
});
