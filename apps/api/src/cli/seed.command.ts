import { ProgressReporter } from '@app/mle/cli';
import { LabelledTableReader, seedDemoData } from '@app/mle/data';
import { parseArgs } from 'node:util';
import { modelNamed, runCommand, UsageError } from './command-runner';

const USAGE =
  'usage: npm run seed -- [--model NAME] [--rows 20000] [--seed 42] [--drift-from YYYY-MM-DD] [--shift-from YYYY-MM-DD] [--now YYYY-MM-DD] [--replace]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      rows: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '42' },
      'drift-from': { type: 'string' },
      'shift-from': { type: 'string' },
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
    model: values.model,
    rows,
    seed,
    driftFrom: date('--drift-from', values['drift-from']),
    shiftFrom: date('--shift-from', values['shift-from']),
    now: date('--now', values.now) ?? new Date(),
    replace: values.replace,
  };
}

// Writes a plug-in's demo rows (with the labels known so far) into its tables.
void runCommand('seed', async ({ dataSource, database, registry }) => {
  const options = parseOptions();
  const model = modelNamed(registry, options.model, USAGE);
  const { demo } = model.plugin;
  if (!demo || !model.data) {
    throw new UsageError(`${model.name} has no demo data to seed. ${USAGE}`);
  }
  const reader = new LabelledTableReader(dataSource, model.data);
  const count = await reader.count({ labelledOnly: false });
  if (count > 0 && !options.replace) {
    throw new UsageError(
      `the tables of ${model.name} already hold ${count.toLocaleString('en-US')} rows. ` +
        'Add --replace to delete them first.',
    );
  }
  process.stdout.write(`Database: ${database.description}\n`);
  if (count > 0) {
    const tables = [...new Set([model.data.rowsTable, model.data.labelsTable])];
    await dataSource.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
    process.stdout.write(`Deleted ${count.toLocaleString('en-US')} existing rows.\n`);
  }
  const progress = new ProgressReporter(`Seeding ${model.name}`, options.rows);
  const summary = await seedDemoData(dataSource, demo, options, (rows) => progress.update(rows));
  progress.finish(summary.rows);
  const day = (d?: Date) => d?.toISOString().slice(0, 10) ?? '-';
  process.stdout.write(
    [
      '',
      `Seeded ${summary.rows.toLocaleString('en-US')} rows of ${model.name} in ${summary.seconds.toFixed(1)} s`,
      `  between          ${day(summary.from)} and ${day(summary.to)}`,
      `  labelled         ${summary.labelled.toLocaleString('en-US')} (the most recent wait for their labels)`,
      `  label true       ${(100 * summary.positiveRate).toFixed(1)}% of labelled`,
      `  drift from       ${options.driftFrom ? day(options.driftFrom) : 'none'}`,
      `  shift from       ${options.shiftFrom ? day(options.shiftFrom) : 'none'}`,
      `  seed             ${options.seed}`,
      '',
    ].join('\n'),
  );
});
