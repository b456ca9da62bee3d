import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The monitoring tables: logged predictions (loaded from the prediction log files), per-file
 * ingestion checkpoints, what the evaluation keeps up to date as predictions and labels arrive
 * (the outcome of each input, daily feature counts), stored evaluations and job runs. All are
 * bookkeeping: the analyst role reads them (default privileges) and changes none of them —
 * `predictions` is an audit trail.
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
        latency_ms    double precision,
        -- Load order: the evaluation folds in the rows past the last one it has seen.
        seq           bigint           GENERATED ALWAYS AS IDENTITY UNIQUE
      )`);
    // By time (audits, pruning), as BRIN: lines are loaded roughly in time order, and a B-tree
    // would cost every load an index insert per row (a quarter of the load time here). By input,
    // `prediction_outcomes` answers.
    await queryRunner.query(
      `CREATE INDEX predictions_predicted_at_idx ON predictions USING brin (predicted_at)`,
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

    // The prediction that counts for each input, per model version (the latest; ties: the
    // smallest id), with its label as last seen: the evaluation counts these rows, so a run
    // costs the window's outcomes, not a join over the whole history. The key leads with the
    // input id (labels are looked up by it) and compares bytes ("C").
    await queryRunner.query(`
      CREATE TABLE prediction_outcomes (
        input_id      text COLLATE "C" NOT NULL,
        model         text COLLATE "C" NOT NULL,
        model_version text COLLATE "C" NOT NULL,
        predicted_at  timestamptz      NOT NULL,
        prediction_id uuid             NOT NULL,
        prediction    boolean          NOT NULL,
        label         boolean,
        PRIMARY KEY (input_id, model, model_version)
      )`);
    // Rows arrive roughly in time order (each night's new predictions): a BRIN index finds a
    // window's block ranges and costs next to nothing to keep up.
    await queryRunner.query(
      `CREATE INDEX prediction_outcomes_predicted_at_idx ON prediction_outcomes USING brin (predicted_at)`,
    );

    // Predictions per UTC day, feature and bin of the version's training reference (drift).
    await queryRunner.query(`
      CREATE TABLE prediction_feature_counts (
        model         text   NOT NULL,
        model_version text   NOT NULL,
        day           date   NOT NULL,
        feature       text   NOT NULL,
        bin           text   NOT NULL,
        count         bigint NOT NULL,
        PRIMARY KEY (model, model_version, day, feature, bin)
      )`);

    // How far the evaluation has folded in predictions (by seq) and checked labels (by time).
    await queryRunner.query(`
      CREATE TABLE monitoring_checkpoints (
        name       text        PRIMARY KEY,
        seq        bigint,
        at         timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
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
        ingestion          jsonb            NOT NULL,
        outcomes           jsonb            NOT NULL,
        timings            jsonb            NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX model_evaluations_evaluated_at_idx ON model_evaluations (evaluated_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_evaluations`);
    await queryRunner.query(`DROP TABLE job_runs`);
    await queryRunner.query(`DROP TABLE monitoring_checkpoints`);
    await queryRunner.query(`DROP TABLE prediction_feature_counts`);
    await queryRunner.query(`DROP TABLE prediction_outcomes`);
    await queryRunner.query(`DROP TABLE prediction_log_checkpoints`);
    await queryRunner.query(`DROP TABLE predictions`);
  }
}
