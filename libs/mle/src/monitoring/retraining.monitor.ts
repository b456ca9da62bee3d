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

export const EVALUATION_JOB = 'retraining-evaluation';
const DAY_MS = 86_400_000;

export type RunTrigger = 'schedule' | 'catch-up' | 'manual';

export type RunOutcome =
  | { status: 'completed'; jobRunId: string; evaluation: StoredEvaluation }
  | { status: 'skipped'; reason: 'in-progress' | 'already-ran' }
  | { status: 'failed'; jobRunId: string; error: string };

export interface JobRun {
  id: string;
  trigger: RunTrigger;
  status: 'running' | 'succeeded' | 'failed';
  scheduledFor: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  host: string | null;
}

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
 * Runs are exclusive across every replica: a transaction-scoped advisory lock is held for the
 * run, and a `job_runs` row unique per (job, scheduled time) makes a scheduled run happen once
 * even when replicas fire seconds apart. Errors are recorded in `job_runs`, never thrown out of
 * a scheduled run.
 */
@Injectable()
export class RetrainingMonitor {
  private readonly logger = new Logger('RetrainingMonitor');
  private active = false;
  private readonly referenceCache = new Map<string, ReferenceDistribution>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const lock = this.dataSource.createQueryRunner();
    await lock.connect();
    try {
      await lock.startTransaction();
      const [{ locked }] = (await lock.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('mle-service:' || $1)) AS locked`,
        [EVALUATION_JOB],
      )) as { locked: boolean }[];
      if (!locked) return { status: 'skipped', reason: 'in-progress' };
      // Outside the lock's transaction, so that the status endpoint sees the run while it runs.
      const inserted = await this.dataSource.query<{ id: string }[]>(
        `INSERT INTO job_runs (job, scheduled_for, trigger, status, host)
         VALUES ($1, $2, $3, 'running', $4)
         ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id`,
        [EVALUATION_JOB, scheduledFor, trigger, hostname()],
      );
      if (inserted.length === 0) return { status: 'skipped', reason: 'already-ran' };
      const jobRunId = String(inserted[0].id);
      this.active = true;
      try {
        const evaluation = await this.evaluate(jobRunId, onProgress);
        await this.finish(jobRunId, 'succeeded');
        await this.announce(evaluation);
        return { status: 'completed', jobRunId, evaluation };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error(`Evaluation run ${jobRunId} failed: ${message}`);
        await this.finish(jobRunId, 'failed', message).catch(() => undefined);
        return { status: 'failed', jobRunId, error: message };
      } finally {
        this.active = false;
      }
    } finally {
      // Ends the transaction, which releases the advisory lock.
      await lock.rollbackTransaction().catch(() => undefined);
      await lock.release();
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

  async lastRun(): Promise<JobRun | undefined> {
    const [row] = await this.dataSource.query<
      {
        id: string;
        trigger: RunTrigger;
        status: JobRun['status'];
        scheduled_for: Date;
        started_at: Date;
        finished_at: Date | null;
        error: string | null;
        host: string | null;
      }[]
    >(`SELECT * FROM job_runs WHERE job = $1 ORDER BY started_at DESC, id DESC LIMIT 1`, [
      EVALUATION_JOB,
    ]);
    if (!row) return undefined;
    return {
      id: String(row.id),
      trigger: row.trigger,
      status: row.status,
      scheduledFor: row.scheduled_for.toISOString(),
      startedAt: row.started_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
      error: row.error,
      host: row.host,
    };
  }

  /** When the last scheduled (or catch-up) run succeeded, for the catch-up rule. */
  async lastScheduledSuccess(): Promise<Date | undefined> {
    const [row] = await this.dataSource.query<{ at: Date | null }[]>(
      `SELECT max(scheduled_for) AS at FROM job_runs
        WHERE job = $1 AND status = 'succeeded' AND trigger IN ('schedule', 'catch-up')`,
      [EVALUATION_JOB],
    );
    return row?.at ?? undefined;
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
    const { seconds: updateSeconds, ...outcomes } = await this.outcomes.update();
    const evaluating = performance.now();
    const to = new Date();
    const window = { from: new Date(to.getTime() - monitoring.windowDays * DAY_MS), to };
    const metrics = await this.evaluator.evaluate(model, window);
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
    const [row] = await this.dataSource.query<EvaluationRow[]>(
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
    });
  }

  private async finish(
    jobRunId: string,
    status: 'succeeded' | 'failed',
    error?: string,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE job_runs SET status = $2, finished_at = now(), error = $3 WHERE id = $1`,
      [jobRunId, status, error ?? null],
    );
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
