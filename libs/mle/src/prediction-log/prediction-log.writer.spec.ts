import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { MleMetrics } from '../metrics/mle-metrics';
import { PredictionLogWriter } from './prediction-log.writer';
import { PredictionRecord } from './prediction-record';

const record = (i: number): PredictionRecord => ({
  ts: new Date(Date.UTC(2026, 0, 1)).toISOString(),
  requestId: `r-${i}`,
  inputId: String(i),
  features: { score: i / 1000, colour: 'red', padding: 'x'.repeat(200) },
  prediction: i % 2 === 0,
  probability: 0.5,
  model: 'fake-model',
  modelVersion: 'v1',
  latencyMs: 0.1,
});

/** Lines on disk right now, read synchronously: nothing pending can land in between. */
function linesOnDisk(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('predictions-'))
    .flatMap((f) => {
      const raw = readFileSync(join(dir, f));
      return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n');
    })
    .filter(Boolean);
}

describe(PredictionLogWriter.name, () => {
  let dir: string;
  let metrics: MleMetrics;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mle-writer-'));
    metrics = new MleMetrics(new MetricsRegistry());
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should have every line on disk when close resolves, across rotations', async () => {
    const writer = new PredictionLogWriter(
      { enabled: true, dir, maxSize: '1m', retentionDays: 30 },
      metrics,
    );
    // ~60 MB in blocks of 1,000 lines: many rotations, and megabytes still in flight at close.
    for (let block = 0; block < 200; block++) {
      writer.write(Array.from({ length: 1_000 }, (_, i) => record(block * 1_000 + i)));
      writer.flush();
    }

    await writer.close();

    const lines = linesOnDisk(dir);
    expect(lines).toHaveLength(200_000);
    const ids = new Set(lines.map((line) => (JSON.parse(line) as PredictionRecord).requestId));
    expect(ids.size).toBe(200_000);
    expect(readdirSync(dir).filter((f) => f.endsWith('.gz')).length).toBeGreaterThan(10);
  });

  it('should write a file set of its own when the same process opens the log again', async () => {
    const options = { enabled: true, dir, maxSize: '1m', retentionDays: 30 };
    const first = new PredictionLogWriter(options, metrics);
    first.write([record(1)]);
    first.flush();
    await first.close();
    // Same host and pid, as after a restart in a container (pid 1).
    const second = new PredictionLogWriter(options, metrics);
    second.write([record(2)]);
    second.flush();
    await second.close();

    const files = readdirSync(dir).filter((f) => f.startsWith('predictions-'));
    expect(files).toHaveLength(2);
    expect(files.map((f) => readFileSync(join(dir, f), 'utf8').split('\n').length)).toEqual([2, 2]);
  });

  it('should write nothing when disabled', async () => {
    const writer = new PredictionLogWriter(
      { enabled: false, dir, maxSize: '1m', retentionDays: 30 },
      metrics,
    );
    writer.write([record(1)]);
    writer.flush();
    await writer.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});
