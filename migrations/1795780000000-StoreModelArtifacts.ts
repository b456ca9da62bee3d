import { MigrationInterface, QueryRunner } from 'typeorm';
import { ANALYST_ROLE } from './1795710100000-CreateAnalystRole';

/**
 * Model versions in PostgreSQL, so that replicas need no shared folder: `model_artifacts` holds
 * each version's manifest as saved (its exact text and SHA-256), `model_artifact_files` each file
 * the model saved with its SHA-256. MODEL_DIR becomes a local cache of them, checked against the
 * stored hashes before a version serves. A version is written once and never changed. The analyst
 * reads neither: model files are the service's, not data (its other bookkeeping reads stay).
 */
export class StoreModelArtifacts1795780000000 implements MigrationInterface {
  name = 'StoreModelArtifacts1795780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_artifacts (
        model           text        NOT NULL,
        version         text        NOT NULL,
        manifest        text        NOT NULL,
        manifest_sha256 text        NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE model_artifact_files (
        model   text   NOT NULL,
        version text   NOT NULL,
        file    text   NOT NULL,
        sha256  text   NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size    bigint NOT NULL,
        content bytea  NOT NULL,
        PRIMARY KEY (model, version, file),
        FOREIGN KEY (model, version) REFERENCES model_artifacts (model, version) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `REVOKE ALL ON model_artifacts, model_artifact_files FROM ${ANALYST_ROLE}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_artifact_files`);
    await queryRunner.query(`DROP TABLE model_artifacts`);
  }
}
