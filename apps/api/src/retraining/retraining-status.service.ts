import { ModelLifecycle } from '@app/mle/lifecycle';
import { MLE_OPTIONS, MleOptions } from '@app/mle/module';
import { EvaluationScheduler, JobRun, RetrainingMonitor, trendEntry } from '@app/mle/monitoring';
import { RegisteredModel } from '@app/mle/registry';
import { Inject, Injectable } from '@nestjs/common';

/**
 * A run as anyone may see it: its state and times. What it failed on and where it ran (error,
 * host) are for operators. Picked field by field, so a field added to job runs later is not
 * published by default.
 */
function publicRun({ id, trigger, status, scheduledFor, startedAt, finishedAt }: JobRun) {
  return { id, trigger, status, scheduledFor, startedAt, finishedAt };
}

/**
 * The retraining status of a model: the one source of `GET /retraining/status` and the
 * dashboard (two views of the same object).
 */
@Injectable()
export class RetrainingStatus {
  constructor(
    private readonly monitor: RetrainingMonitor,
    private readonly scheduler: EvaluationScheduler,
    private readonly lifecycle: ModelLifecycle,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** `full`: with the runs' errors and hosts (a status or ops token was given). */
  async of(model: RegisteredModel, full: boolean) {
    return this.build(model, full, await this.monitor.recentRuns(5));
  }

  /** The status of each model, the job runs (shared by all models) read once. */
  async ofAll(models: readonly RegisteredModel[], full: boolean) {
    const runs = await this.monitor.recentRuns(5);
    return Promise.all(models.map((model) => this.build(model, full, runs)));
  }

  private async build(model: RegisteredModel, full: boolean, runs: JobRun[]) {
    const { monitoring } = this.options;
    const [evaluations, shadow, promotions] = await Promise.all([
      this.monitor.history(model.name, monitoring.trendLength),
      this.lifecycle.compareWithShadow(model.name),
      this.lifecycle.promotions(model.name, 20),
    ]);
    const latest = evaluations[0];
    const view = (run: JobRun) => (full ? run : publicRun(run));
    return {
      view: full ? 'full' : 'public',
      model: model.name,
      recommendation: latest?.recommendation ?? 'INSUFFICIENT_DATA',
      reasons: latest?.reasons ?? ['no evaluation has run yet'],
      threshold: monitoring.accuracyThreshold,
      minLabelled: monitoring.minLabelled,
      windowDays: monitoring.windowDays,
      driftThresholds: { moderate: monitoring.psiModerate, significant: monitoring.psiSignificant },
      mode: this.lifecycle.mode,
      serving: model.current?.manifest.version ?? null,
      shadow: shadow ?? null,
      promotions,
      latest: latest ?? null,
      trend: evaluations.map(trendEntry),
      lastRun: runs[0] ? view(runs[0]) : null,
      recentRuns: runs.map(view),
      running: this.monitor.running,
      schedule: this.scheduler.schedule ?? null,
      nextRun: this.scheduler.nextRun()?.toISOString() ?? null,
    };
  }
}
