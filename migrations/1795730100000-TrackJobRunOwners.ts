import { MigrationInterface, QueryRunner } from 'typeorm';
import { ANALYST_ROLE } from './1795710100000-CreateAnalystRole';

/**
 * Job runs that outlive their process, and exclusivity no other role can take:
 *  - `job_locks` holds one row per job; a run holds `SELECT … FOR UPDATE NOWAIT` on it for its
 *    whole duration. FOR UPDATE needs UPDATE on the table, which only the service's role has
 *    (the analyst reads it, as every bookkeeping table), unlike an advisory lock, which any
 *    role that can connect may take;
 *  - `job_runs.lock_xid` is the id of the transaction holding that row lock: a `running` row
 *    whose transaction is no longer in progress lost its process, and becomes `abandoned`;
 *  - a scheduled slot is unique among its running and succeeded runs only, so a failed or
 *    abandoned slot can be run again (catch-up) and keeps the record of the attempt.
 */
export class TrackJobRunOwners1795730100000 implements MigrationInterface {
  name = 'TrackJobRunOwners1795730100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE job_locks (job text PRIMARY KEY)`);
    await queryRunner.query(`INSERT INTO job_locks (job) VALUES ('retraining-evaluation')`);
    // Also given by the default privileges; stated here because the lock depends on it.
    await queryRunner.query(`REVOKE ALL ON job_locks FROM ${ANALYST_ROLE}`);
    await queryRunner.query(`GRANT SELECT ON job_locks TO ${ANALYST_ROLE}`);

    await queryRunner.query(`ALTER TABLE job_runs ADD COLUMN lock_xid xid8`);
    await queryRunner.query(`ALTER TABLE job_runs DROP CONSTRAINT job_runs_status_check`);
    await queryRunner.query(
      `ALTER TABLE job_runs ADD CONSTRAINT job_runs_status_check
         CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned'))`,
    );
    await queryRunner.query(`ALTER TABLE job_runs DROP CONSTRAINT job_runs_job_scheduled_for_key`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX job_runs_slot_idx ON job_runs (job, scheduled_for)
        WHERE status IN ('running', 'succeeded')`,
    );
    // Every status read and run start looks for running rows whose process has gone.
    await queryRunner.query(
      `CREATE INDEX job_runs_running_idx ON job_runs (job) WHERE status = 'running'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The old unique slot: of several attempts at one slot, the latest stays.
    await queryRunner.query(`
      UPDATE model_evaluations e SET job_run_id = NULL
        FROM job_runs r, job_runs later
       WHERE e.job_run_id = r.id AND later.job = r.job
         AND later.scheduled_for = r.scheduled_for AND later.id > r.id`);
    await queryRunner.query(`
      DELETE FROM job_runs r USING job_runs later
       WHERE later.job = r.job AND later.scheduled_for = r.scheduled_for AND later.id > r.id`);
    await queryRunner.query(`DROP INDEX job_runs_running_idx`);
    await queryRunner.query(`DROP INDEX job_runs_slot_idx`);
    await queryRunner.query(
      `ALTER TABLE job_runs ADD CONSTRAINT job_runs_job_scheduled_for_key UNIQUE (job, scheduled_for)`,
    );
    await queryRunner.query(`UPDATE job_runs SET status = 'failed' WHERE status = 'abandoned'`);
    await queryRunner.query(`ALTER TABLE job_runs DROP CONSTRAINT job_runs_status_check`);
    await queryRunner.query(
      `ALTER TABLE job_runs ADD CONSTRAINT job_runs_status_check
         CHECK (status IN ('running', 'succeeded', 'failed'))`,
    );
    await queryRunner.query(`ALTER TABLE job_runs DROP COLUMN lock_xid`);
    await queryRunner.query(`DROP TABLE job_locks`);
  }
}
