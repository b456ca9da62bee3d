import { PredictionLogWriter } from '@app/mle/prediction-log';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { AddressInfo, connect, Socket } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TestApp } from './test-app';
import { EXAMPLE_FEATURES as features } from './test-app';

const MiB = 1024 * 1024;

interface RawAnswer {
  statuses: number[];
  text: string;
  /** The server ended the connection (EOF or reset) before the test gave up waiting. */
  closed: boolean;
  error?: string;
}

/**
 * Opens a socket, writes `chunks` one after another (each write waits for the kernel to take the
 * previous one, like a client that sends the whole body before reading), then reads until the
 * server closes or `idleMs` pass without data.
 */
function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  idleMs = 1_000,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text, closed, error });
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    };
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      finish(true);
    });
    socket.on('end', () => finish(true));
    const writeAll = async () => {
      try {
        for (const chunk of chunks) {
          await new Promise<void>((done, fail) =>
            socket.write(chunk, (e) => (e ? fail(e) : done())),
          );
        }
      } catch (e) {
        error = (e as NodeJS.ErrnoException).code ?? 'write failed';
      }
      // Only now does the client look at what came back.
      socket.on('data', (data: Buffer) => {
        received.push(data);
        idle();
      });
      idle();
    };
    socket.on('connect', () => void writeAll());
  });
}

const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
  `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

async function loggedLines(test: TestApp): Promise<{ requestId: string }[]> {
  test.app.get(PredictionLogWriter).flush();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const files = (await readdir(test.logDir)).filter((f) => f.endsWith('.jsonl'));
  const text = (await Promise.all(files.map((f) => readFile(join(test.logDir, f), 'utf8')))).join(
    '',
  );
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { requestId: string });
}

function listen(test: TestApp): Promise<number> {
  return test.app
    .listen(0, '127.0.0.1')
    .then(() => (test.app.getHttpServer().address() as AddressInfo).port);
}

describe('Hostile clients (e2e)', () => {
  let test: TestApp;
  let port: number;

  beforeAll(async () => {
    test = await createTestApp({ BODY_LIMIT: String(MiB), MAX_BATCH: '1000' });
    port = await listen(test);
  });

  afterAll(async () => {
    await test.app.close();
  });

  describe('a body over BODY_LIMIT', () => {
    const body = Buffer.alloc(8 * MiB, 'a');

    it('should answer 413 problem+json to a client that writes all 8 MiB before reading', async () => {
      const answer = await rawExchange(port, [post(body), body]);
      expect(answer.error).toBeUndefined();
      expect(answer.statuses).toEqual([413]);
      expect(answer.text).toMatch(/content-type: application\/problem\+json/i);
      expect(answer.text).toMatch(/BODY_LIMIT/);
    });

    it('should answer 413 to Python urllib posting 8 MiB', async () => {
      const script = [
        'import sys, urllib.request, urllib.error',
        `req = urllib.request.Request('http://127.0.0.1:${port}/predict', data=b'a' * (8 * 1024 * 1024), headers={'Content-Type': 'application/json'})`,
        'try:',
        '    urllib.request.urlopen(req, timeout=20)',
        '    print("200")',
        'except urllib.error.HTTPError as e:',
        '    print(e.code, e.headers.get_content_type())',
        'except Exception as e:',
        '    print("failed", type(e).__name__, e)',
      ].join('\n');
      const output = await new Promise<string>((resolve) =>
        execFile('python3', ['-c', script], { timeout: 30_000 }, (error, stdout, stderr) =>
          resolve(`${stdout}${stderr}${error && !stdout ? error.message : ''}`),
        ),
      );
      expect(output.trim()).toBe('413 application/problem+json');
    });

    it('should keep answering on the connection after the refused body was read', async () => {
      const ok = JSON.stringify({ id: 7, features });
      const answer = await rawExchange(port, [
        post(body),
        body,
        post(ok, { 'X-Request-Id': 'after-413' }),
        ok,
      ]);
      expect(answer.statuses).toEqual([413, 200]);
      const logged = (await loggedLines(test)).filter((l) => l.requestId === 'after-413');
      expect(logged).toHaveLength(1);
    });

    it('should answer 413 and close when the body goes past the drain bound', async () => {
      const huge = Buffer.alloc(4 * MiB, 'a');
      // Announces 64 MiB, far past the default bound of 16 MiB, and reads while writing.
      const socket = connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((done) => socket.on('close', () => done()));
      socket.write(post('').replace('Content-Length: 0', `Content-Length: ${64 * MiB}`));
      for (let i = 0; i < 16 && !socket.destroyed; i++) {
        await new Promise<void>((done) => socket.write(huge, () => done()));
      }
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        closed.then(() => 'closed'),
        new Promise(
          (resolve) => (timer = setTimeout(() => resolve('still open after 5 s'), 5_000)),
        ),
      ]);
      clearTimeout(timer);
      socket.destroy();
      expect(outcome).toBe('closed');
      const text = Buffer.concat(received).toString('latin1');
      expect(text).toMatch(/^HTTP\/1\.1 413 /);
      expect(text).toMatch(/application\/problem\+json/);
    });
  });

  describe('pipelined requests', () => {
    it('should answer every request of one write when one is malformed, and log only answered ones', async () => {
      const valid = JSON.stringify({ id: 1, features });
      const malformed = '{"id": 1,';
      const requests = [valid, malformed, valid, valid, valid]
        .map((body, i) => post(body, { 'X-Request-Id': `pipeline-${i}` }) + body)
        .join('');

      const answer = await rawExchange(port, [requests]);

      expect(answer.statuses).toEqual([200, 400, 200, 200, 200]);
      const logged = (await loggedLines(test)).filter((l) => l.requestId.startsWith('pipeline-'));
      // answered = logged: every prediction that ran reached its client.
      expect(logged.map((l) => l.requestId).sort()).toEqual([
        'pipeline-0',
        'pipeline-2',
        'pipeline-3',
        'pipeline-4',
      ]);
    });
  });

  describe('validation problems', () => {
    it('should list the first 100 problems and count the rest', async () => {
      const instances = Array.from({ length: 150 }, (_, i) => ({
        id: i,
        features: { ...features, not_a_feature: 'fax', nor_this_one: 'mars' },
      }));
      const response = await request(test.app.getHttpServer())
        .post('/predict')
        .send({ instances })
        .expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toHaveLength(100);
      expect(response.body.errors[0].path).toMatch(/^instances\[0\]\.features\./);
      expect(response.body.omittedErrors).toBe(200);
      expect(response.body.detail).toMatch(/300 problems/);
    });
  });

  describe('Content-Encoding', () => {
    it.each([['gzip'], ['br'], ['deflate'], ['x-custom']])(
      'should answer 415 problem+json for %s',
      async (encoding) => {
        const response = await request(test.app.getHttpServer())
          .post('/predict')
          .set('content-type', 'application/json')
          .set('content-encoding', encoding)
          .send(JSON.stringify({ id: 1, features }))
          .expect(415);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body.detail).toMatch(/Content-Encoding/);
      },
    );

    it('should accept identity', async () => {
      await request(test.app.getHttpServer())
        .post('/predict')
        .set('content-type', 'application/json')
        .set('content-encoding', 'identity')
        .send(JSON.stringify({ id: 1, features }))
        .expect(200);
    });
  });
});

describe('Slow clients (e2e)', () => {
  let test: TestApp;
  let port: number;

  beforeAll(async () => {
    test = await createTestApp({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '500' });
    port = await listen(test);
  });

  afterAll(async () => {
    await test.app.close();
  });

  /** Sends `head`, then one byte of `dribble` every 200 ms, until the server closes. */
  async function dribble(head: string, rest: string): Promise<{ text: string; ms: number }> {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => undefined);
    let open = true;
    socket.on('close', () => (open = false));
    socket.write(head);
    for (let i = 0; i < rest.length && open && Date.now() - started < 6_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (open) socket.write(rest[i]);
    }
    while (open && Date.now() - started < 6_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    socket.destroy();
    return { text: Buffer.concat(received).toString('latin1'), ms: Date.now() - started };
  }

  it('should cut off a body dribbled byte by byte with 408 problem+json after REQUEST_TIMEOUT_MS', async () => {
    const body = JSON.stringify({ id: 1, features });
    const { text, ms } = await dribble(post(body), body);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toMatch(/content-type: application\/problem\+json/i);
    expect(text).toMatch(/REQUEST_TIMEOUT_MS/);
    // 1 s timeout, checked every 250 ms at most: cut off well before the 6 s the client would take.
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(ms).toBeLessThan(2_500);
  });

  it('should cut off headers dribbled byte by byte with 408 after HEADERS_TIMEOUT_MS', async () => {
    const { text, ms } = await dribble('POST /predict HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toMatch(/HEADERS_TIMEOUT_MS/);
    expect(ms).toBeLessThan(2_000);
  });

  it('should answer a malformed request line with 400 problem+json', async () => {
    const answer = await rawExchange(port, ['GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n']);
    expect(answer.statuses).toEqual([400]);
    expect(answer.text).toMatch(/application\/problem\+json/);
    expect(answer.closed).toBe(true);
  });
});
