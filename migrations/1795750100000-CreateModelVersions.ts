import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lifecycle of model versions, shared by every replica:
 *  - `model_versions`: each kept version of a model with its role. At most one champion (the
 *    version every replica serves) and one shadow (scored on live traffic, never answered) per
 *    model, held by partial unique indexes; the training summary and the gate report are kept
 *    with the version;
 *  - `model_promotions`: every promotion and rollback, who made it and why (an audit trail).
 * Replicas learn of a change by NOTIFY on `mle_model_versions` and, should they miss one, by
 * polling. The analyst reads both tables (default privileges) and changes neither.
 * Evaluations and retrains also become job runs: `evaluation` is the trigger of a retrain that
 * an evaluation started.
 */
export class CreateModelVersions1795750100000 implements MigrationInterface {
  name = 'CreateModelVersions1795750100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_versions (
        model        text        NOT NULL,
        version      text        NOT NULL,
        role         text        NOT NULL
                     CHECK (role IN ('champion', 'shadow', 'candidate', 'retired')),
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        shadow_until timestamptz,
        training     jsonb,
        gate         jsonb,
        PRIMARY KEY (model, version)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX model_versions_one_champion_idx ON model_versions (model)
        WHERE role = 'champion'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX model_versions_one_shadow_idx ON model_versions (model)
        WHERE role = 'shadow'`,
    );
    await queryRunner.query(`
      CREATE TABLE model_promotions (
        id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        model            text        NOT NULL,
        kind             text        NOT NULL CHECK (kind IN ('promotion', 'rollback')),
        version          text        NOT NULL,
        previous_version text,
        actor            text        NOT NULL,
        reason           text        NOT NULL,
        details          jsonb,
        at               timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
      )`);
    await queryRunner.query(
      `CREATE INDEX model_promotions_model_at_idx ON model_promotions (model, at DESC)`,
    );
    await queryRunner.query(`ALTER TABLE job_runs DROP CONSTRAINT job_runs_trigger_check`);
    await queryRunner.query(
      `ALTER TABLE job_runs ADD CONSTRAINT job_runs_trigger_check
         CHECK (trigger IN ('schedule', 'catch-up', 'manual', 'evaluation'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM job_runs WHERE trigger = 'evaluation'`);
    await queryRunner.query(`ALTER TABLE job_runs DROP CONSTRAINT job_runs_trigger_check`);
    await queryRunner.query(
      `ALTER TABLE job_runs ADD CONSTRAINT job_runs_trigger_check
         CHECK (trigger IN ('schedule', 'catch-up', 'manual'))`,
    );
    await queryRunner.query(`DROP TABLE model_promotions`);
    await queryRunner.query(`DROP TABLE model_versions`);
  }
}
