import { ProgressReporter } from '@app/mle/cli/progress-reporter';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import {
  DEMO_SALES_COPY_COLUMNS,
  DemoSalesOptions,
  generateDemoSales,
  toCopyLine,
} from './demo-sales.generator';

export interface SeedSummary {
  rows: number;
  labelled: number;
  reorderedRate: number;
  from?: Date;
  to?: Date;
  seconds: number;
}

const CHUNK_ROWS = 2_000;

/**
 * Writes generated demo sales with COPY (one statement for any number of rows), streaming: the
 * rows are produced as PostgreSQL consumes them, so memory stays flat.
 */
export class DemoDataSeeder {
  constructor(private readonly dataSource: DataSource) {}

  async seed(options: DemoSalesOptions, progress?: ProgressReporter): Promise<SeedSummary> {
    const summary: SeedSummary = { rows: 0, labelled: 0, reorderedRate: 0, seconds: 0 };
    let reordered = 0;
    const started = performance.now();
    const rows = generateDemoSales(options);
    const lines = Readable.from(
      (function* () {
        let chunk = '';
        let inChunk = 0;
        for (const row of rows) {
          chunk += toCopyLine(row);
          summary.rows += 1;
          summary.from ??= row.soldAt;
          summary.to = row.soldAt;
          if (row.reordered !== null) {
            summary.labelled += 1;
            if (row.reordered) reordered += 1;
          }
          if (++inChunk === CHUNK_ROWS) {
            yield chunk;
            progress?.update(summary.rows);
            chunk = '';
            inChunk = 0;
          }
        }
        if (chunk) yield chunk;
      })(),
      { objectMode: false },
    );

    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      const copy = client.query(
        copyFrom(`COPY sales (${DEMO_SALES_COPY_COLUMNS.join(', ')}) FROM STDIN`),
      );
      await pipeline(lines, copy);
    } finally {
      await runner.release();
    }
    progress?.finish(summary.rows);
    summary.reorderedRate = summary.labelled ? reordered / summary.labelled : 0;
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  }
}
