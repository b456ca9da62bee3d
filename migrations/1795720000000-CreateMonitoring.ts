import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The monitoring tables: logged predictions (loaded from the prediction log files), per-file
 * ingestion checkpoints, stored evaluations and job runs. All are bookkeeping: the analyst role
 * reads them (default privileges) and changes none of them — `predictions` is an audit trail.
 */
export class CreateMonitoring1795720000000 implements MigrationInterface {
  name = 'CreateMonitoring1795720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per log line. `id` is derived from the line itself (md5 as uuid), so loading the
    // same line twice — after a lost checkpoint, or from a file and its gzipped copy — is a no-op.
    await queryRunner.query(`
      CREATE TABLE predictions (
        id            uuid             PRIMARY KEY,
        request_id    text             NOT NULL,
        input_id      text             NOT NULL,
        predicted_at  timestamptz      NOT NULL,
        model         text             NOT NULL,
        model_version text             NOT NULL,
        prediction    boolean          NOT NULL,
        probability   double precision NOT NULL,
        features      jsonb            NOT NULL,
        latency_ms    double precision
      )`);
    await queryRunner.query(
      `CREATE INDEX predictions_predicted_at_idx ON predictions (predicted_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX predictions_input_id_idx ON predictions (input_id, predicted_at DESC)`,
    );

    // How far each prediction log file has been loaded: bytes of its (uncompressed) content up to
    // the last complete line. `file` is the name without `.gz`, so gzipping keeps the identity.
    await queryRunner.query(`
      CREATE TABLE prediction_log_checkpoints (
        file           text        PRIMARY KEY,
        position       bigint      NOT NULL CHECK (position >= 0),
        lines          bigint      NOT NULL DEFAULT 0,
        skipped_lines  bigint      NOT NULL DEFAULT 0,
        completed      boolean     NOT NULL DEFAULT false,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE job_runs (
        id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job           text        NOT NULL,
        scheduled_for timestamptz NOT NULL,
        trigger       text        NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'manual')),
        status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        started_at    timestamptz NOT NULL DEFAULT now(),
        finished_at   timestamptz,
        error         text,
        host          text,
        UNIQUE (job, scheduled_for)
      )`);
    await queryRunner.query(
      `CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE model_evaluations (
        id                 bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        evaluated_at       timestamptz      NOT NULL DEFAULT now(),
        job_run_id         bigint           REFERENCES job_runs (id),
        window_from        timestamptz      NOT NULL,
        window_to          timestamptz      NOT NULL,
        model              text             NOT NULL,
        model_version      text,
        recommendation     text             NOT NULL
                           CHECK (recommendation IN ('OK', 'RETRAIN', 'INSUFFICIENT_DATA')),
        reasons            jsonb            NOT NULL,
        accuracy           double precision,
        labelled           integer          NOT NULL,
        threshold          double precision NOT NULL,
        min_labelled       integer          NOT NULL,
        metrics            jsonb            NOT NULL,
        drift              jsonb            NOT NULL,
        ingestion          jsonb            NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX model_evaluations_evaluated_at_idx ON model_evaluations (evaluated_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_evaluations`);
    await queryRunner.query(`DROP TABLE job_runs`);
    await queryRunner.query(`DROP TABLE prediction_log_checkpoints`);
    await queryRunner.query(`DROP TABLE predictions`);
  }
}
