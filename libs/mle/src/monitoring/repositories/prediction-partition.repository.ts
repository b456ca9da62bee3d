import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ANALYST_ROLE } from '../../data/label-tracking.migration';

/** One partition of `predictions`: a UTC day `[from, to)`, or the DEFAULT partition. */
export interface PredictionPartition {
  name: string;
  /** Null for the DEFAULT partition. */
  from: Date | null;
  to: Date | null;
  /** `pg_total_relation_size`: the table, its indexes and TOAST. */
  bytes: number;
}

/** A day's partition created, and the rows it took over from the DEFAULT partition. */
export interface CreatedPartition {
  name: string;
  day: string;
  moved: number;
}

export interface DroppedPartition {
  name: string;
  from: string;
  to: string;
  bytes: number;
}

export const DEFAULT_PARTITION = 'predictions_default';
/** The `job_locks` row held while partitions are created or dropped (see PartitionPredictions). */
const PARTITIONS_LOCK = 'prediction-partitions';
const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `predictions_20261101` for the UTC day `2026-11-01`. */
export function partitionName(day: string): string {
  if (!DAY.test(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  return `predictions_${day.replaceAll('-', '')}`;
}

/**
 * The partitions of `predictions` (one per UTC day and a DEFAULT one), created and dropped under
 * the `prediction-partitions` row lock of `job_locks`, so that replicas starting together do not
 * race, each change waiting at most `lockTimeoutMs` for the tables' locks.
 */
@Injectable()
export class PredictionPartitionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every partition, the days in order and the DEFAULT partition last. */
  async list(): Promise<PredictionPartition[]> {
    const rows = await this.dataSource.query<
      { name: string; from: Date | null; to: Date | null; bytes: string }[]
    >(
      `SELECT c.relname AS name, b.m[1]::timestamptz AS "from", b.m[2]::timestamptz AS "to",
              pg_total_relation_size(c.oid) AS bytes
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         LEFT JOIN LATERAL (
           SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
                               'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS m
         ) b ON true
        WHERE i.inhparent = 'predictions'::regclass
        ORDER BY b.m[1]::timestamptz NULLS LAST`,
    );
    return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
  }

  /** The UTC days of the rows in the DEFAULT partition from `since` on. */
  async defaultDays(since: Date): Promise<string[]> {
    const rows = await this.dataSource.query<{ day: string }[]>(
      `SELECT DISTINCT to_char(predicted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
         FROM ${DEFAULT_PARTITION} WHERE predicted_at >= $1 ORDER BY 1`,
      [since],
    );
    return rows.map((r) => r.day);
  }

  /**
   * Creates the partitions of the UTC `days` that have none, in one transaction. PostgreSQL
   * refuses a partition whose range has rows in the DEFAULT partition, so each is built beside
   * the table, takes those rows over, and is then attached.
   */
  async create(
    days: readonly string[],
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<CreatedPartition[]> {
    return this.locked(lockTimeoutMs, async (manager) => {
      const existing = new Set(
        (
          await manager.query<{ name: string }[]>(
            `SELECT inhrelid::regclass::text AS name FROM pg_inherits
              WHERE inhparent = 'predictions'::regclass`,
          )
        ).map((r) => r.name),
      );
      const created: CreatedPartition[] = [];
      for (const day of [...new Set(days)].sort()) {
        const name = partitionName(day);
        if (existing.has(name)) continue;
        const from = new Date(`${day}T00:00:00Z`);
        const to = new Date(from.getTime() + DAY_MS);
        await manager.query(`CREATE TABLE ${name} (LIKE predictions INCLUDING DEFAULTS)`);
        const [{ moved }] = await manager.query<{ moved: number }[]>(
          `WITH moved AS (
             DELETE FROM ${DEFAULT_PARTITION}
              WHERE predicted_at >= $1 AND predicted_at < $2 RETURNING *
           ), kept AS (INSERT INTO ${name} SELECT * FROM moved)
           SELECT count(*)::int AS moved FROM moved`,
          [from, to],
        );
        await manager.query(
          `ALTER TABLE predictions ATTACH PARTITION ${name}
             FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
        );
        // Also given by the default privileges to the role that ran the migrations.
        await manager.query(`GRANT SELECT ON ${name} TO ${ANALYST_ROLE}`);
        created.push({ name, day, moved });
      }
      return created;
    });
  }

  /**
   * Detaches and drops every day's partition that ends at or before `cutoff`, one transaction
   * each, so that the table is locked only a moment at a time; a partition that reaches past
   * `cutoff` is never touched. Answers what it dropped, oldest first.
   */
  async dropEndingBy(
    cutoff: Date,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<DroppedPartition[]> {
    const dropped: DroppedPartition[] = [];
    for (const partition of await this.list()) {
      if (!partition.from || !partition.to || partition.to > cutoff) continue;
      // Only the day partitions this repository names (the name goes into DDL as it is).
      if (partition.name !== partitionName(partition.from.toISOString().slice(0, 10))) continue;
      const done = await this.locked(lockTimeoutMs, async (manager) => {
        // Still there and still ending by the cutoff: another process may have dropped it.
        const [row] = await manager.query<{ bytes: string }[]>(
          `SELECT pg_total_relation_size(c.oid) AS bytes
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'predictions'::regclass AND c.relname = $1`,
          [partition.name],
        );
        if (!row) return undefined;
        await manager.query(`ALTER TABLE predictions DETACH PARTITION ${partition.name}`);
        await manager.query(`DROP TABLE ${partition.name}`);
        return Number(row.bytes);
      });
      if (done === undefined) continue;
      dropped.push({
        name: partition.name,
        from: partition.from.toISOString(),
        to: partition.to.toISOString(),
        bytes: done,
      });
    }
    return dropped;
  }

  /** Deletes the DEFAULT partition's rows older than `cutoff` (days with no partition); how many. */
  async deleteDefaultBefore(
    cutoff: Date,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<number> {
    return this.locked(lockTimeoutMs, async (manager) => {
      const [, count] = await manager.query<[unknown, number]>(
        `DELETE FROM ${DEFAULT_PARTITION} WHERE predicted_at < $1`,
        [cutoff],
      );
      return Number(count ?? 0);
    });
  }

  private async locked<T>(
    lockTimeoutMs: number,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      await manager.query(`INSERT INTO job_locks (job) VALUES ($1) ON CONFLICT DO NOTHING`, [
        PARTITIONS_LOCK,
      ]);
      await manager.query(`SELECT job FROM job_locks WHERE job = $1 FOR UPDATE`, [PARTITIONS_LOCK]);
      return work(manager);
    });
  }
}
