import { spawn } from 'node:child_process';
import { chmod, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../../bench/free-port';
import { runCli, runService } from '../../../test/cli';
import { testDatabaseUrl } from '../../../test/test-database';

// Nothing listens there: a start-up that got as far as the database would fail on it instead.
const CLOSED_DATABASE = 'postgres://mle:unused-password@127.0.0.1:9/mle';

async function scratch(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Readable by the non-root user some tests run as.
  await chmod(dir, 0o755);
  return dir;
}

describe('Start-up (e2e)', () => {
  let base: string;
  let dirs: Record<string, string>;

  beforeAll(async () => {
    base = await scratch('mle-start-up-');
    dirs = { MODEL_DIR: join(base, 'models'), LOG_DIR: join(base, 'logs') };
  });

  describe('configuration errors', () => {
    const secrets = {
      password: 'S3cretPassw0rd',
      opsToken: 'short-secret-15',
      statusToken: 'status-secret',
      analystPassword: 'analyst-Pa55word',
      webhookPath: 'T0AB12/B0CD34/XyZwebhookSecret',
    };

    it('should name each bad variable and its reason and never print a secret when start-up fails', async () => {
      const result = await runService({
        ...dirs,
        DATABASE_URL: `postgres://u:${secrets.password}@host/db `,
        OPS_TOKEN: secrets.opsToken,
        RETRAINING_STATUS_TOKEN: secrets.statusToken,
        ANALYST_PASSWORD: `${secrets.analystPassword} `,
        RETRAINING_WEBHOOK_URL: `hooks.example.com/services/${secrets.webhookPath}`,
      });

      expect(result.code).toBe(1);
      const output = result.stdout + result.stderr;
      expect(output).toContain('mle-service could not start');
      expect(output).toContain('DATABASE_URL="postgres://u:***@host/db ": must be a postgres://');
      expect(output).toContain('OPS_TOKEN=(15 characters): must be at least 16 characters');
      expect(output).toContain(
        'RETRAINING_STATUS_TOKEN=(13 characters): must be at least 16 characters',
      );
      expect(output).toContain('ANALYST_PASSWORD=(17 characters): must not begin or end with');
      expect(output).toMatch(/RETRAINING_WEBHOOK_URL="hooks\.example\.com…" \(\d+ characters\)/);
      for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    });

    it('should hide the password of a database URL when the command-line tools fail on it', async () => {
      const result = await runCli('train', [], {
        ...dirs,
        DATABASE_URL: `postgresql://u:${secrets.password}@ho st/db`,
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DATABASE_URL="postgresql://u:***@ho st/db"');
      expect(result.stdout + result.stderr).not.toContain(secrets.password);
    });
  });

  describe('PREDICTION_RETENTION_DAYS', () => {
    it('should refuse to start, naming the variable and its minimum, when the retention is shorter than the evaluation window plus the label delay', async () => {
      const result = await runService({
        ...dirs,
        DATABASE_URL: CLOSED_DATABASE,
        EVALUATION_WINDOW_DAYS: '45',
        PREDICTION_RETENTION_DAYS: '60',
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'mle-service could not start: Invalid environment configuration:\n  - PREDICTION_RETENTION_DAYS="60": must be at least 75 days: EVALUATION_WINDOW_DAYS (45) + LABEL_DELAY_DAYS (30)',
      );
    });
  });

  describe('MODEL_DIR and LOG_DIR', () => {
    it('should refuse to start, naming MODEL_DIR, when it is a file', async () => {
      const file = join(base, 'a-file');
      await writeFile(file, 'not a folder');

      const result = await runService({ ...dirs, MODEL_DIR: file, DATABASE_URL: CLOSED_DATABASE });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `mle-service could not start: Invalid environment configuration:\n  - MODEL_DIR="${file}": is a file, not a folder`,
      );
    });

    it('should refuse to start, naming LOG_DIR, when it cannot be created', async () => {
      const file = join(base, 'another-file');
      await writeFile(file, 'not a folder');

      const result = await runService({
        ...dirs,
        LOG_DIR: join(file, 'logs'),
        DATABASE_URL: CLOSED_DATABASE,
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/LOG_DIR=".*another-file\/logs": cannot be created \(ENOTDIR/);
    });

    it('should refuse to start, naming MODEL_DIR, when the service user cannot write it', async () => {
      // Root writes everywhere: as root the service runs as an ordinary user, on a folder root
      // owns; otherwise on a folder of ours without write permission.
      const asRoot = process.getuid?.() === 0;
      const readOnly = await scratch('mle-read-only-');
      if (!asRoot) await chmod(readOnly, 0o555);
      const logDir = await scratch('mle-user-logs-');
      await chmod(logDir, 0o777);

      const result = await runService(
        { ...dirs, MODEL_DIR: readOnly, LOG_DIR: logDir, DATABASE_URL: CLOSED_DATABASE },
        { asOtherUser: asRoot },
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`MODEL_DIR="${readOnly}": is not writable (EACCES`);
      expect(result.stderr).not.toContain('LOG_DIR=');
    });

    it('should create missing folders and start when they can be created', async () => {
      const fresh = { MODEL_DIR: join(base, 'new', 'models'), LOG_DIR: join(base, 'new', 'logs') };
      const port = await freePort();
      const child = spawn(process.execPath, [resolve('dist/apps/api/src/main.js')], {
        env: {
          ...process.env,
          ...fresh,
          NODE_ENV: 'test',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: testDatabaseUrl(),
          EVALUATION_CRON: 'off',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.on('exit', done));
      try {
        let live = false;
        for (let i = 0; i < 200 && !live && child.exitCode === null; i++) {
          live = await fetch(`http://127.0.0.1:${port}/health/live`).then(
            async (response) => (await response.text(), response.ok),
            () => false,
          );
          if (!live) await new Promise((done) => setTimeout(done, 50));
        }
        expect({ live, stderr }).toEqual({ live: true, stderr: '' });
        expect((await stat(fresh.MODEL_DIR)).isDirectory()).toBe(true);
        expect((await stat(fresh.LOG_DIR)).isDirectory()).toBe(true);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    });

    it('should stop train before it reads any row when MODEL_DIR is a file', async () => {
      const file = join(base, 'models-file');
      await writeFile(file, 'not a folder');

      const result = await runCli('train', [], {
        ...dirs,
        MODEL_DIR: file,
        DATABASE_URL: CLOSED_DATABASE,
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `train failed: Invalid environment configuration:\n  - MODEL_DIR="${file}": is a file, not a folder`,
      );
      expect(result.stderr + result.stdout).not.toContain('Reading labelled rows');
    });

    it('should stop evaluate, naming LOG_DIR, when it is a file', async () => {
      const file = join(base, 'logs-file');
      await writeFile(file, 'not a folder');

      const result = await runCli('evaluate', [], {
        ...dirs,
        LOG_DIR: file,
        DATABASE_URL: CLOSED_DATABASE,
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`LOG_DIR="${file}": is a file, not a folder`);
    });
  });
});
