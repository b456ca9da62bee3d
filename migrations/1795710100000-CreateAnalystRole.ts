import { MigrationInterface, QueryRunner } from 'typeorm';

import { ANALYST_ROLE } from '@app/mle';

export { ANALYST_ROLE };
export const ANALYST_CONNECTION_LIMIT = 10;

/**
 * The `analyst` role: reads and writes the data tables, reads the service's bookkeeping tables,
 * and nothing else. The rule for tables created later, decided once:
 *  - every new table in `public` is readable by the analyst (default privileges below);
 *  - a data table grants INSERT, UPDATE, DELETE explicitly in the migration that creates it;
 *  - no table ever grants TRUNCATE, REFERENCES or TRIGGER, and nothing grants DDL.
 * The role is created NOLOGIN and this migration never touches an existing role's login or
 * password: roles are cluster-wide, so migrating another database of the cluster must not change
 * how the analyst logs in to this one. The password is set after the migrations, from
 * ANALYST_PASSWORD (`migrations/support/analyst-password.ts`, `npm run analyst:password`).
 */
export class CreateAnalystRole1795710100000 implements MigrationInterface {
  name = 'CreateAnalystRole1795710100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Roles are cluster-wide: the role may exist already (another database, an earlier run).
    await queryRunner.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ANALYST_ROLE}') THEN
          CREATE ROLE ${ANALYST_ROLE};
        END IF;
      END $$`);
    await queryRunner.query(
      `ALTER ROLE ${ANALYST_ROLE} WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ` +
        `NOBYPASSRLS NOINHERIT CONNECTION LIMIT ${ANALYST_CONNECTION_LIMIT}`,
    );

    // PG 15 revoked CREATE on public from PUBLIC, but upgraded clusters keep the old ACL.
    await queryRunner.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    // Temporary tables are DDL too; the owner of the database keeps the right.
    await queryRunner.query(`
      DO $$ BEGIN
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${ANALYST_ROLE}', current_database());
      END $$`);
    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO ${ANALYST_ROLE}`);

    await queryRunner.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ANALYST_ROLE}`);
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${ANALYST_ROLE}`,
    );
    // The sales plug-in's table, created just before this migration where that plug-in is
    // served; plug-ins grant on their own tables (`grantAnalystWrite`).
    await queryRunner.query(`
      DO $$ BEGIN
        IF to_regclass('public.sales') IS NOT NULL THEN
          GRANT INSERT, UPDATE, DELETE ON sales TO ${ANALYST_ROLE};
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM ${ANALYST_ROLE}`,
    );
    await queryRunner.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${ANALYST_ROLE}`);
    await queryRunner.query(`REVOKE ALL ON SCHEMA public FROM ${ANALYST_ROLE}`);
    await queryRunner.query(`
      DO $$ BEGIN
        EXECUTE format('REVOKE ALL ON DATABASE %I FROM ${ANALYST_ROLE}', current_database());
        EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
      END $$`);
    // Another database of the cluster may still use the role: then it stays, without rights here.
    await queryRunner.query(`
      DO $$ BEGIN
        DROP ROLE IF EXISTS ${ANALYST_ROLE};
      EXCEPTION WHEN dependent_objects_still_exist THEN
        RAISE NOTICE 'role ${ANALYST_ROLE} is still used by another database; kept';
      END $$`);
  }
}
