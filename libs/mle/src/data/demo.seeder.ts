import { DataSource } from 'typeorm';
import { TrainingRow } from '../model.service';
import { CopyTableWriter } from './copy.table-writer';
import { DemoData, DemoOptions, DemoRowView } from './demo-data';

export interface DemoSummary {
  rows: number;
  labelled: number;
  /** Share of the labelled rows whose label is true. */
  positiveRate: number;
  from?: Date;
  to?: Date;
  seconds: number;
}

/** Passes rows through while summing up what they are. */
function* counted<Row>(
  rows: Iterable<Row>,
  describe: (row: Row) => DemoRowView,
  summary: DemoSummary & { positives: number },
  onProgress?: (rows: number) => void,
): Generator<Row> {
  for (const row of rows) {
    const { label, at } = describe(row);
    summary.rows += 1;
    summary.from ??= at;
    summary.to = at;
    if (label !== null) {
      summary.labelled += 1;
      if (label) summary.positives += 1;
    }
    if (summary.rows % 2_000 === 0) onProgress?.(summary.rows);
    yield row;
  }
}

/** Writes a plug-in's demo rows into its tables and says what it wrote. */
export async function seedDemoData(
  dataSource: DataSource,
  demo: DemoData,
  options: DemoOptions,
  onProgress?: (rows: number) => void,
): Promise<DemoSummary> {
  const started = performance.now();
  const summary = {
    rows: 0,
    labelled: 0,
    positives: 0,
    positiveRate: 0,
    seconds: 0,
  } as DemoSummary & {
    positives: number;
  };
  const rows = counted(demo.generate(options), (row) => demo.describe(row), summary, onProgress);
  await demo.write(rows, new CopyTableWriter(dataSource));
  onProgress?.(summary.rows);
  const { positives, ...result } = summary;
  return {
    ...result,
    positiveRate: summary.labelled ? positives / summary.labelled : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The labelled demo rows as training rows, in memory, with the ids they get in empty tables
 * (1, 2, … in generation order): for tests and benchmarks that fit a model without a database.
 */
export function demoTrainingRows(demo: DemoData, options: DemoOptions): TrainingRow[] {
  const out: TrainingRow[] = [];
  let id = 0;
  for (const row of demo.generate(options)) {
    id += 1;
    const { features, label, at } = demo.describe(row);
    if (label !== null) out.push({ id: String(id), features, label, at });
  }
  return out;
}
