import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from './test-app';
import { EXAMPLE_FEATURES as FEATURES, featureOfKind } from './test-app';

const CATEGORY = featureOfKind('category').name;

// A seeded generator: the same bodies every run, so a failure can be replayed.
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  'id',
  'features',
  'instances',
];
const NUMBERS = [
  '1e400',
  '-1e400',
  '1e308',
  '-0',
  '0.1e-400',
  '9007199254740993',
  '123456789012345678901234567890',
  'NaN',
  'Infinity',
];

function bodies(count: number): string[] {
  const random = mulberry32(20261126);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const value = (depth: number): string => {
    const r = random();
    if (depth > 3 || r < 0.3) {
      return pick([
        '1',
        '"x"',
        'true',
        'null',
        '[]',
        '{}',
        '"south"',
        '-5',
        '3.5',
        ...NUMBERS.filter((n) => !/[NI]/.test(n)),
        JSON.stringify('\u0000\ud83d\ude00'.repeat(1 + Math.floor(random() * 3))),
      ]);
    }
    if (r < 0.6)
      return `[${Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1)).join(',')}]`;
    const keys = Array.from({ length: Math.floor(random() * 5) }, () =>
      random() < 0.4 ? pick(HOSTILE_KEYS) : pick(Object.keys(FEATURES)),
    );
    return `{${keys.map((k) => `${JSON.stringify(k)}:${value(depth + 1)}`).join(',')}}`;
  };
  const mutatedFeatures = () => {
    const entries = Object.entries(FEATURES).map(([k, v]) => [k, JSON.stringify(v)]);
    const target = Math.floor(random() * entries.length);
    entries[target][1] = random() < 0.5 ? value(2) : pick(NUMBERS);
    if (random() < 0.3) entries.push([pick(HOSTILE_KEYS), value(2)]);
    if (random() < 0.2) entries.splice(Math.floor(random() * entries.length), 1);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  };
  const generators: (() => string)[] = [
    () => value(0),
    () => `{"id":${value(2)},"features":${mutatedFeatures()}}`,
    () =>
      `{"id":${pick(['1', '"a"', '-1', '1.5', 'null', '1e400', '[]', '"x".repeat'])},"features":${JSON.stringify(FEATURES)}}`,
    () =>
      `{"instances":[${Array.from({ length: 1 + Math.floor(random() * 4) }, () => `{"id":${Math.floor(random() * 100)},"features":${mutatedFeatures()}}`).join(',')}]}`,
    () => `{"instances":${value(1)}}`,
    () =>
      '['.repeat(2_000 + Math.floor(random() * 8_000)) + ']'.repeat(Math.floor(random() * 10_000)),
    () => `{"id":1,"features":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
    () => `{"__proto__":{"polluted":1},"id":1,"features":${JSON.stringify(FEATURES)}}`,
    () =>
      `{"constructor":{"prototype":{"polluted":1}},"id":1,"features":${JSON.stringify(FEATURES)}}`,
    () => `{"id":1,"features":{"__proto__":{"polluted":1},${JSON.stringify(FEATURES).slice(1)}}`,
    () => JSON.stringify({ id: 1, features: FEATURES }).slice(0, Math.floor(random() * 60)),
    () => `{"id":1,"features":${JSON.stringify({ ...FEATURES, [CATEGORY]: 'x'.repeat(50_000) })}}`,
  ];
  return Array.from({ length: count }, () => pick(generators)());
}

/** Posts a raw body and resolves with the status and content type (never rejects on 4xx/5xx). */
function post(port: number, body: string): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/predict',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('POST /predict under fuzzing (e2e)', () => {
  let test: TestApp;
  let port: number;

  beforeAll(async () => {
    test = await createTestApp({ BODY_LIMIT: String(256 * 1024), PREDICTION_LOG: 'off' });
    await test.app.listen(0, '127.0.0.1');
    port = (test.app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await test.app.close();
  });

  it('should answer thousands of random and hostile bodies without a 5xx, a crash or pollution', async () => {
    const all = bodies(3_000);
    const statuses = new Map<number, number>();
    // Ten at a time: concurrency like a real client, bounded so the run stays short.
    for (let i = 0; i < all.length; i += 10) {
      const answers = await Promise.all(all.slice(i, i + 10).map((body) => post(port, body)));
      answers.forEach(({ status, type }, j) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) throw new Error(`status ${status} for body ${all[i + j].slice(0, 300)}`);
        if (status !== 200) expect(type).toMatch(/^application\/problem\+json/);
      });
    }

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    // The fuzz reached both sides: some bodies were valid, most were refused.
    expect(statuses.get(200)).toBeGreaterThan(10);
    expect(statuses.get(400)).toBeGreaterThan(1_000);
    const healthy = await post(port, JSON.stringify({ id: 1, features: FEATURES }));
    expect(healthy.status).toBe(200);
  });
});
