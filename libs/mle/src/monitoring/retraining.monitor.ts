import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { applyCalibration } from '../estimators/calibration';
import { LifecycleAction, ModelLifecycle } from '../lifecycle/model-lifecycle.service';
import { ModelVersionsRepository } from '../lifecycle/model-versions.repository';
import { MleMetrics } from '../metrics/mle-metrics';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { ModelRegistry } from '../registry/model.registry';
import { accuracyEvaluation, EvaluationWindow } from './accuracy';
import { DriftReport, driftReport } from './drift';
import { Evaluation, OutcomeUpdate } from './evaluation';
import { logEntry } from './evaluation.views';
import { ReferenceLookup } from './ingestion/feature-counts';
import { IngestionProgressListener, IngestionSummary } from './prediction-log.ingester';
import { PredictionLogIngestion } from './prediction-log.ingestion';
import {
  DailyPerformance,
  estimateFromScores,
  PerformanceEstimation,
  realizedAccuracy,
} from './performance-estimation';
import { PartitionMaintenance, PredictionPartitions } from './prediction-partitions.service';
import { ReferenceDistribution } from './reference-distribution';
import { EvaluationRepository } from './repositories/evaluation.repository';
import { FeatureCountRepository } from './repositories/feature-count.repository';
import {
  isLockNotAvailable,
  JobRun,
  JobRunRepository,
  RunTrigger,
} from './repositories/job-run.repository';
import { LabelledModel, OutcomeRepository } from './repositories/outcome.repository';
import { recommend } from './retraining-recommender';
import { RetrainingWebhookNotifier } from './retraining-webhook.notifier';
import { RetrainingEvents } from './retraining.events';
import { TrainingReferences } from './training-references';

export const EVALUATION_JOB = 'retraining-evaluation';
const DAY_MS = 86_400_000;

export type RunOutcome =
  | {
      status: 'completed';
      jobRunId: string;
      evaluations: Evaluation[];
      /** What the closed loop did next: challengers trained, rollbacks (see RETRAINING_MODE). */
      actions: LifecycleAction[];
      /** The partitions of `predictions` created ahead and dropped past the retention. */
      partitions: PartitionMaintenance;
    }
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

/**
 * The retraining signal: loads new prediction-log lines, joins predictions with the ground
 * truth, measures drift, recommends OK / RETRAIN / INSUFFICIENT_DATA, stores the evaluation and
 * announces a RETRAIN (log line, in-process event, webhook). Then it keeps `predictions` bounded:
 * partitions ahead, days past the retention dropped (recorded with the job run).
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

  constructor(
    private readonly jobRuns: JobRunRepository,
    private readonly evaluations: EvaluationRepository,
    private readonly outcomes: OutcomeRepository,
    private readonly featureCounts: FeatureCountRepository,
    private readonly ingestion: PredictionLogIngestion,
    private readonly references: TrainingReferences,
    private readonly registry: ModelRegistry,
    private readonly store: ModelArtifactStore,
    private readonly events: RetrainingEvents,
    private readonly webhook: RetrainingWebhookNotifier,
    private readonly metrics: MleMetrics,
    private readonly versions: ModelVersionsRepository,
    private readonly lifecycle: ModelLifecycle,
    private readonly partitions: PredictionPartitions,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** Whether this process is running an evaluation now. */
  get running(): boolean {
    return this.active;
  }

  /** The served models the monitor evaluates: those whose plug-in says where labels are. */
  get monitored(): LabelledModel[] {
    return this.registry.models.flatMap((model) =>
      model.data ? [{ name: model.name, data: model.data }] : [],
    );
  }

  /** Ingests the prediction logs and evaluates every monitored model, once across replicas. */
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
      const evaluations = await this.evaluateAll(jobRunId, onProgress);
      // After the evaluation has folded every loaded prediction into the outcomes.
      const partitions = await this.partitions.maintain();
      await this.jobRuns.finish(jobRunId, 'succeeded', undefined, partitions);
      for (const evaluation of evaluations) await this.announce(evaluation);
      const actions = await this.lifecycle.afterEvaluation(evaluations);
      return { status: 'completed', jobRunId, evaluations, actions, partitions };
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

  /** The model's stored evaluations, newest first. */
  async history(model: string, limit: number): Promise<Evaluation[]> {
    return this.evaluations.list(model, limit);
  }

  /** The latest job run; one whose process is gone shows as abandoned, never as running. */
  async lastRun(): Promise<JobRun | undefined> {
    await this.recordPendingFailures().catch(() => undefined);
    await this.abandonDeadRuns();
    return this.jobRuns.last(EVALUATION_JOB);
  }

  /** The latest evaluation runs, newest first (as `lastRun` shows them). */
  async recentRuns(limit: number): Promise<JobRun[]> {
    await this.recordPendingFailures().catch(() => undefined);
    await this.abandonDeadRuns();
    return this.jobRuns.recent(EVALUATION_JOB, limit);
  }

  /** When the last scheduled (or catch-up) run succeeded, for the catch-up rule. */
  async lastScheduledSuccess(): Promise<Date | undefined> {
    return this.jobRuns.lastScheduledSuccess(EVALUATION_JOB);
  }

  /** Sets the gauges from each model's latest evaluation (at start-up, so a restart keeps them). */
  async restoreGauges(): Promise<void> {
    for (const { name } of this.monitored) {
      const [latest] = await this.evaluations.list(name, 1);
      if (latest) this.metrics.evaluated(latest);
    }
  }

  private async evaluateAll(
    jobRunId: string,
    onProgress?: IngestionProgressListener,
  ): Promise<Evaluation[]> {
    const { lockTimeoutMs } = this.options.monitoring;
    const models = this.monitored;
    const referenceOf = await this.references.lookup(models.map((m) => m.name));
    // This process's own folder: every replica ingests its own (IngestionScheduler), so the
    // evaluation judges what PostgreSQL holds, whichever replica runs it.
    const ingestion = await this.ingestion.run({ onProgress });
    const updating = performance.now();
    const outcomes = await this.outcomes.update(models, { lockTimeoutMs });
    const updateSeconds = (performance.now() - updating) / 1000;
    const to = new Date();
    const window = {
      from: new Date(to.getTime() - this.options.monitoring.windowDays * DAY_MS),
      to,
    };
    const evaluations: Evaluation[] = [];
    for (const { name } of models) {
      evaluations.push(
        await this.evaluate(name, window, referenceOf, {
          jobRunId,
          ingestion,
          outcomes,
          ingestSeconds: ingestion.seconds,
          updateSeconds,
        }),
      );
    }
    return evaluations;
  }

  private async evaluate(
    model: string,
    window: EvaluationWindow,
    referenceOf: ReferenceLookup,
    run: {
      jobRunId: string;
      ingestion: IngestionSummary;
      outcomes: OutcomeUpdate;
      ingestSeconds: number;
      updateSeconds: number;
    },
  ): Promise<Evaluation> {
    const { monitoring } = this.options;
    const lock = { lockTimeoutMs: monitoring.lockTimeoutMs };
    const evaluating = performance.now();
    const metrics = accuracyEvaluation(await this.outcomes.confusion(model, window, lock), window);
    // The champion every replica serves, when this MODEL_DIR holds it (drift needs its
    // manifest); otherwise MODEL_DIR's current.
    const champion = (await this.versions.serving()).get(model)?.champion;
    const here = champion !== undefined && (await this.store.versions(model)).includes(champion);
    const version =
      (here ? champion : await this.store.currentVersion(model)) ?? metrics.versions[0]?.version;
    const ofVersion = metrics.versions.find((v) => v.version === version);
    const drift: DriftReport = version
      ? await this.measureDrift(model, version, referenceOf(model, version), window)
      : { status: 'unavailable', predictions: 0, features: [], note: 'no model version' };
    const estimation = await this.estimate(model, version, window);
    const unlabelled = estimation.unlabelledDays;
    const { recommendation, reasons } = recommend({
      metrics: ofVersion?.metrics,
      version,
      threshold: monitoring.accuracyThreshold,
      minLabelled: monitoring.minLabelled,
      driftedFeatures: drift.features
        .filter((f) => f.level === 'significant')
        .map((f) => f.feature),
      unlabelledEstimate: unlabelled.estimated
        ? {
            accuracy: unlabelled.estimated.accuracy.value,
            low: unlabelled.estimated.accuracy.low,
            high: unlabelled.estimated.accuracy.high,
            predictions: unlabelled.estimated.predictions,
            days: unlabelled.days.length,
          }
        : undefined,
    });
    return this.evaluations.insert(
      {
        jobRunId: run.jobRunId,
        model,
        modelVersion: version,
        recommendation,
        reasons,
        accuracy: ofVersion && ofVersion.labelled > 0 ? ofVersion.metrics.accuracy : undefined,
        labelled: ofVersion?.labelled ?? 0,
        threshold: monitoring.accuracyThreshold,
        minLabelled: monitoring.minLabelled,
        window: metrics.window,
        metrics,
        drift,
        estimation,
        ingestion: run.ingestion,
        outcomes: run.outcomes,
        timings: {
          ingestSeconds: run.ingestSeconds,
          updateSeconds: run.updateSeconds,
          evaluateSeconds: (performance.now() - evaluating) / 1000,
        },
      },
      lock,
    );
  }

  /**
   * CBPE over the window: every version's predictions by class and probability, through its
   * calibration; per UTC day for `version`, beside the accuracy measured on that day's labels.
   */
  private async estimate(
    model: string,
    version: string | undefined,
    window: EvaluationWindow,
  ): Promise<PerformanceEstimation> {
    const lock = { lockTimeoutMs: this.options.monitoring.lockTimeoutMs };
    const byVersion = new Map<string, Map<string, Map<string, number>>>();
    for (const row of await this.featureCounts.scores(model, window, lock)) {
      const days = byVersion.get(row.version) ?? new Map<string, Map<string, number>>();
      const bins = days.get(row.day) ?? new Map<string, number>();
      bins.set(row.bin, (bins.get(row.bin) ?? 0) + row.count);
      days.set(row.day, bins);
      byVersion.set(row.version, days);
    }
    const calibrationOf = (v: string) => this.references.calibration(model, v);
    const versions = [...byVersion].map(([v, days]) => {
      const calibration = calibrationOf(v);
      return {
        version: v,
        calibrated: calibration !== undefined,
        estimated: estimateFromScores(days.values(), (p) => applyCalibration(calibration, p)),
      };
    });
    if (!version) return { versions, daily: [], unlabelledDays: { days: [], estimated: null } };
    const calibration = calibrationOf(version);
    const calibrate = (p: number) => applyCalibration(calibration, p);
    const scores = byVersion.get(version) ?? new Map<string, Map<string, number>>();
    const outcomes = new Map(
      (await this.outcomes.daily(model, version, window, lock)).map((d) => [d.day, d]),
    );
    const daily: DailyPerformance[] = [...new Set([...scores.keys(), ...outcomes.keys()])]
      .sort()
      .map((day) => {
        const bins = scores.get(day);
        const outcome = outcomes.get(day);
        const estimated = bins ? estimateFromScores([bins], calibrate) : null;
        return {
          day,
          version,
          predictions: estimated?.predictions ?? outcome?.outcomes ?? 0,
          labelled: outcome?.labelled ?? 0,
          realized: outcome ? realizedAccuracy(outcome.labelled, outcome.correct) : null,
          estimated,
        };
      });
    const unlabelled = daily.filter((d) => d.labelled === 0 && scores.has(d.day)).map((d) => d.day);
    return {
      versions,
      daily,
      unlabelledDays: {
        days: unlabelled,
        estimated: estimateFromScores(
          unlabelled.map((day) => scores.get(day)!),
          calibrate,
        ),
      },
    };
  }

  private async measureDrift(
    model: string,
    version: string,
    reference: ReferenceDistribution | undefined,
    window: EvaluationWindow,
  ): Promise<DriftReport> {
    if (!reference) {
      return {
        status: 'unavailable',
        version,
        predictions: 0,
        features: [],
        note: `no readable manifest of version ${version} of ${model}: drift needs its training reference`,
      };
    }
    const { monitoring } = this.options;
    const counts = await this.featureCounts.counts(model, version, Object.keys(reference), window, {
      lockTimeoutMs: monitoring.lockTimeoutMs,
    });
    return driftReport(version, reference, counts, {
      moderate: monitoring.psiModerate,
      significant: monitoring.psiSignificant,
      minSample: monitoring.minDriftSample,
    });
  }

  private async announce(evaluation: Evaluation): Promise<void> {
    this.metrics.evaluated(evaluation);
    try {
      this.events.emit(evaluation);
    } catch (error) {
      this.logger.error(`A retraining listener failed: ${(error as Error).message}`);
    }
    const entry = logEntry(evaluation);
    if (evaluation.recommendation !== 'RETRAIN' && evaluation.recommendation !== 'WATCH') {
      this.logger.log(entry.message);
      return;
    }
    this.logger.warn(entry);
    const { monitoring } = this.options;
    await this.webhook.notify(evaluation, {
      url: monitoring.webhookUrl,
      timeoutMs: monitoring.webhookTimeoutMs,
      retries: monitoring.webhookRetries,
    });
  }
}
