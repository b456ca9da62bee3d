import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { MleMetrics } from '../metrics/mle-metrics';
import { MLE_OPTIONS } from '../mle.constants';
import { MleOptions } from '../mle.options';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { ModelRegistry } from '../registry/model.registry';
import { AccuracyEvaluator } from './accuracy-evaluator';
import { DriftDetector, DriftReport } from './drift-detector';
import { StoredEvaluation } from './model-evaluation';
import { OutcomeTracker } from './outcome-tracker';
import { ReferenceLookup } from './ingestion/feature-counts';
import { IngestionProgressListener, PredictionLogIngester } from './prediction-log.ingester';
import { ReferenceDistribution } from './reference-distribution';
import { recommend } from './retraining-recommender';
import { RetrainingWebhookNotifier } from './retraining-webhook.notifier';
import { RetrainingEvents } from './retraining.events';
import {
  isLockNotAvailable,
  JobRun,
  JobRunRepository,
  RunTrigger,
} from './repositories/job-run.repository';

export const EVALUATION_JOB = 'retraining-evaluation';
const DAY_MS = 86_400_000;

export type RunOutcome =
  | { status: 'completed'; jobRunId: string; evaluation: StoredEvaluation }
  | { status: 'skipped'; reason: 'in-progress' | 'already-ran' }
  | {
      status: 'failed';
      jobRunId: string;
      error: string;
      /** True when a table lock was held past `lockTimeoutMs`: a passing condition, worth a retry. */
      lockTimeout: boolean;
      /** Why `job_runs` does not say `failed` yet (it will once the database answers). */
      unrecorded?: string;
    };

interface EvaluationRow {
  id: string;
  evaluated_at: Date;
  job_run_id: string | null;
  model: string;
  model_version: string | null;
  recommendation: StoredEvaluation['recommendation'];
  reasons: string[];
  accuracy: number | null;
  labelled: number;
  threshold: number;
  min_labelled: number;
  window_from: Date;
  window_to: Date;
  metrics: StoredEvaluation['metrics'];
  drift: StoredEvaluation['drift'];
  ingestion: StoredEvaluation['ingestion'];
  outcomes: StoredEvaluation['outcomes'];
  timings: StoredEvaluation['timings'];
}

function toEvaluation(row: EvaluationRow): StoredEvaluation {
  return {
    id: row.id,
    evaluatedAt: row.evaluated_at.toISOString(),
    ...(row.job_run_id ? { jobRunId: row.job_run_id } : {}),
    model: row.model,
    ...(row.model_version ? { modelVersion: row.model_version } : {}),
    recommendation: row.recommendation,
    reasons: row.reasons,
    ...(row.accuracy === null ? {} : { accuracy: row.accuracy }),
    labelled: row.labelled,
    threshold: row.threshold,
    minLabelled: row.min_labelled,
    window: { from: row.window_from.toISOString(), to: row.window_to.toISOString() },
    metrics: row.metrics,
    drift: row.drift,
    ingestion: row.ingestion,
    outcomes: row.outcomes,
    timings: row.timings,
  };
}

/**
 * The retraining signal: loads new prediction-log lines, joins predictions with the ground
 * truth, measures drift, recommends OK / RETRAIN / INSUFFICIENT_DATA, stores the evaluation and
 * announces a RETRAIN (log line, in-process event, webhook).
 *
 * Runs are exclusive across every replica: a run holds a row lock on its `job_locks` row (which
 * only the service's role may take) for its whole duration, and a `job_runs` row unique per
 * running or succeeded (job, scheduled time) makes a scheduled run happen once even when
 * replicas fire seconds apart. A `running` row whose lock transaction has ended lost its
 * process and is marked `abandoned`; its slot runs again. Errors are recorded in `job_runs`,
 * never thrown out of a scheduled run. Table locks are waited for at most `lockTimeoutMs`.
 */
@Injectable()
export class RetrainingMonitor {
  private readonly logger = new Logger('RetrainingMonitor');
  private active = false;
  /** Failures this process could not write to `job_runs` yet, by job run id. */
  private readonly pendingFailures = new Map<string, string>();
  private readonly referenceCache = new Map<string, ReferenceDistribution>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobRuns: JobRunRepository,
    private readonly ingester: PredictionLogIngester,
    private readonly outcomes: OutcomeTracker,
    private readonly evaluator: AccuracyEvaluator,
    private readonly drift: DriftDetector,
    private readonly registry: ModelRegistry,
    private readonly store: ModelArtifactStore,
    private readonly events: RetrainingEvents,
    private readonly webhook: RetrainingWebhookNotifier,
    private readonly metrics: MleMetrics,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** Whether this process is running an evaluation now. */
  get running(): boolean {
    return this.active;
  }

  async run(
    trigger: RunTrigger,
    scheduledFor: Date = new Date(),
    onProgress?: IngestionProgressListener,
  ): Promise<RunOutcome> {
    const lock = await this.jobRuns.lock(EVALUATION_JOB);
    if (!lock) return { status: 'skipped', reason: 'in-progress' };
    try {
      await this.recordPendingFailures();
      // Under the lock no other run is alive: a row still `running` lost its process.
      await this.abandonDeadRuns();
      // Outside the lock's transaction, so that the status endpoint sees the run while it runs.
      const jobRunId = await this.jobRuns.start({
        job: EVALUATION_JOB,
        scheduledFor,
        trigger,
        host: hostname(),
        lock,
      });
      if (!jobRunId) return { status: 'skipped', reason: 'already-ran' };
      return await this.runRecorded(jobRunId, onProgress);
    } finally {
      await lock.release();
    }
  }

  private async runRecorded(
    jobRunId: string,
    onProgress?: IngestionProgressListener,
  ): Promise<RunOutcome> {
    this.active = true;
    try {
      const evaluation = await this.evaluate(jobRunId, onProgress);
      await this.jobRuns.finish(jobRunId, 'succeeded');
      await this.announce(evaluation);
      return { status: 'completed', jobRunId, evaluation };
    } catch (error) {
      const message = await this.describeFailure(error);
      const lockTimeout = isLockNotAvailable(error);
      this.logger.error(`Evaluation run ${jobRunId} failed: ${message}`);
      try {
        await this.jobRuns.finish(jobRunId, 'failed', message);
        return { status: 'failed', jobRunId, error: message, lockTimeout };
      } catch (recording) {
        // Recorded at the next run or status read of this process; after a restart the row
        // is found abandoned (its lock transaction has ended).
        this.pendingFailures.set(jobRunId, message);
        const unrecorded = recording instanceof Error ? recording.message : String(recording);
        this.logger.error(`Job run ${jobRunId} could not be marked failed: ${unrecorded}`);
        return { status: 'failed', jobRunId, error: message, lockTimeout, unrecorded };
      }
    } finally {
      this.active = false;
    }
  }

  /** The error as recorded: a lock wait that timed out names the locks held and by whom. */
  private async describeFailure(error: unknown): Promise<string> {
    const message = error instanceof Error ? error.message : String(error);
    if (!isLockNotAvailable(error)) return message;
    const seconds = this.options.monitoring.lockTimeoutMs / 1000;
    const holders = await this.jobRuns.tableLockHolders().catch(() => []);
    const held = holders.length
      ? holders
          .map(
            (h) => `table ${h.table} is locked in ${h.mode} mode by role ${h.role} (pid ${h.pid})`,
          )
          .join('; ')
      : 'the lock had been released when looked up';
    return `waited longer than EVALUATION_LOCK_TIMEOUT (${seconds} s) for a table lock: ${held} (${message})`;
  }

  private async recordPendingFailures(): Promise<void> {
    for (const [id, error] of this.pendingFailures) {
      await this.jobRuns.finish(id, 'failed', error);
      this.pendingFailures.delete(id);
    }
  }

  private async abandonDeadRuns(): Promise<void> {
    for (const run of await this.jobRuns.abandonDead(EVALUATION_JOB)) {
      this.logger.warn(
        `Job run ${run.id} (${run.trigger}, scheduled for ${run.scheduledFor}) marked abandoned: ${run.error ?? ''}`,
      );
    }
  }

  /** The stored evaluations, newest first. */
  async evaluations(limit: number): Promise<StoredEvaluation[]> {
    const rows = await this.dataSource.query<EvaluationRow[]>(
      `SELECT * FROM model_evaluations ORDER BY evaluated_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toEvaluation);
  }

  /** The latest job run; one whose process is gone shows as abandoned, never as running. */
  async lastRun(): Promise<JobRun | undefined> {
    await this.recordPendingFailures().catch(() => undefined);
    await this.abandonDeadRuns();
    return this.jobRuns.last(EVALUATION_JOB);
  }

  /** When the last scheduled (or catch-up) run succeeded, for the catch-up rule. */
  async lastScheduledSuccess(): Promise<Date | undefined> {
    return this.jobRuns.lastScheduledSuccess(EVALUATION_JOB);
  }

  /** Sets the gauges from the latest stored evaluation (at start-up, so a restart keeps them). */
  async restoreGauges(): Promise<void> {
    const [latest] = await this.evaluations(1);
    if (latest) this.metrics.evaluated(latest);
  }

  private async evaluate(
    jobRunId: string,
    onProgress?: IngestionProgressListener,
  ): Promise<StoredEvaluation> {
    const { monitoring } = this.options;
    const model = this.registry.name;
    const referenceOf = await this.references(model);
    const ingestion = await this.ingester.ingest(onProgress, referenceOf);
    const { seconds: updateSeconds, ...outcomes } = await this.outcomes.update({
      lockTimeoutMs: monitoring.lockTimeoutMs,
    });
    const evaluating = performance.now();
    const to = new Date();
    const window = { from: new Date(to.getTime() - monitoring.windowDays * DAY_MS), to };
    const metrics = await this.evaluator.evaluate(model, window, {
      lockTimeoutMs: monitoring.lockTimeoutMs,
    });
    const version = (await this.store.currentVersion(model)) ?? metrics.versions[0]?.version;
    const ofVersion = metrics.versions.find((v) => v.version === version);
    const drift = version
      ? await this.measureDrift(model, version, referenceOf(model, version), window)
      : undefined;
    const { recommendation, reasons } = recommend({
      metrics: ofVersion?.metrics,
      version,
      threshold: monitoring.accuracyThreshold,
      minLabelled: monitoring.minLabelled,
      driftedFeatures: (drift?.features ?? [])
        .filter((f) => f.level === 'significant')
        .map((f) => f.feature),
    });
    const accuracy = ofVersion && ofVersion.labelled > 0 ? ofVersion.metrics.accuracy : null;
    const timings = {
      ingestSeconds: ingestion.seconds,
      updateSeconds,
      evaluateSeconds: (performance.now() - evaluating) / 1000,
    };
    const [row] = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [
        `${monitoring.lockTimeoutMs}ms`,
      ]);
      return manager.query<EvaluationRow[]>(
        `INSERT INTO model_evaluations (job_run_id, window_from, window_to, model, model_version,
         recommendation, reasons, accuracy, labelled, threshold, min_labelled, metrics, drift,
         ingestion, outcomes, timings)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING *`,
        [
          jobRunId,
          window.from,
          window.to,
          model,
          version ?? null,
          recommendation,
          JSON.stringify(reasons),
          accuracy,
          ofVersion?.labelled ?? 0,
          monitoring.accuracyThreshold,
          monitoring.minLabelled,
          JSON.stringify(metrics),
          JSON.stringify(
            drift ?? {
              status: 'unavailable',
              predictions: 0,
              features: [],
              note: 'no model version',
            },
          ),
          JSON.stringify(ingestion),
          JSON.stringify(outcomes),
          JSON.stringify(timings),
        ],
      );
    });
    return toEvaluation(row);
  }

  /**
   * The training references of the served model's versions under MODEL_DIR: the new predictions
   * are counted by them, and drift compares with them. Read once per version: versions never
   * change.
   */
  private async references(model: string): Promise<ReferenceLookup> {
    for (const version of await this.store.versions(model)) {
      const key = `${model}\u0000${version}`;
      if (this.referenceCache.has(key)) continue;
      try {
        this.referenceCache.set(key, (await this.store.read(model, version)).manifest.reference);
      } catch {
        // A partial or damaged version: its predictions are reported as not counted.
      }
    }
    return (m, version) => this.referenceCache.get(`${m}\u0000${version}`);
  }

  private async measureDrift(
    model: string,
    version: string,
    reference: ReferenceDistribution | undefined,
    window: { from: Date; to: Date },
  ): Promise<DriftReport> {
    if (!reference) {
      return {
        status: 'unavailable',
        version,
        predictions: 0,
        features: [],
        note: `no readable manifest of version ${version} under MODEL_DIR: drift needs its training reference`,
      };
    }
    const { monitoring } = this.options;
    return this.drift.measure(model, version, reference, window, {
      moderate: monitoring.psiModerate,
      significant: monitoring.psiSignificant,
      minSample: monitoring.minDriftSample,
      lockTimeoutMs: monitoring.lockTimeoutMs,
    });
  }

  private async announce(evaluation: StoredEvaluation): Promise<void> {
    this.metrics.evaluated(evaluation);
    try {
      this.events.emit(evaluation);
    } catch (error) {
      this.logger.error(`A retraining listener failed: ${(error as Error).message}`);
    }
    if (evaluation.recommendation !== 'RETRAIN') {
      this.logger.log(
        `Evaluation ${evaluation.id}: ${evaluation.recommendation}. ${evaluation.reasons.join('; ')}`,
      );
      return;
    }
    this.logger.warn({
      message: `RETRAIN recommended for ${evaluation.model} ${evaluation.modelVersion ?? ''}: ${evaluation.reasons.join('; ')}. Train a new version (npm run train), then POST /model/reload.`,
      event: 'retraining.recommended',
      evaluationId: evaluation.id,
      model: evaluation.model,
      modelVersion: evaluation.modelVersion,
      accuracy: evaluation.accuracy,
      labelled: evaluation.labelled,
      threshold: evaluation.threshold,
    });
    const { monitoring } = this.options;
    await this.webhook.notify(evaluation, {
      url: monitoring.webhookUrl,
      timeoutMs: monitoring.webhookTimeoutMs,
      retries: monitoring.webhookRetries,
    });
  }
}
