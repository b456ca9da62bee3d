import { TrainingRow } from '@app/mle';
import { demoTrainingRows } from '@app/mle/data';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { median } from './median';

// npm run bench:model — the default model's fit time on 100,000 rows of its plug-in's demo data
// and its prediction throughput, in process.
const PLUGIN = SERVED_MODELS[0];
const FIT_ROWS = 100_000;
const RUNS = 5;

function labelledRows(n: number): TrainingRow[] {
  if (!PLUGIN.demo) throw new Error(`${PLUGIN.model.name} has no demo data to benchmark on`);
  const now = new Date(Date.UTC(2026, 10, 1));
  return demoTrainingRows(PLUGIN.demo, { rows: Math.ceil(n * 1.25), seed: 1, now }).slice(0, n);
}

async function main(): Promise<void> {
  process.stderr.write(`Generating ${FIT_ROWS.toLocaleString('en-US')} labelled rows…\n`);
  const rows = labelledRows(FIT_ROWS);
  const model = new PLUGIN.model();

  const fitSeconds: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const started = performance.now();
    await model.fit(rows);
    fitSeconds.push((performance.now() - started) / 1000);
    process.stderr.write(`  fit ${run}/${RUNS}: ${fitSeconds.at(-1)?.toFixed(2)} s\n`);
  }

  const inputs = rows.slice(0, 1_000).map((r) => r.features);
  const singleRates: number[] = [];
  const batchRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let started = performance.now();
    const calls = 200_000;
    for (let i = 0; i < calls; i++) model.predict([inputs[i % inputs.length]]);
    singleRates.push(calls / ((performance.now() - started) / 1000));

    started = performance.now();
    const batches = 200;
    for (let i = 0; i < batches; i++) model.predict(inputs);
    batchRates.push((batches * inputs.length) / ((performance.now() - started) / 1000));
  }

  const result = {
    rows: rows.length,
    model: model.name,
    fitSecondsMedian: Number(median(fitSeconds).toFixed(3)),
    singlePredictionsPerSecondMedian: Math.round(median(singleRates)),
    singlePredictionMicrosecondsMedian: Number((1e6 / median(singleRates)).toFixed(2)),
    batch1000PredictionsPerSecondMedian: Math.round(median(batchRates)),
    runs: RUNS,
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main();
