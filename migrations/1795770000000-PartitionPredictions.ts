import { MigrationInterface, QueryRunner } from 'typeorm';
import { ANALYST_ROLE } from './1795710100000-CreateAnalystRole';

/** The columns of `predictions` but `seq`, as the ingestion writes them. */
const COLUMNS =
  'id, request_id, input_id, predicted_at, model, model_version, prediction, probability, ' +
  'features, latency_ms, shadow';

/**
 * `predictions` partitioned by RANGE on `predicted_at`, one partition per UTC day
 * (`predictions_YYYYMMDD`), so that the nightly job drops a day older than the retention at once
 * instead of deleting its rows. A DEFAULT partition (`predictions_default`) takes a row whose day
 * has no partition yet, so an insert never fails; the service creates the days ahead and moves
 * such rows into their day's partition when it creates it.
 *
 * A unique key of a partitioned table must hold the partition key: the primary key becomes
 * `(id, predicted_at)`. `id` is the md5 of the log line, which holds the time, so one line still
 * has one key and loading it twice is still a conflict. `seq` keeps its values and order from a
 * sequence of its own and an index (no longer a unique constraint: the sequence alone hands out
 * each value once). The existing rows are copied into partitions covering their days, keeping
 * their `seq`, so the evaluation's checkpoint stays valid. The analyst reads the table and every
 * partition, as before, and changes none of them.
 *
 * `job_locks` gets the `prediction-partitions` row that serialises the creation of partitions
 * across replicas.
 */
export class PartitionPredictions1795770000000 implements MigrationInterface {
  name = 'PartitionPredictions1795770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE predictions RENAME TO predictions_unpartitioned`);
    await queryRunner.query(
      `ALTER TABLE predictions_unpartitioned RENAME CONSTRAINT predictions_pkey TO predictions_unpartitioned_pkey`,
    );
    await queryRunner.query(
      `ALTER INDEX predictions_predicted_at_idx RENAME TO predictions_unpartitioned_predicted_at_idx`,
    );

    await queryRunner.query(`CREATE SEQUENCE predictions_load_seq AS bigint`);
    await queryRunner.query(`
      CREATE TABLE predictions (
        id            uuid             NOT NULL,
        request_id    text             NOT NULL,
        input_id      text             NOT NULL,
        predicted_at  timestamptz      NOT NULL,
        model         text             NOT NULL,
        model_version text             NOT NULL,
        prediction    boolean          NOT NULL,
        probability   double precision NOT NULL,
        features      jsonb            NOT NULL,
        latency_ms    double precision,
        seq           bigint           NOT NULL DEFAULT nextval('predictions_load_seq'),
        shadow        boolean          NOT NULL DEFAULT false,
        PRIMARY KEY (id, predicted_at)
      ) PARTITION BY RANGE (predicted_at)`);
    await queryRunner.query(`ALTER SEQUENCE predictions_load_seq OWNED BY predictions.seq`);
    await queryRunner.query(
      `CREATE INDEX predictions_predicted_at_idx ON predictions USING brin (predicted_at)`,
    );
    // The evaluation folds in the rows past its checkpoint: `WHERE seq > $1`.
    await queryRunner.query(`CREATE INDEX predictions_seq_idx ON predictions (seq)`);
    await queryRunner.query(`CREATE TABLE predictions_default PARTITION OF predictions DEFAULT`);

    // One partition per UTC day that holds rows, before the rows are copied.
    await queryRunner.query(`
      DO $$
      DECLARE day date;
      BEGIN
        FOR day IN SELECT DISTINCT (predicted_at AT TIME ZONE 'UTC')::date
                     FROM predictions_unpartitioned ORDER BY 1 LOOP
          EXECUTE format(
            'CREATE TABLE %I PARTITION OF predictions FOR VALUES FROM (%L) TO (%L)',
            'predictions_' || to_char(day, 'YYYYMMDD'),
            day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
        END LOOP;
      END $$`);
    await queryRunner.query(
      `INSERT INTO predictions (${COLUMNS}, seq)
       SELECT ${COLUMNS}, seq FROM predictions_unpartitioned ORDER BY seq`,
    );
    // Past every seq handed out so far, loaded or rolled back.
    await queryRunner.query(`
      SELECT setval('predictions_load_seq', greatest(
        (SELECT max(seq) FROM predictions_unpartitioned),
        (SELECT last_value FROM pg_sequences
          WHERE schemaname = 'public'
            AND sequencename = pg_get_serial_sequence('predictions_unpartitioned', 'seq')::regclass::text),
        1))`);
    await queryRunner.query(`DROP TABLE predictions_unpartitioned`);
    await this.grantRead(queryRunner);

    await queryRunner.query(
      `INSERT INTO job_locks (job) VALUES ('prediction-partitions') ON CONFLICT DO NOTHING`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE predictions RENAME TO predictions_partitioned`);
    await queryRunner.query(
      `ALTER TABLE predictions_partitioned RENAME CONSTRAINT predictions_pkey TO predictions_partitioned_pkey`,
    );
    await queryRunner.query(
      `ALTER INDEX predictions_predicted_at_idx RENAME TO predictions_partitioned_predicted_at_idx`,
    );
    await queryRunner.query(
      `ALTER INDEX predictions_seq_idx RENAME TO predictions_partitioned_seq_idx`,
    );

    // The plain table as CreateMonitoring and ShadowPredictions left it.
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
        seq           bigint           GENERATED ALWAYS AS IDENTITY UNIQUE,
        shadow        boolean          NOT NULL DEFAULT false
      )`);
    await queryRunner.query(
      `CREATE INDEX predictions_predicted_at_idx ON predictions USING brin (predicted_at)`,
    );
    // A plain table's key is the id alone: of the same id at two times (which a line cannot
    // give), the first loaded stays.
    await queryRunner.query(
      `INSERT INTO predictions (${COLUMNS}, seq) OVERRIDING SYSTEM VALUE
       SELECT DISTINCT ON (id) ${COLUMNS}, seq FROM predictions_partitioned ORDER BY id, seq`,
    );
    await queryRunner.query(`
      SELECT setval(pg_get_serial_sequence('predictions', 'seq'), greatest(
        (SELECT max(seq) FROM predictions_partitioned),
        (SELECT last_value FROM pg_sequences
          WHERE schemaname = 'public' AND sequencename = 'predictions_load_seq'),
        1))`);
    await queryRunner.query(`DROP TABLE predictions_partitioned`);
    await this.grantRead(queryRunner);
    await queryRunner.query(`DELETE FROM job_locks WHERE job = 'prediction-partitions'`);
  }

  /** Also given by the default privileges; stated here because the audit trail depends on it. */
  private async grantRead(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      DECLARE t regclass;
      BEGIN
        FOR t IN SELECT 'predictions'::regclass
                 UNION ALL SELECT inhrelid::regclass FROM pg_inherits
                            WHERE inhparent = 'predictions'::regclass LOOP
          EXECUTE format('REVOKE ALL ON %s FROM ${ANALYST_ROLE}', t);
          EXECUTE format('GRANT SELECT ON %s TO ${ANALYST_ROLE}', t);
        END LOOP;
      END $$`);
  }
}
