import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { createAppLogger } from './app-logger';

const SECRET = 'S3cretPassw0rd';
const OPS_TOKEN = 'ops-token-0123456789abcdef';

// The compiled logger in a process of its own, writing to its real stdout.
const SCRIPT = `
const { Logger } = require('@nestjs/common');
const { createAppLogger } = require(${JSON.stringify(resolve('dist/apps/api/src/logging/app-logger.js'))});
Logger.overrideLogger(createAppLogger(process.argv[1]));
const log = new Logger('Database');
log.log('connecting to postgres://mle:${SECRET}@db:5432/mle');
log.warn({ message: 'webhook failed', url: 'https://hook:${SECRET}@hooks.example.com/x' });
log.error('refused the token ${OPS_TOKEN}', new Error('at postgres://u:${SECRET}@db').stack);
`;

function logLines(nodeEnv: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['-e', SCRIPT, nodeEnv],
      { env: { ...process.env, OPS_TOKEN }, timeout: 30_000 },
      (error: Error | null, stdout, stderr) => (error ? fail(error) : done(stdout + stderr)),
    );
  });
}

describe(createAppLogger.name, () => {
  it.each(['production', 'development'])(
    'should mask URL passwords and secret settings in every %s log line',
    async (nodeEnv) => {
      const output = await logLines(nodeEnv);

      expect(output).toContain('postgres://mle:***@db:5432/mle');
      expect(output).toContain('https://hook:***@hooks.example.com/x');
      expect(output).toContain('refused the token ***');
      expect(output).toContain('postgres://u:***@db');
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(OPS_TOKEN);
    },
  );
});
