import { Injectable } from '@nestjs/common';
import { MleMetrics } from '../metrics/mle-metrics';
import { ModelRegistry } from '../registry/model.registry';
import {
  IngestionProgressListener,
  IngestionSummary,
  PredictionLogIngester,
} from './prediction-log.ingester';
import { TrainingReferences } from './training-references';

/**
 * Ingests this process's prediction-log folder, one run at a time in the process: the periodic
 * ingestion, the one at shutdown and an evaluation's take turns rather than read the same files
 * side by side (another process on the folder is kept apart by the checkpoints). The new lines
 * are counted by their version's training reference, and every run is measured in the metrics.
 */
@Injectable()
export class PredictionLogIngestion {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ingester: PredictionLogIngester,
    private readonly references: TrainingReferences,
    private readonly registry: ModelRegistry,
    private readonly metrics: MleMetrics,
  ) {}

  /**
   * Loads every new line under the log folder once the run before it has ended. `signal`: stop
   * between two reads (what was read is committed with its checkpoint, the rest waits).
   */
  run(
    options: { onProgress?: IngestionProgressListener; signal?: AbortSignal } = {},
  ): Promise<IngestionSummary> {
    const run = this.last.then(() => this.ingest(options));
    this.last = run.catch(() => undefined);
    return run;
  }

  private async ingest({
    onProgress,
    signal,
  }: {
    onProgress?: IngestionProgressListener;
    signal?: AbortSignal;
  }): Promise<IngestionSummary> {
    const timer = this.metrics.ingestionSeconds.startTimer();
    try {
      // Models whose plug-in says where labels are: the ones evaluated, so the ones counted.
      const monitored = this.registry.models.filter((m) => m.data).map((m) => m.name);
      const referenceOf = await this.references.lookup(monitored);
      const summary = await this.ingester.ingest(onProgress, referenceOf, { signal });
      this.metrics.ingestedLines.inc(summary.inserted);
      this.metrics.ingestionSkippedLines.inc(summary.skipped);
      return summary;
    } catch (error) {
      this.metrics.ingestionFailures.inc();
      throw error;
    } finally {
      timer();
    }
  }
}
