import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { RunTrigger } from './repositories/job-run.repository';
import { EVALUATION_JOB, RetrainingMonitor } from './retraining.monitor';

/** Cron fires at whole minutes (or seconds); replicas agree on the scheduled time by flooring. */
function floorToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * Runs the retraining evaluation on EVALUATION_CRON in EVALUATION_TZ, never overlapping
 * (`waitForCompletion`), and once at start when the last successful scheduled run is older than
 * one period: a restart at 02:00 (Watchtower pulling a new image) must not skip a night. There is
 * no catch-up before a model version exists (a first start): it would store an evaluation of no
 * version.
 */
@Injectable()
export class EvaluationScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EvaluationScheduler');
  private job: CronJob | undefined;
  private catchUp: Promise<unknown> | undefined;

  constructor(
    private readonly monitor: RetrainingMonitor,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly store: ModelArtifactStore,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** The next scheduled run, or undefined when scheduling is off. */
  nextRun(): Date | undefined {
    return this.job?.nextDate().toJSDate();
  }

  get schedule(): { cron: string; timeZone: string } | undefined {
    const { cron, timeZone } = this.options.monitoring;
    return this.job && cron ? { cron, timeZone } : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { cron, timeZone } = this.options.monitoring;
    await this.monitor.restoreGauges().catch(() => undefined);
    if (!cron) return;
    this.job = CronJob.from({
      cronTime: cron,
      timeZone,
      waitForCompletion: true,
      onTick: async () => {
        const at = floorToSecond(this.job?.lastDate() ?? new Date());
        await this.runSafely('schedule', at);
      },
    });
    this.schedulerRegistry.addCronJob(EVALUATION_JOB, this.job);
    this.job.start();
    this.logger.log(
      `Retraining evaluation scheduled "${cron}" (${timeZone}); next ${this.nextRun()?.toISOString()}`,
    );
    // In the background: start-up does not wait for an evaluation.
    this.catchUp = this.catchUpIfMissed();
  }

  async onApplicationShutdown(): Promise<void> {
    // With waitForCompletion, stop() resolves once a running tick has finished.
    await this.job?.stop();
    await this.catchUp;
  }

  /** The previous scheduled time: the next one minus one period. */
  previousRun(): Date | undefined {
    if (!this.job) return undefined;
    const [next, after] = this.job.nextDates(2).map((d) => d.toJSDate());
    return new Date(next.getTime() - (after.getTime() - next.getTime()));
  }

  private async catchUpIfMissed(): Promise<void> {
    try {
      const previous = this.previousRun();
      if (!previous) return;
      const lastSuccess = await this.monitor.lastScheduledSuccess();
      if (lastSuccess && lastSuccess >= previous) return;
      if (!(await this.anyVersion())) {
        this.logger.log(
          `No model version yet: the catch-up evaluation for ${previous.toISOString()} is skipped; the schedule runs next at ${this.nextRun()?.toISOString()}`,
        );
        return;
      }
      // Marks a run whose process is gone abandoned; its slot is run again below.
      const last = await this.monitor.lastRun();
      const attempt =
        last && last.status !== 'succeeded'
          ? `; job run ${last.id} (${last.trigger}) ${last.status}${last.error ? `: ${last.error}` : ''}`
          : '';
      // A night lost to a failure or a killed process is worth a warning; a night the service
      // was down, a note.
      this.logger[attempt ? 'warn' : 'log'](
        `The run scheduled for ${previous.toISOString()} did not happen (last success: ${lastSuccess?.toISOString() ?? 'never'}${attempt}): running it now`,
      );
      await this.runSafely('catch-up', floorToSecond(previous));
    } catch (error) {
      this.logger.error(`Catch-up check failed: ${(error as Error).message}`);
    }
  }

  /** Whether a monitored model has a version: before that, an evaluation has nothing to judge. */
  private async anyVersion(): Promise<boolean> {
    for (const { name } of this.monitor.monitored) {
      if (await this.store.currentVersion(name)) return true;
    }
    return false;
  }

  private async runSafely(trigger: RunTrigger, scheduledFor: Date): Promise<void> {
    try {
      const outcome = await this.monitor.run(trigger, scheduledFor);
      switch (outcome.status) {
        case 'skipped':
          // Another replica has the run (or had it): said once a night per replica.
          this.logger.log(
            `Skipped the ${trigger} run for ${scheduledFor.toISOString()}: ${outcome.reason === 'in-progress' ? 'another run holds the evaluation lock' : 'it has already run'}`,
          );
          return;
        case 'failed':
          this.logger.warn(
            `The ${trigger} run for ${scheduledFor.toISOString()} failed (job run ${outcome.jobRunId}); the next run catches up`,
          );
          return;
        case 'completed':
          this.logger.log(
            `The ${trigger} run for ${scheduledFor.toISOString()} succeeded (job run ${outcome.jobRunId})`,
          );
          return;
      }
    } catch (error) {
      // The monitor records its own failures; this catches the database being unreachable.
      this.logger.error(`The ${trigger} evaluation could not run: ${(error as Error).message}`);
    }
  }
}
