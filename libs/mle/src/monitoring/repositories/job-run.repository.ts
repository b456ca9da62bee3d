import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import type { PartitionMaintenance } from '../prediction-partitions.service';

export type RunTrigger = 'schedule' | 'catch-up' | 'manual' | 'evaluation';

export interface JobRun {
  id: string;
  trigger: RunTrigger;
  status: 'running' | 'succeeded' | 'failed' | 'abandoned';
  scheduledFor: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  host: string | null;
  /** What the run did to the partitions of `predictions`; null before it got there. */
  partitions: PartitionMaintenance | null;
}

interface JobRunRow {
  id: string;
  trigger: RunTrigger;
  status: JobRun['status'];
  scheduled_for: Date;
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
  host: string | null;
  partitions: PartitionMaintenance | null;
}

function toJobRun(row: JobRunRow): JobRun {
  return {
    id: String(row.id),
    trigger: row.trigger,
    status: row.status,
    scheduledFor: row.scheduled_for.toISOString(),
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    error: row.error,
    host: row.host,
    partitions: row.partitions,
  };
}

/** A job's lock, held by an open transaction on a connection of its own until released. */
export interface JobLock {
  /** The id of the transaction that holds the lock (recorded in the run's row). */
  xid: string;
  release(): Promise<void>;
}

/** A granted table lock strong enough to hold up the service's reads or writes. */
export interface TableLockHolder {
  table: string;
  mode: string;
  role: string;
  pid: number;
}

const LOCK_NOT_AVAILABLE = '55P03';

/** Whether `error` is PostgreSQL's "lock not available" (NOWAIT, or lock_timeout firing). */
export function isLockNotAvailable(error: unknown): boolean {
  const { code, driverError } = (error ?? {}) as { code?: string; driverError?: { code?: string } };
  return (code ?? driverError?.code) === LOCK_NOT_AVAILABLE;
}

/** `job_runs` and `job_locks`: the record of each run, and the lock that makes runs exclusive. */
@Injectable()
export class JobRunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Locks the job's row in `job_locks` (FOR UPDATE NOWAIT: only a role with UPDATE on the
   * table can), or answers undefined when another run holds it.
   */
  async lock(job: string): Promise<JobLock | undefined> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`INSERT INTO job_locks (job) VALUES ($1) ON CONFLICT DO NOTHING`, [job]);
      await runner.startTransaction();
      await runner.query(`SELECT job FROM job_locks WHERE job = $1 FOR UPDATE NOWAIT`, [job]);
      const [{ xid }] = (await runner.query(`SELECT pg_current_xact_id()::text AS xid`)) as {
        xid: string;
      }[];
      return {
        xid,
        release: async () => {
          // Ends the transaction, which releases the row lock.
          await runner.rollbackTransaction().catch(() => undefined);
          await runner.release();
        },
      };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
      if (isLockNotAvailable(error)) return undefined;
      throw error;
    }
  }

  /**
   * Marks `abandoned` the job's `running` rows whose lock transaction has ended: their process
   * was killed or lost the database before recording an outcome. Answers the rows it marked.
   */
  async abandonDead(job: string): Promise<JobRun[]> {
    const rows = await this.dataSource.query<[JobRunRow[], number]>(
      `UPDATE job_runs
          SET status = 'abandoned', finished_at = now(),
              error = format('the process running it (host %s) stopped before it finished: '
                             || 'its lock transaction %s', coalesce(host, 'unknown'),
                             coalesce(pg_xact_status(lock_xid), 'is gone'))
        WHERE job = $1 AND status = 'running'
          AND (lock_xid IS NULL OR pg_xact_status(lock_xid) IS DISTINCT FROM 'in progress')
        RETURNING *`,
      [job],
    );
    return rows[0].map(toJobRun);
  }

  /**
   * Records a run as started, or answers undefined when its slot is running or has succeeded
   * (a failed or abandoned slot is run again, beside the record of the earlier attempt).
   */
  async start(run: {
    job: string;
    scheduledFor: Date;
    trigger: RunTrigger;
    host: string;
    lock: JobLock;
  }): Promise<string | undefined> {
    const inserted = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO job_runs (job, scheduled_for, trigger, status, host, lock_xid)
       VALUES ($1, $2, $3, 'running', $4, $5::xid8)
       ON CONFLICT (job, scheduled_for) WHERE status IN ('running', 'succeeded') DO NOTHING
       RETURNING id`,
      [run.job, run.scheduledFor, run.trigger, run.host, run.lock.xid],
    );
    return inserted.length === 0 ? undefined : String(inserted[0].id);
  }

  /** Records the outcome of a run that is running (or was marked abandoned in the meantime). */
  async finish(
    id: string,
    status: 'succeeded' | 'failed',
    error?: string,
    partitions?: PartitionMaintenance,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE job_runs SET status = $2, finished_at = now(), error = $3,
              partitions = coalesce($4::jsonb, partitions)
        WHERE id = $1 AND status IN ('running', 'abandoned')`,
      [id, status, error ?? null, partitions ? JSON.stringify(partitions) : null],
    );
  }

  async last(job: string): Promise<JobRun | undefined> {
    const [run] = await this.recent(job, 1);
    return run;
  }

  /** The job's latest runs, newest first. */
  async recent(job: string, limit: number): Promise<JobRun[]> {
    const rows = await this.dataSource.query<JobRunRow[]>(
      `SELECT * FROM job_runs WHERE job = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
      [job, limit],
    );
    return rows.map(toJobRun);
  }

  /** When the job's last scheduled (or catch-up) run succeeded. */
  async lastScheduledSuccess(job: string): Promise<Date | undefined> {
    const [row] = await this.dataSource.query<{ at: Date | null }[]>(
      `SELECT max(scheduled_for) AS at FROM job_runs
        WHERE job = $1 AND status = 'succeeded' AND trigger IN ('schedule', 'catch-up')`,
      [job],
    );
    return row?.at ?? undefined;
  }

  /** The granted table locks of other sessions that conflict with reading or writing a table. */
  async tableLockHolders(): Promise<TableLockHolder[]> {
    return this.dataSource.query<TableLockHolder[]>(
      `SELECT c.relname AS "table", l.mode, coalesce(a.usename, '?') AS role, l.pid
         FROM pg_locks l
         JOIN pg_class c ON c.oid = l.relation
         LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
          AND c.relnamespace = 'public'::regnamespace
        ORDER BY c.relname, l.pid`,
    );
  }
}
