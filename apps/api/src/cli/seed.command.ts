import { ProgressReporter } from '@app/mle/cli/progress-reporter';
import { DemoDataSeeder } from '@app/sales/demo/demo-data.seeder';
import { parseArgs } from 'node:util';
import { runCommand, UsageError } from './command-runner';

const USAGE =
  'usage: npm run seed -- [--rows 20000] [--seed 42] [--drift-from YYYY-MM-DD] [--now YYYY-MM-DD] [--replace]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '42' },
      'drift-from': { type: 'string' },
      now: { type: 'string' },
      replace: { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const seed = Number(values.seed);
  if (!Number.isInteger(rows) || rows < 1)
    throw new UsageError(`--rows must be a positive integer. ${USAGE}`);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer. ${USAGE}`);
  const date = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime()))
      throw new UsageError(`${flag} must be a date such as 2026-10-01. ${USAGE}`);
    return parsed;
  };
  return {
    rows,
    seed,
    driftFrom: date('--drift-from', values['drift-from']),
    now: date('--now', values.now) ?? new Date(),
    replace: values.replace,
  };
}

void runCommand('seed', async ({ dataSource, database }) => {
  const options = parseOptions();
  const [{ count }] = await dataSource.query<{ count: number }[]>(
    `SELECT count(*)::int AS count FROM sales`,
  );
  if (count > 0 && !options.replace) {
    throw new UsageError(
      `the sales table already holds ${count.toLocaleString('en-US')} rows. ` +
        'Add --replace to delete them first.',
    );
  }
  process.stdout.write(`Database: ${database.description}\n`);
  if (count > 0) {
    await dataSource.query(`TRUNCATE sales RESTART IDENTITY`);
    process.stdout.write(`Deleted ${count.toLocaleString('en-US')} existing rows.\n`);
  }
  const summary = await new DemoDataSeeder(dataSource).seed(
    options,
    new ProgressReporter('Seeding sales', options.rows),
  );
  const day = (d?: Date) => d?.toISOString().slice(0, 10) ?? '-';
  process.stdout.write(
    [
      '',
      `Seeded ${summary.rows.toLocaleString('en-US')} sales in ${summary.seconds.toFixed(1)} s`,
      `  sold between     ${day(summary.from)} and ${day(summary.to)}`,
      `  labelled         ${summary.labelled.toLocaleString('en-US')} (the last 30 days wait for their labels)`,
      `  reordered rate   ${(100 * summary.reorderedRate).toFixed(1)}% of labelled`,
      `  drift from       ${options.driftFrom ? day(options.driftFrom) : 'none'}`,
      `  seed             ${options.seed}`,
      '',
    ].join('\n'),
  );
});
