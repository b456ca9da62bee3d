import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { minimumRetentionDays } from './monitoring.options';
import {
  CreatedPartition,
  DEFAULT_PARTITION,
  DroppedPartition,
  PredictionPartitionRepository,
} from './repositories/prediction-partition.repository';

const DAY_MS = 86_400_000;
/** How long the ingestion waits before it tries again to create partitions after a failure. */
const ENSURE_RETRY_MS = 60_000;

/** What one night did to the partitions of `predictions` (kept with its job run). */
export interface PartitionMaintenance {
  retentionDays: number;
  /** Partitions ending at or before this instant were dropped. */
  cutoff: string;
  created: CreatedPartition[];
  dropped: DroppedPartition[];
  /** Rows older than the cutoff deleted from the DEFAULT partition. */
  deletedFromDefault: number;
  /** Why a step did not complete (the next night tries again). */
  errors: string[];
  /** How long the whole maintenance took. */
  seconds: number;
}

/** The UTC day of `at`, `YYYY-MM-DD`. */
function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Keeps `predictions` bounded: partitions for today and `partitionsAheadDays` days ahead (at
 * start-up and each night), a day's rows caught by the DEFAULT partition moved into the day's
 * partition when it is created, and the days older than `retentionDays` dropped after each
 * nightly evaluation. Nothing here fails a start-up or an evaluation: a row whose day has no
 * partition lands in the DEFAULT partition, and the next run tries again.
 */
@Injectable()
export class PredictionPartitions implements OnApplicationBootstrap {
  private readonly logger = new Logger('PredictionPartitions');
  /** Days known to have their partition (read once, then added to as they are created). */
  private known: Set<string> | undefined;
  private ensureRetryAt = 0;

  constructor(
    private readonly partitions: PredictionPartitionRepository,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.prepare();
    } catch (error) {
      this.logger.warn(
        `Could not create the partitions of predictions ahead: ${(error as Error).message}; rows of a day without one land in ${DEFAULT_PARTITION} until the nightly job creates it`,
      );
    }
  }

  /**
   * Creates the partitions of today, the days ahead, and the days within the retention whose
   * rows are in the DEFAULT partition (moving them in).
   */
  async prepare(now = new Date()): Promise<CreatedPartition[]> {
    const { partitionsAheadDays, retentionDays, lockTimeoutMs } = this.options.monitoring;
    const today = Date.parse(`${utcDay(now)}T00:00:00Z`);
    const ahead = Array.from({ length: partitionsAheadDays + 1 }, (_, i) =>
      utcDay(new Date(today + i * DAY_MS)),
    );
    const caught = await this.partitions.defaultDays(this.cutoff(now, retentionDays));
    // A far-future row stays in the DEFAULT partition until its day comes within reach.
    const days = [...ahead, ...caught.filter((day) => day <= ahead[ahead.length - 1])];
    const created = await this.partitions.create(days, { lockTimeoutMs });
    if (created.length > 0) {
      const moved = created.reduce((sum, p) => sum + p.moved, 0);
      this.logger.log(
        `Created ${created.length} partition(s) of predictions: ${created.map((p) => p.name).join(', ')}` +
          (moved > 0 ? ` (${moved} row(s) moved from ${DEFAULT_PARTITION})` : ''),
      );
    }
    return created;
  }

  /**
   * Makes sure the UTC `days` of lines about to be loaded have their partitions, for the days
   * within the retention and up to the days created ahead (a far-future day stays in the DEFAULT
   * partition, an expired one is deleted from it at night). Live lines are of today, whose
   * partition exists: that costs a set lookup. Never throws: should it fail, the lines land in
   * the DEFAULT partition and the nightly job moves them.
   */
  async ensure(days: readonly string[], now = new Date()): Promise<void> {
    const { partitionsAheadDays, retentionDays, lockTimeoutMs } = this.options.monitoring;
    const first = utcDay(this.cutoff(now, retentionDays));
    const last = utcDay(new Date(now.getTime() + partitionsAheadDays * DAY_MS));
    const wanted = days.filter((day) => day >= first && day <= last);
    if (this.known && wanted.every((day) => this.known!.has(day))) return;
    // After a failure, not again for a minute: each try may wait for the table's locks.
    if (now.getTime() < this.ensureRetryAt) return;
    try {
      const known = (this.known ??= new Set(
        (await this.partitions.list()).flatMap((p) => (p.from ? [utcDay(p.from)] : [])),
      ));
      const missing = wanted.filter((day) => !known.has(day));
      if (missing.length === 0) return;
      const created = await this.partitions.create(missing, { lockTimeoutMs });
      for (const day of missing) known.add(day);
      if (created.length > 0) {
        this.logger.log(
          `Created ${created.length} partition(s) of predictions for the lines being loaded: ${created.map((p) => p.name).join(', ')}`,
        );
      }
    } catch (error) {
      this.known = undefined;
      this.ensureRetryAt = now.getTime() + ENSURE_RETRY_MS;
      this.logger.warn(
        `Could not create the partitions of predictions for ${wanted.join(', ')}: ${(error as Error).message}; their lines go into ${DEFAULT_PARTITION} (the nightly job moves them), and this is tried again in ${ENSURE_RETRY_MS / 1000} s`,
      );
    }
  }

  /**
   * Drops the partitions that end more than `retentionDays` before `now` and deletes the
   * DEFAULT partition's rows older than that; refuses a retention below the minimum.
   */
  async applyRetention(
    now = new Date(),
  ): Promise<Omit<PartitionMaintenance, 'created' | 'errors' | 'seconds'>> {
    const { monitoring } = this.options;
    const minimum = minimumRetentionDays(monitoring);
    if (monitoring.retentionDays < minimum) {
      throw new Error(
        `retention of ${monitoring.retentionDays} days is below the minimum of ${minimum} (evaluation window ${monitoring.windowDays} + label delay ${monitoring.labelDelayDays}): nothing dropped`,
      );
    }
    const cutoff = this.cutoff(now, monitoring.retentionDays);
    const lock = { lockTimeoutMs: monitoring.lockTimeoutMs };
    const dropped = await this.partitions.dropEndingBy(cutoff, lock);
    const deletedFromDefault = await this.partitions.deleteDefaultBefore(cutoff, lock);
    for (const p of dropped) {
      this.logger.log(
        `Dropped partition ${p.name} of predictions (${p.from} to ${p.to}, ${(p.bytes / 1048576).toFixed(1)} MiB): older than PREDICTION_RETENTION_DAYS (${monitoring.retentionDays})`,
      );
    }
    if (deletedFromDefault > 0) {
      this.logger.log(
        `Deleted ${deletedFromDefault} row(s) older than ${cutoff.toISOString()} from ${DEFAULT_PARTITION}`,
      );
    }
    return {
      retentionDays: monitoring.retentionDays,
      cutoff: cutoff.toISOString(),
      dropped,
      deletedFromDefault,
    };
  }

  /**
   * The night's work, after the evaluation: partitions ahead, then the retention. Each step's
   * failure is logged and reported, not thrown.
   */
  async maintain(now = new Date()): Promise<PartitionMaintenance> {
    const started = performance.now();
    const report: PartitionMaintenance = {
      retentionDays: this.options.monitoring.retentionDays,
      cutoff: this.cutoff(now, this.options.monitoring.retentionDays).toISOString(),
      created: [],
      dropped: [],
      deletedFromDefault: 0,
      errors: [],
      seconds: 0,
    };
    try {
      report.created = await this.prepare(now);
    } catch (error) {
      report.errors.push(`creating partitions: ${(error as Error).message}`);
    }
    try {
      Object.assign(report, await this.applyRetention(now));
    } catch (error) {
      report.errors.push(`retention: ${(error as Error).message}`);
    }
    for (const error of report.errors) this.logger.error(`Partitions of predictions: ${error}`);
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  private cutoff(now: Date, retentionDays: number): Date {
    return new Date(now.getTime() - retentionDays * DAY_MS);
  }
}
