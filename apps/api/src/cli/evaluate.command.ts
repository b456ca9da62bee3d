import { LifecycleAction } from '@app/mle/lifecycle';
import {
  Evaluation,
  PartitionMaintenance,
  RetrainingMonitor,
  VersionEvaluation,
} from '@app/mle/monitoring';
import { runCommand } from './command-runner';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function versionRow(v: VersionEvaluation, current: boolean): string {
  const m = v.metrics;
  return [
    `  ${(current ? '* ' : '  ') + v.version}`.padEnd(32),
    String(v.labelled).padStart(9),
    pct(v.labelCoverage).padStart(9),
    (v.labelled ? pct(m.accuracy) : '-').padStart(9),
    (v.labelled ? `${pct(m.accuracyInterval[0])}–${pct(m.accuracyInterval[1])}` : '-').padStart(14),
    (v.labelled ? pct(m.precision) : '-').padStart(11),
    (v.labelled ? pct(m.recall) : '-').padStart(8),
    (v.labelled ? pct(m.f1) : '-').padStart(8),
    (v.labelled ? pct(m.majorityClassAccuracy) : '-').padStart(9),
  ].join('');
}

function report(e: Evaluation): string {
  const current = e.metrics.versions.find((v) => v.version === e.modelVersion);
  const c = current?.metrics.confusion;
  const lines = [
    '',
    `${e.model}: ${e.recommendation}`,
    ...e.reasons.map((r) => `  - ${r}`),
    '',
    `Window ${e.window.from.slice(0, 16)} → ${e.window.to.slice(0, 16)} UTC, threshold ${pct(e.threshold)}, minimum ${e.minLabelled} labels`,
    `Evaluated in ${e.timings.evaluateSeconds.toFixed(2)} s`,
    '',
    `  ${'version (* = current)'.padEnd(30)}${'labelled'.padStart(9)}${'coverage'.padStart(9)}${'accuracy'.padStart(9)}${'95% CI'.padStart(14)}${'precision'.padStart(11)}${'recall'.padStart(8)}${'F1'.padStart(8)}${'majority'.padStart(9)}`,
    ...e.metrics.versions.map((v) => versionRow(v, v.version === e.modelVersion)),
  ];
  if (c) {
    lines.push(
      '',
      '  confusion (current)      actual true   actual false',
      `  predicted true      ${String(c.truePositive).padStart(14)}${String(c.falsePositive).padStart(15)}`,
      `  predicted false     ${String(c.falseNegative).padStart(14)}${String(c.trueNegative).padStart(15)}`,
    );
  }
  lines.push(
    '',
    `Drift (PSI against the training reference): ${e.drift.status}${e.drift.note ? ` — ${e.drift.note}` : ''}`,
  );
  for (const f of e.drift.features) {
    lines.push(`  ${f.feature.padEnd(24)}${f.psi.toFixed(3).padStart(8)}  ${f.level}`);
  }
  lines.push(
    '',
    e.recommendation === 'RETRAIN'
      ? `Next: npm run train -- --model ${e.model} --from <a date after the change>, then POST /models/${e.model}/reload.`
      : `Stored as evaluation ${e.id}; GET /models/${e.model}/retraining/status shows it.`,
    '',
  );
  return lines.join('\n');
}

/** What the run did before any model was evaluated (shared by all of them). */
function runSummary(e: Evaluation): string {
  return [
    '',
    `Ingested ${e.ingestion.inserted.toLocaleString('en-US')} new predictions from ${e.ingestion.filesRead} of ${e.ingestion.files} files` +
      ` (${e.ingestion.duplicates} duplicates, ${e.ingestion.skipped} malformed lines skipped) in ${e.ingestion.seconds.toFixed(1)} s`,
    `Counted ${e.outcomes.predictions.toLocaleString('en-US')} new predictions and ${e.outcomes.labelsChanged.toLocaleString('en-US')} changed labels in ${e.timings.updateSeconds.toFixed(1)} s`,
    '',
  ].join('\n');
}

/** One line on what the run did to the partitions of `predictions`. */
function describePartitions(p: PartitionMaintenance): string {
  const moved = p.created.reduce((sum, c) => sum + c.moved, 0);
  const created = `created ${p.created.length}${moved > 0 ? ` (${moved.toLocaleString('en-US')} rows moved from the default partition)` : ''}`;
  const errors = p.errors.length > 0 ? `; not done: ${p.errors.join('; ')}` : '';
  return `Partitions of predictions: ${created}, dropped ${p.dropped.length} past ${p.retentionDays} days, in ${p.seconds.toFixed(2)} s${errors}.\n`;
}

void runCommand(
  'evaluate',
  async ({ app }) => {
    let files = 0;
    let lines = 0;
    const tty = process.stderr.isTTY;
    const started = performance.now();
    const outcome = await app.get(RetrainingMonitor).run('manual', new Date(), (progress) => {
      files += 1;
      lines += progress.lines;
      if (tty)
        process.stderr.write(
          `\r\x1b[2KIngesting prediction logs: ${files} files, ${lines.toLocaleString('en-US')} lines`,
        );
    });
    if (tty) process.stderr.write('\n');
    switch (outcome.status) {
      case 'completed':
        if (outcome.evaluations.length === 0) {
          process.stdout.write('No served model says where its labels are: nothing to evaluate.\n');
          return;
        }
        process.stdout.write(runSummary(outcome.evaluations[0]));
        for (const evaluation of outcome.evaluations) process.stdout.write(report(evaluation));
        for (const line of outcome.actions.map(describeAction)) process.stdout.write(`${line}\n`);
        process.stdout.write(describePartitions(outcome.partitions));
        process.stdout.write(`Run took ${((performance.now() - started) / 1000).toFixed(2)} s.\n`);
        return;
      case 'skipped':
        throw new Error(
          'an evaluation is already running (here or in the service); try again when it has finished',
        );
      case 'failed':
        throw new Error(
          outcome.unrecorded
            ? `${outcome.error} (job run ${outcome.jobRunId}; the failure could not be recorded: ${outcome.unrecorded})`
            : `${outcome.error} (recorded as job run ${outcome.jobRunId})`,
        );
    }
  },
  { directories: { MODEL_DIR: 'read', LOG_DIR: 'read' } },
);

/** What RETRAINING_MODE did after the evaluation, in one line. */
function describeAction(action: LifecycleAction): string {
  switch (action.action) {
    case 'retrained': {
      const { outcome } = action;
      const verdict = outcome.promoted
        ? 'promoted: it is the champion now'
        : `in shadow: review it with GET /models/${outcome.model}/versions`;
      return `Trained challenger ${outcome.version} of ${outcome.model}: gate ${outcome.gate.passed ? 'passed' : 'failed'} (${outcome.gate.reasons.join('; ')}); ${verdict}.`;
    }
    case 'rolled-back':
      return `Rolled back ${action.promotion.model} to ${action.promotion.version}: ${action.promotion.reason}.`;
    case 'skipped':
      return `Nothing more for ${action.model}: ${action.reason}.`;
  }
}
