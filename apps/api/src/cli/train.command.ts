import { BinaryMetrics } from '@app/mle/metrics';
import { ProgressReporter } from '@app/mle/cli';
import { ModelLifecycle } from '@app/mle/lifecycle';
import { ModelTrainer, NoTrainingDataError, TrainingOutcome } from '@app/mle/training';
import { parseArgs } from 'node:util';
import { modelNamed, runCommand, UsageError } from './command-runner';

const USAGE =
  'usage: npm run train -- [--model NAME] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--force]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
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
  return {
    model: values.model,
    from: date('--from', values.from),
    to: date('--to', values.to),
    force: values.force,
  };
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
    `  between            ${t.from?.slice(0, 10) ?? '-'} and ${t.to?.slice(0, 10) ?? '-'}`,
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
    `${outcome.promoted ? 'Promoted' : 'Not promoted'}: ${outcome.reason}${outcome.promoted ? '' : ' (add --force to promote it anyway)'}.`,
    outcome.promoted
      ? `It is the champion now: every running replica serves it within seconds.`
      : `Review it with GET /models/${candidate.name}/versions; POST /models/${candidate.name}/promote serves it.`,
    outcome.pruned.length ? `Removed old versions: ${outcome.pruned.join(', ')}` : '',
    '',
  ]
    .filter((line, i, lines) => line !== '' || lines[i - 1] !== '')
    .join('\n');
}

/** Why there was nothing to fit, and what to do about it. */
function noData(error: NoTrainingDataError): Error {
  const range = error.range.from || error.range.to ? ' in the range' : '';
  return new Error(
    error.rows === 0
      ? `${error.model} has no rows${range} to train on. Load your data into its tables, or seed demo data with \`npm run seed -- --model ${error.model}\`${range ? ', or widen --from/--to' : ''}.`
      : `only ${error.labelled} of the ${error.rows} rows of ${error.model}${range} are labelled: too few to fit and evaluate. Widen --from/--to, or wait for the labels to arrive.`,
  );
}

void runCommand(
  'train',
  async ({ app, registry }) => {
    const options = parseOptions();
    const model = modelNamed(registry, options.model, USAGE);
    let progress: ProgressReporter | undefined;
    const outcome = await app
      .get(ModelTrainer)
      .train({
        ...options,
        model: model.name,
        onProgress: (rows, total) => {
          progress ??= new ProgressReporter(`Reading labelled rows of ${model.name}`, total);
          progress.update(rows);
          if (rows === total) progress.finish(rows);
        },
      })
      .catch((error: unknown) => {
        throw error instanceof NoTrainingDataError ? noData(error) : error;
      });
    if (outcome.promoted) {
      await app.get(ModelLifecycle).recordServed(model.name, outcome.candidate.version, {
        actor: 'npm run train',
        reason: outcome.reason,
      });
    }
    process.stdout.write(report(outcome));
  },
  { directories: { MODEL_DIR: 'write' } },
);
