import { AddressInfo } from 'node:net';
import { freePort } from '../../../bench/free-port';
import { runCliTimed } from '../../../test/cli';
import { dropScratchDatabase } from '../../../test/test-database';
import { scratchDatabaseWithDemo } from './retraining-fixtures';
import { createTestApp, modelName, TestApp } from './test-app';

const DAY_MS = 86_400_000;

describe('npm run replay (e2e)', () => {
  const database = `replay_cli_${process.pid}`;
  let url: string;
  let range: string[];

  beforeAll(async () => {
    url = await scratchDatabaseWithDemo(database, { rows: 3_000, now: new Date() });
    const today = new Date();
    range = [
      '--from',
      new Date(today.getTime() - 400 * DAY_MS).toISOString().slice(0, 10),
      '--to',
      today.toISOString().slice(0, 10),
    ];
  });

  afterAll(async () => {
    await dropScratchDatabase(database);
  });

  describe('against a running service', () => {
    let test: TestApp;
    let base: string;

    beforeAll(async () => {
      test = await createTestApp({ DATABASE_URL: url, PREDICTION_LOG: 'off' });
      await test.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(test.app.getHttpServer().address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await test.app.close();
    });

    it('should exit within 5 s of its last output when every batch has been answered', async () => {
      // Ten batches of 100: while their bodies went unread, ten sockets kept the process alive.
      const result = await runCliTimed(
        'replay',
        [...range, '--limit', '1000', '--url', base],
        { DATABASE_URL: url },
        45_000,
      );

      expect(result.stderr).not.toContain('replay failed');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Sent 1,000 rows of ${modelName()}`);
      expect(result.exitAfterLastOutputMs).toBeLessThan(5_000);
      // Every sent row was predicted by the service: answered = sent.
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
      const predicted = [...metrics.matchAll(/^mle_predictions_total\{[^}]*\} (\d+)$/gm)].reduce(
        (sum, [, n]) => sum + Number(n),
        0,
      );
      expect(predicted).toBe(1_000);
    });
  });

  it('should name the URL and what to check when nothing listens there', async () => {
    const port = await freePort();

    const result = await runCliTimed('replay', [...range, '--limit', '10'], {
      DATABASE_URL: url,
      PORT: String(port),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `replay failed: Could not reach http://localhost:${port}/models/${modelName()}/predict: connection refused. Is the service running (npm start)? Set --url or PORT.`,
    );
    expect(result.exitAfterLastOutputMs).toBeLessThan(5_000);
  });
});
