import { createHash, hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatabaseError, PoolClient } from 'pg';
import { Features } from '../../feature-schema';
import { from as copyFrom } from 'pg-copy-streams';
import { BinaryCopyEncoder } from './binary-copy.encoder';
import { FeatureCounts, ReferenceLookup } from './feature-counts';
import { ValidPrediction } from './prediction-line.parser';

/** How far a batch takes one file: the checkpoint row its transaction writes. */
export interface CheckpointAdvance {
  /** The file's name without `.gz`. */
  file: string;
  /** The checkpoint's position when the batch began; null when the file had no checkpoint. */
  expected: number | null;
  /** Bytes of uncompressed content consumed, up to the end of the last complete line. */
  position: number;
  /** The fingerprint of the content just before `position` (see `LineSplitter`). */
  fingerprint: string | null;
  lines: number;
  skipped: number;
  completed: boolean;
}

export interface BatchOutcome {
  staged: number;
  inserted: number;
  /** `model version` of predictions that were not counted for drift: no training reference. */
  uncounted: string[];
}

const COLUMNS =
  'id, request_id, input_id, predicted_at, model, model_version, prediction, probability, ' +
  'features, latency_ms, shadow';
const UNIQUE_VIOLATION = '23505';

/** The id of a log line: the md5 of its text in hex, which PostgreSQL reads as a uuid. */
const lineId: (line: string) => string =
  // `crypto.hash` (Node 20.12+) is about twice as fast as a Hash object for one short input.
  typeof hash === 'function'
    ? (line) => hash('md5', line)
    : (line) => createHash('md5').update(line).digest('hex');

/**
 * Valid lines, staged in COPY's binary format, the checkpoints they advance and the lines'
 * feature counts (drift), written in one transaction, so that a line lands exactly once
 * whatever fails when.
 *
 * The rows are copied straight into `predictions`. Should one already be there (a line read
 * again after a lost checkpoint), that transaction is rolled back and the batch goes through a
 * temporary table and `INSERT … ON CONFLICT (id, predicted_at) DO NOTHING` instead (the key of
 * the partitioned table holds its partition key; a line's time is part of its id, so the pair is
 * as unique as the id): the common case costs one COPY, the rare one a second pass.
 */
export class PredictionBatch {
  /** Lines taken in, valid or not. */
  lines = 0;
  private staged = 0;
  private rows = new BinaryCopyEncoder();
  private data: Buffer | undefined;
  private readonly advances: CheckpointAdvance[] = [];
  private counts = new FeatureCounts();
  /** `model version` of staged predictions without a reference to count them by. */
  private readonly uncounted = new Set<string>();
  /** The UTC days (days since 1970-01-01) of the staged predictions. */
  private readonly dayNumbers = new Set<number>();

  /** `referenceOf` gives the training reference each version's predictions are counted by. */
  constructor(private readonly referenceOf?: ReferenceLookup) {}

  /** Stages a valid line; `prediction` is what `parsePredictionLine` made of it. */
  add(line: string, prediction: ValidPrediction): void {
    const rows = this.rows;
    this.count(prediction);
    this.dayNumbers.add(Math.floor(prediction.at / 86_400_000));
    rows.row(11);
    rows.uuid(lineId(line));
    rows.text(prediction.requestId);
    rows.text(prediction.inputId);
    rows.timestamptz(prediction.at);
    rows.text(prediction.model);
    rows.text(prediction.modelVersion);
    rows.bool(prediction.prediction);
    rows.float8(prediction.probability);
    rows.jsonb(JSON.stringify(prediction.features));
    rows.float8(prediction.latencyMs);
    rows.bool(prediction.shadow);
    this.staged += 1;
    this.lines += 1;
  }

  /** The UTC days of the staged predictions, `YYYY-MM-DD`, in order. */
  get days(): string[] {
    return [...this.dayNumbers]
      .sort((a, b) => a - b)
      .map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10));
  }

  /** Counts a line that is not staged (malformed). */
  skip(): void {
    this.lines += 1;
  }

  /** Registers a file's checkpoint for this batch; the caller moves it on as it reads. */
  track(advance: CheckpointAdvance): CheckpointAdvance {
    this.advances.push(advance);
    return advance;
  }

  /** Writes the batch in one transaction on `client`. */
  async commit(client: PoolClient): Promise<BatchOutcome> {
    this.data ??= this.rows.finish();
    // A file read again from its start may end where its checkpoint was: its lines still count.
    const advances = this.advances.filter(
      (a) => a.completed || a.lines > 0 || a.position !== (a.expected ?? 0),
    );
    const uncounted = [...this.uncounted];
    if (this.staged === 0 && advances.length === 0) return { staged: 0, inserted: 0, uncounted };
    try {
      let inserted = this.staged;
      await this.begin(client);
      if (this.staged > 0) {
        try {
          await this.copyInto(client, 'predictions');
        } catch (error) {
          if (!(error instanceof DatabaseError) || error.code !== UNIQUE_VIOLATION) throw error;
          await client.query('ROLLBACK');
          inserted = await this.insertNew(client);
        }
        await this.counts.save(client);
      }
      if (advances.length > 0) await saveCheckpoints(client, advances);
      await client.query('COMMIT');
      return { staged: this.staged, inserted, uncounted };
    } catch (error) {
      // A ROLLBACK that fails leaves a broken connection, which the pool discards.
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Counts a staged prediction: by class and probability always (performance estimation), its
   * features by its version's reference when there is one (drift).
   */
  private count(
    p: Pick<
      ValidPrediction,
      'model' | 'modelVersion' | 'at' | 'features' | 'prediction' | 'probability'
    >,
  ): void {
    if (!this.referenceOf) return;
    const reference = this.referenceOf(p.model, p.modelVersion);
    if (!reference) this.uncounted.add(`${p.model} ${p.modelVersion}`);
    this.counts.add(p.model, p.modelVersion, p.at, p, p.features, reference);
  }

  private async begin(client: PoolClient): Promise<void> {
    // Should the database server crash, it may lose the last commits, but each together with
    // its checkpoint: their lines are read again. Not waiting for the WAL flush saves time.
    await client.query('BEGIN; SET LOCAL synchronous_commit TO off');
  }

  private async copyInto(client: PoolClient, table: string): Promise<void> {
    // One write: the socket drains while this thread reads the next batch.
    await pipeline(
      Readable.from([this.data]),
      client.query(copyFrom(`COPY ${table} (${COLUMNS}) FROM STDIN (FORMAT binary)`)),
    );
  }

  /** Inserts the rows not yet in `predictions`, and counts them; the number inserted. */
  private async insertNew(client: PoolClient): Promise<number> {
    await this.begin(client);
    await client.query(
      `CREATE TEMP TABLE prediction_log_staging ON COMMIT DROP AS
       SELECT ${COLUMNS} FROM predictions WITH NO DATA`,
    );
    await this.copyInto(client, 'prediction_log_staging');
    const result = await client.query<{
      model: string;
      model_version: string;
      at: number;
      features: Features;
      prediction: boolean;
      probability: number;
    }>(
      `INSERT INTO predictions (${COLUMNS})
       SELECT ${COLUMNS} FROM prediction_log_staging
       ON CONFLICT (id, predicted_at) DO NOTHING
       RETURNING model, model_version, extract(epoch FROM predicted_at) * 1000 AS at, features,
                 prediction, probability`,
    );
    // Only the rows inserted now count for drift: the others were counted when they were.
    this.counts = new FeatureCounts();
    for (const row of result.rows) {
      this.count({
        model: row.model,
        modelVersion: row.model_version,
        at: Number(row.at),
        features: row.features,
        prediction: row.prediction,
        probability: row.probability,
      });
    }
    return result.rowCount ?? 0;
  }
}

async function saveCheckpoints(client: PoolClient, advances: CheckpointAdvance[]): Promise<void> {
  // A checkpoint moves only from where this batch found it: should another ingestion have
  // moved it meanwhile, its rows are already in and this batch's are duplicates.
  await client.query(
    `WITH advance (file, expected, position, lines, skipped, completed, fingerprint) AS (
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],
                            $5::bigint[], $6::boolean[], $7::text[])
     )
     INSERT INTO prediction_log_checkpoints AS c
            (file, position, lines, skipped_lines, completed, fingerprint)
     SELECT file, position, lines, skipped, completed, fingerprint FROM advance
     ON CONFLICT (file) DO UPDATE
        SET position = EXCLUDED.position,
            fingerprint = EXCLUDED.fingerprint,
            lines = c.lines + EXCLUDED.lines,
            skipped_lines = c.skipped_lines + EXCLUDED.skipped_lines,
            completed = EXCLUDED.completed,
            updated_at = now()
      WHERE c.position IS NOT DISTINCT FROM
            (SELECT a.expected FROM advance a WHERE a.file = EXCLUDED.file)`,
    [
      advances.map((a) => a.file),
      advances.map((a) => a.expected),
      advances.map((a) => a.position),
      advances.map((a) => a.lines),
      advances.map((a) => a.skipped),
      advances.map((a) => a.completed),
      advances.map((a) => a.fingerprint),
    ],
  );
}
