import { BinaryMetrics, ModelTrainer, TrainingOutcome } from '@app/mle';
import { ProgressReporter } from '@app/mle/cli/progress-reporter';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { CommandModule } from './command.module';
import { runCommand, UsageError } from './command-runner';

const USAGE = 'usage: npm run train -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--force]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const date = (flag: string, value?: string) => {
    if (value === undefined) return undefined;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) {
      throw new UsageError(`${flag} must be a date such as 2026-10-01. ${USAGE}`);
    }
    return parsed;
  };
  return { from: date('--from', values.from), to: date('--to', values.to), force: values.force };
}

function report(outcome: TrainingOutcome): string {
  const { candidate, current } = outcome;
  const t = candidate.training;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(8);
  const row = (label: string, pick: (m: BinaryMetrics) => string) =>
    `  ${label.padEnd(20)}${pick(t.holdout).padStart(12)}${current ? pick(current.holdout).padStart(14) : ''}`;
  const interval = (m: BinaryMetrics) =>
    `${(100 * m.accuracyInterval[0]).toFixed(1)}–${(100 * m.accuracyInterval[1]).toFixed(1)}%`;
  return [
    '',
    `Trained ${candidate.name} ${candidate.version} in ${t.seconds.toFixed(1)} s`,
    `  rows               ${t.rows.toLocaleString('en-US')} fitted, ${t.holdoutRows.toLocaleString('en-US')} held out`,
    `  sold between       ${t.from?.slice(0, 10) ?? '-'} and ${t.to?.slice(0, 10) ?? '-'}`,
    '',
    `  holdout metrics${' '.repeat(5)}${'candidate'.padStart(12)}${current ? `current`.padStart(14) : ''}`,
    current
      ? `  ${''.padEnd(20)}${''.padStart(12)}${current.version.slice(0, 13).padStart(14)}`
      : '',
    row('accuracy', (m) => pct(m.accuracy)),
    row('  95% interval', interval),
    row('precision', (m) => pct(m.precision)),
    row('recall', (m) => pct(m.recall)),
    row('F1', (m) => pct(m.f1)),
    row('majority class', (m) => pct(m.majorityClassAccuracy)),
    '',
    outcome.currentUnavailable
      ? `  current version unavailable: ${outcome.currentUnavailable}`
      : '',
    `${outcome.promoted ? 'Promoted' : 'Not promoted'}: ${outcome.reason}.`,
    outcome.promoted ? 'A running service picks it up with POST /model/reload (or a restart).' : '',
    outcome.pruned.length ? `Removed old versions: ${outcome.pruned.join(', ')}` : '',
    '',
  ]
    .filter((line, i, lines) => line !== '' || lines[i - 1] !== '')
    .join('\n');
}

void runCommand(
  'train',
  async () => {
    const options = parseOptions();
    const app = await NestFactory.createApplicationContext(CommandModule.forRoot(), {
      logger: ['error', 'warn'],
    });
    try {
      let progress: ProgressReporter | undefined;
      const outcome = await app.get(ModelTrainer).train({
        ...options,
        onProgress: (rows, total) => {
          progress ??= new ProgressReporter('Reading labelled sales', total);
          progress.update(rows);
          if (rows === total) progress.finish(rows);
        },
      });
      process.stdout.write(report(outcome));
    } finally {
      await app.close();
    }
  },
  { directories: { MODEL_DIR: 'write' } },
);
