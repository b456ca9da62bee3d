import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FileHandle, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { PREDICTION_LOG_OPTIONS } from '../module/mle.constants';
import { PredictionLogOptions } from '../prediction-log/prediction-log.options';
import { ReferenceLookup } from './ingestion/feature-counts';
import { FINGERPRINT_BYTES, fingerprintOf, LineSplitter } from './ingestion/line.splitter';
import { parsePredictionLine } from './ingestion/prediction-line.parser';
import { findPredictionLogFiles, PredictionLogFile } from './ingestion/prediction-log.finder';
import { CheckpointAdvance, PredictionBatch } from './ingestion/prediction.batch';
import { PredictionPartitions } from './prediction-partitions.service';

/** What one ingestion did. */
export interface IngestionSummary {
  /** Prediction log files found (a file and its gzipped copy count once). */
  files: number;
  /** Files opened because they could hold new lines. */
  filesRead: number;
  /** Complete lines read. */
  lines: number;
  inserted: number;
  /** Valid lines already in `predictions` (read again, e.g. after a lost checkpoint). */
  duplicates: number;
  /**
   * Malformed lines, truncated last lines of gzipped files, and partial last lines of plain files
   * no longer written (see `TAIL_ABANDONED_AFTER_MS`).
   */
  skipped: number;
  /**
   * Files whose content no longer matched their checkpoint (shorter than it, or other bytes
   * before it): reported, and read again from the start (lines already loaded count as
   * duplicates).
   */
  mismatched: number;
  /** `model version` of loaded predictions not counted for drift: no training reference. */
  uncountedVersions: string[];
  seconds: number;
}

/** Called after each file is read, with the lines read from it. */
export type IngestionProgressListener = (progress: { file: string; lines: number }) => void;

interface Checkpoint {
  position: number;
  completed: boolean;
  fingerprint: string | null;
}

/** The content of a file does not match its checkpoint. */
class CheckpointMismatch extends Error {}

/**
 * A plain file not modified for this long is no longer written (its writer never leaves a
 * partial line for more than one write; it cuts one off a file it abandons): bytes after its last
 * newline are a truncated line, counted as malformed.
 */
export const TAIL_ABANDONED_AFTER_MS = 10 * 60_000;

/** Lines per transaction: the checkpoint moves this often, and at most two batches are held. */
const BATCH_LINES = 20_000;
const READ_CHUNK_BYTES = 1 << 20;
/**
 * Files loaded side by side, each on its own connection: writing the rows (indexes, WAL) is
 * most of the work, and one server process does it for one connection.
 */
const LANES = 2;

/**
 * Loads new prediction-log lines of every process into `predictions`, exactly once.
 *
 * Each file resumes from its checkpoint in `prediction_log_checkpoints` (bytes consumed up to the
 * last complete line, keyed by the name without `.gz`):
 * - the current file of a running process is read up to its last complete line; a line still
 *   being written waits for the next run, and a file that has not grown is not read;
 * - a gzipped file is complete: its content is decompressed, the bytes already loaded are
 *   skipped, a truncated last line is counted as skipped, and its checkpoint is marked
 *   completed so that it is never opened again. When a file and its gzipped copy both exist
 *   (while the writer archives it), the gzipped one is read.
 *
 * Lines are written in batches, each in one transaction with its checkpoints (see
 * `PredictionBatch`); the next batch is read while the previous one is written, and two files
 * are loaded at a time on two connections. Memory is bounded by the batches, whatever the
 * volume. Malformed lines are counted and skipped. Within a process, `PredictionLogIngestion`
 * runs it one at a time; a run of another process on the same folder inserts nothing twice: a
 * checkpoint moves only from where its batch found it, and a line's id is unique.
 */
@Injectable()
export class PredictionLogIngester {
  private readonly logger = new Logger('PredictionLogIngester');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PREDICTION_LOG_OPTIONS) private readonly options: PredictionLogOptions,
    // Absent where `predictions` is not partitioned by the kit (a bare ingester in a test).
    @Optional() private readonly partitions?: PredictionPartitions,
  ) {}

  /**
   * Loads every new line of every prediction log file under the log folder. With `referenceOf`,
   * the lines are also counted per day, feature and bin of their version's training reference
   * (for drift), in the same transactions. Once `signal` aborts, no further file is opened and
   * the file being read stops at the chunk read: what was read is committed with its checkpoint,
   * and the next run goes on from there.
   */
  async ingest(
    onProgress?: IngestionProgressListener,
    referenceOf?: ReferenceLookup,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<IngestionSummary> {
    const started = performance.now();
    const files = await findPredictionLogFiles(this.options.dir);
    const summary: IngestionSummary = {
      files: files.length,
      filesRead: 0,
      lines: 0,
      inserted: 0,
      duplicates: 0,
      skipped: 0,
      mismatched: 0,
      uncountedVersions: [],
      seconds: 0,
    };
    if (files.length > 0) {
      const checkpoints = await loadCheckpoints(this.dataSource, files);
      const pending = files.filter((f) => !checkpoints.get(f.name)?.completed);
      const queue = pending.values();
      let failed = false;
      const next = () => (failed || signal?.aborted ? undefined : queue.next().value);
      const lanes = Array.from({ length: Math.min(LANES, pending.length) }, () =>
        this.lane(next, checkpoints, summary, onProgress, referenceOf, signal).catch(
          (error: unknown) => {
            failed = true;
            throw error;
          },
        ),
      );
      const failure = (await Promise.allSettled(lanes)).find((o) => o.status === 'rejected');
      if (failure) throw failure.reason;
    }
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  }

  /**
   * What the next run would read: the files under the log folder with bytes past their
   * checkpoint (a gzipped file not completed counts by its compressed size).
   */
  async backlog(): Promise<{ files: number; bytes: number }> {
    const files = await findPredictionLogFiles(this.options.dir);
    if (files.length === 0) return { files: 0, bytes: 0 };
    const checkpoints = await loadCheckpoints(this.dataSource, files);
    const left = { files: 0, bytes: 0 };
    for (const file of files) {
      const checkpoint = checkpoints.get(file.name);
      if (checkpoint?.completed) continue;
      const path = join(this.options.dir, file.gzipped ? `${file.name}.gz` : file.name);
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      const bytes = file.gzipped ? size : size - (checkpoint?.position ?? 0);
      if (bytes <= 0) continue;
      left.files += 1;
      left.bytes += bytes;
    }
    return left;
  }

  /** Loads whole files, one at a time, on a connection of its own until `next` has none. */
  private async lane(
    next: () => PredictionLogFile | undefined,
    checkpoints: Map<string, Checkpoint>,
    summary: IngestionSummary,
    onProgress: IngestionProgressListener | undefined,
    referenceOf: ReferenceLookup | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    const run = new IngestionRun(client, summary, referenceOf, signal, this.partitions);
    try {
      for (let file = next(); file; file = next()) {
        const lines = await this.read(run, file, checkpoints.get(file.name));
        if (lines !== undefined) onProgress?.({ file: file.name, lines });
      }
      await run.finish();
    } finally {
      await run.settle();
      await runner.release();
    }
  }

  /** Reads a file's new lines into the run; the lines read, or undefined if it was not read. */
  private async read(
    run: IngestionRun,
    file: PredictionLogFile,
    checkpoint: Checkpoint | undefined,
  ): Promise<number | undefined> {
    if (checkpoint?.completed) return undefined;
    try {
      return await this.readFrom(run, file, checkpoint, checkpoint?.position ?? 0);
    } catch (error) {
      if (!(error instanceof CheckpointMismatch)) throw error;
      run.summary.mismatched += 1;
      this.logger.warn(
        `${file.name}: ${error.message}; it no longer holds what its checkpoint ` +
          `(byte ${checkpoint?.position}) recorded. Reading it again from the start.`,
      );
      return this.readFrom(run, file, checkpoint, 0);
    }
  }

  /** Reads `file` from byte `from` (its checkpoint's position, or 0 to read it again). */
  private async readFrom(
    run: IngestionRun,
    file: PredictionLogFile,
    checkpoint: Checkpoint | undefined,
    from: number,
  ): Promise<number | undefined> {
    // Only a resumed read checks what comes before.
    const expected = from === 0 ? undefined : (checkpoint?.fingerprint ?? null);
    const source = await openLogFile(join(this.options.dir, file.name), file, from, expected);
    if (!source) return undefined;
    run.summary.filesRead += 1;
    const splitter = source.gzipped
      ? new LineSplitter(from, from)
      : new LineSplitter(from, 0, source.before);
    let verified = !source.gzipped || from === 0;
    // The pipeline rejects with an abort, not with what its consumer threw.
    let mismatch: CheckpointMismatch | undefined;
    const consume = async (chunks: AsyncIterable<Buffer>) => {
      for await (let chunk of chunks) {
        if (!verified) {
          chunk = splitter.skipFrom(chunk);
          if (splitter.skipping > 0) continue;
          verified = true;
          if (expected && splitter.fingerprint() !== expected) {
            mismatch = new CheckpointMismatch('the bytes before its checkpoint changed');
            throw mismatch;
          }
        }
        splitter.push(chunk, run.onLine);
        await run.readTo(splitter.position, splitter.fingerprint());
        // Leaving the loop destroys the stream; the lines up to here commit with the checkpoint.
        if (run.stopped) return;
      }
    };
    run.begin(file.name, checkpoint ? checkpoint.position : null, from);
    try {
      if (source.gzipped) {
        await pipeline(source.input, createGunzip({ chunkSize: READ_CHUNK_BYTES }), consume);
        if (!verified) mismatch = new CheckpointMismatch('it is shorter than its checkpoint');
        if (mismatch) throw mismatch;
        // A gzipped file gets no more lines: a partial last line is a truncated one.
        if (!run.stopped) run.complete(splitter.pending > 0);
      } else {
        await pipeline(source.input, consume);
        // A file no longer written will not complete its last line: it is a truncated one, and
        // what may follow it must not be glued to it.
        if (!run.stopped && source.abandoned && splitter.dropTail()) {
          run.truncated();
          await run.readTo(splitter.position, splitter.fingerprint());
        }
      }
    } catch (error) {
      if (run.failure) throw run.failure;
      if (mismatch) {
        run.end();
        throw mismatch;
      }
      // Stopped: the stream was destroyed on purpose.
      if (run.stopped) return run.end();
      // A file that cannot be read (a corrupt archive) must not stop the others; what was read
      // of it is kept, and the next run tries again from there.
      this.logger.warn(
        `Could not read ${file.name}${source.gzipped ? '.gz' : ''} past byte ` +
          `${splitter.position}: ${(error as Error).message}`,
      );
    }
    return run.end();
  }
}

async function loadCheckpoints(
  dataSource: DataSource,
  files: PredictionLogFile[],
): Promise<Map<string, Checkpoint>> {
  const rows = await dataSource.query<
    { file: string; position: string; completed: boolean; fingerprint: string | null }[]
  >(
    `SELECT file, position, completed, fingerprint
       FROM prediction_log_checkpoints WHERE file = ANY($1::text[])`,
    [files.map((f) => f.name)],
  );
  return new Map(
    rows.map((r) => [
      r.file,
      { position: Number(r.position), completed: r.completed, fingerprint: r.fingerprint },
    ]),
  );
}

interface LogSource {
  input: Readable;
  gzipped: boolean;
  /** Plain file: the bytes just before the position read from. */
  before?: Buffer;
  /** Plain file: not modified for `TAIL_ABANDONED_AFTER_MS`. */
  abandoned?: boolean;
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The streams that read `file` from `position`: the plain file while there is no gzipped copy,
 * else the gzipped one. Undefined when there is nothing new or the file is gone (retention).
 * A plain file that is shorter than `position`, or whose bytes before it do not have the
 * `fingerprint` (when one is given), throws `CheckpointMismatch`.
 */
async function openLogFile(
  path: string,
  file: PredictionLogFile,
  position: number,
  fingerprint: string | null | undefined,
): Promise<LogSource | undefined> {
  if (!file.gzipped) {
    const handle = await openIfExists(path);
    if (handle) {
      const { size, mtimeMs } = await handle.stat();
      if (size === position) {
        await handle.close();
        return undefined;
      }
      let before: Buffer | undefined;
      try {
        if (size < position) throw new CheckpointMismatch('it is shorter than its checkpoint');
        if (position > 0) {
          const length = Math.min(position, FINGERPRINT_BYTES);
          before = Buffer.alloc(length);
          await handle.read(before, 0, length, position - length);
          if (fingerprint && fingerprintOf(before) !== fingerprint) {
            throw new CheckpointMismatch('the bytes before its checkpoint changed');
          }
        }
      } catch (error) {
        await handle.close();
        throw error;
      }
      // Up to the size seen now: lines appended meanwhile are for the next run.
      const stream = handle.createReadStream({
        start: position,
        end: size - 1,
        highWaterMark: READ_CHUNK_BYTES,
      });
      const abandoned = Date.now() - mtimeMs >= TAIL_ABANDONED_AFTER_MS;
      return { input: stream, gzipped: false, before, abandoned };
    }
    // Gzipped and removed since the folder was listed: read the gzipped copy.
  }
  const handle = await openIfExists(`${path}.gz`);
  if (!handle) return undefined;
  return { input: handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES }), gzipped: true };
}

/**
 * The batches of one connection: lines go into the open batch; a full batch is committed while
 * the next one fills, and no more than one is in the database at a time.
 */
class IngestionRun {
  /** The error of a failed commit: the run stops with it. */
  failure: Error | undefined;
  private batch: PredictionBatch;
  private committing: Promise<void> = Promise.resolve();
  private current: CheckpointAdvance | undefined;
  private fileLines = 0;

  constructor(
    private readonly client: PoolClient,
    readonly summary: IngestionSummary,
    private readonly referenceOf: ReferenceLookup | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly partitions: PredictionPartitions | undefined,
  ) {
    this.batch = new PredictionBatch(referenceOf);
  }

  /** Whether the run was asked to stop. */
  get stopped(): boolean {
    return this.signal?.aborted ?? false;
  }

  /** Starts a file read from `from`, whose checkpoint is at `expected` (null: none). */
  begin(file: string, expected: number | null, from: number): void {
    this.fileLines = 0;
    this.current = this.batch.track({
      file,
      expected,
      position: from,
      fingerprint: null,
      lines: 0,
      skipped: 0,
      completed: false,
    });
  }

  /** Takes one line of the current file (`undefined`: too long to be a record). */
  readonly onLine = (line: string | undefined): void => {
    const advance = this.file();
    this.summary.lines += 1;
    advance.lines += 1;
    this.fileLines += 1;
    const record = line === undefined ? undefined : parsePredictionLine(line);
    if (line !== undefined && record) {
      this.batch.add(line, record);
    } else {
      this.batch.skip();
      this.countSkipped(advance);
    }
  };

  /** Records how far the current file has been consumed; commits the batch once it is full. */
  async readTo(position: number, fingerprint: string | null): Promise<void> {
    const advance = this.file();
    advance.position = position;
    advance.fingerprint = fingerprint;
    if (this.batch.lines >= BATCH_LINES) await this.dispatch();
  }

  /** Counts the current file's partial last line, taken as truncated. */
  truncated(): void {
    const advance = this.file();
    this.summary.lines += 1;
    advance.lines += 1;
    this.fileLines += 1;
    this.batch.skip();
    this.countSkipped(advance);
  }

  /** Marks the current file completed, counting its truncated last line if it has one. */
  complete(truncated: boolean): void {
    const advance = this.file();
    if (truncated) this.countSkipped(advance);
    advance.completed = true;
  }

  /** Ends the current file (its checkpoint commits with the open batch); the lines read. */
  end(): number {
    this.current = undefined;
    return this.fileLines;
  }

  /** Commits what is left and waits for every commit. */
  async finish(): Promise<void> {
    await this.dispatch();
    await this.committing;
    if (this.failure) throw this.failure;
  }

  /** Waits for the commit in flight, whatever its outcome (before the client is released). */
  async settle(): Promise<void> {
    await this.committing;
  }

  private file(): CheckpointAdvance {
    if (!this.current) throw new Error('No prediction log file is being read');
    return this.current;
  }

  private countSkipped(advance: CheckpointAdvance): void {
    this.summary.skipped += 1;
    advance.skipped += 1;
  }

  private async dispatch(): Promise<void> {
    const batch = this.batch;
    this.batch = new PredictionBatch(this.referenceOf);
    if (this.current) {
      // The file being read goes on in the new batch, from where this one leaves it.
      const { file, position, fingerprint } = this.current;
      this.current = this.batch.track({
        file,
        expected: position,
        position,
        fingerprint,
        lines: 0,
        skipped: 0,
        completed: false,
      });
    }
    await this.committing;
    if (this.failure) throw this.failure;
    // Lines of a day without its partition yet (a back-fill, a replica's logs read days later)
    // go into their day's partition rather than into the DEFAULT one, to be moved later.
    await this.partitions?.ensure(batch.days);
    this.committing = batch.commit(this.client).then(
      ({ staged, inserted, uncounted }) => {
        this.summary.inserted += inserted;
        this.summary.duplicates += staged - inserted;
        for (const version of uncounted) {
          if (!this.summary.uncountedVersions.includes(version)) {
            this.summary.uncountedVersions.push(version);
          }
        }
      },
      (error: Error) => {
        this.failure = error;
      },
    );
  }
}
