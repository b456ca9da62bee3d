import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { PredictionLogWriter } from '../prediction-log/prediction-log.writer';
import { PredictionLogIngestion } from './prediction-log.ingestion';
import { PredictionLogIngester } from './prediction-log.ingester';

/** When no deadline is given (`finishBy`), the ingestion at shutdown gets this long. */
const DEFAULT_SHUTDOWN_BUDGET_MS = 20_000;

/**
 * Ingests this process's prediction-log folder every `ingestIntervalMs` (MonitoringOptions), so
 * that every replica loads its own lines and none needs another's folder:
 * - the first run starts at bootstrap, in the background (readiness does not wait for it);
 * - a tick while a run is going on is skipped, never queued;
 * - a failure (the database away) is logged once, counted in
 *   `mle_prediction_log_ingestion_failures_total`, and the next tick tries again from the
 *   checkpoints; its recovery is logged too;
 * - at shutdown, once the requests have drained, the prediction log is closed and its lines are
 *   ingested once more, until the deadline (`finishBy`); what is left then is logged, and the
 *   next process on the folder loads it at its first run.
 * Off (no interval): nothing runs, at start or at shutdown.
 */
@Injectable()
export class IngestionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PredictionLogIngestion');
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  /** Consecutive failed runs: the first is a warning, the recovery a note. */
  private failures = 0;
  private deadline: number | undefined;
  private stopped = false;

  constructor(
    private readonly ingestion: PredictionLogIngestion,
    private readonly ingester: PredictionLogIngester,
    private readonly writer: PredictionLogWriter,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** The period, or undefined when this process does not ingest by itself. */
  get intervalMs(): number | undefined {
    return this.options.monitoring.ingestIntervalMs;
  }

  onApplicationBootstrap(): void {
    const every = this.intervalMs;
    if (!every) return;
    // A timer of its own rather than the SchedulerRegistry's, which clears its intervals at
    // shutdown in an order of its choosing: this one must stop right before the last run.
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
    this.logger.log(
      `Ingesting ${this.options.predictionLog.dir} every ${every / 1000} s, and once more at shutdown`,
    );
    this.tick();
  }

  /**
   * The time by which the ingestion at shutdown must end (epoch ms): the process's shutdown
   * budget, set when the shutdown begins. Unset: `DEFAULT_SHUTDOWN_BUDGET_MS` from when it runs.
   */
  finishBy(deadline: number): void {
    this.deadline = deadline;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.timer) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    const deadline = this.deadline ?? Date.now() + DEFAULT_SHUTDOWN_BUDGET_MS;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    try {
      // The lines of the requests just answered: the writer's queue and its files, closed.
      await this.writer.close();
      await this.current;
      await this.final(abort.signal);
    } finally {
      clearTimeout(timeout);
    }
  }

  /** One periodic run, unless one is going on. */
  private tick(): void {
    if (this.current || this.stopped) return;
    this.current = this.ingestion
      .run()
      .then(
        () => this.succeeded(),
        (error: unknown) => this.failed(error),
      )
      .finally(() => (this.current = undefined));
  }

  private succeeded(): void {
    if (this.failures === 0) return;
    this.logger.log(
      `Prediction-log ingestion works again after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}`,
    );
    this.failures = 0;
  }

  private failed(error: unknown): void {
    this.failures += 1;
    if (this.failures > 1) return;
    this.logger.warn(
      `Prediction-log ingestion failed: ${(error as Error).message}. Trying again every ` +
        `${(this.intervalMs ?? 0) / 1000} s from the checkpoints (failures are counted in ` +
        'mle_prediction_log_ingestion_failures_total)',
    );
  }

  private async final(signal: AbortSignal): Promise<void> {
    const dir = this.options.predictionLog.dir;
    try {
      const summary = await this.ingestion.run({ signal });
      if (!signal.aborted) {
        this.logger.log(
          `Ingested ${summary.inserted} new prediction-log lines at shutdown in ${summary.seconds.toFixed(2)} s`,
        );
        return;
      }
      const left = await this.ingester.backlog().catch(() => undefined);
      this.logger.warn(
        `The ingestion at shutdown ran out of time after ${summary.inserted} lines` +
          (left ? `; left in ${dir}: ${left.bytes} bytes in ${left.files} files` : '') +
          ': the next process on this folder ingests them at its first run',
      );
    } catch (error) {
      this.logger.warn(
        `The ingestion at shutdown failed: ${(error as Error).message}. The lines not ingested ` +
          `stay in ${dir}: the next process on this folder ingests them at its first run`,
      );
    }
  }
}
