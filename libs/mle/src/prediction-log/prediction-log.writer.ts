import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { createLogger, format, Logger as Winston } from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { MleMetrics } from '../metrics/mle-metrics';
import { PREDICTION_LOG_OPTIONS } from '../module/mle.constants';
import { gzipExclusive, keepCompleteLines } from './log-file';
import { PREDICTION_LOG_FILE_PREFIX, PredictionLogOptions } from './prediction-log.options';
import { PredictionRecord } from './prediction-record';

const RETRY_AFTER_MS = 5_000;
const CLOSE_TIMEOUT_MS = 10_000;
const DAY_MS = 86_400_000;

/** One opening of the log: a rotating transport and the files it alone writes. */
interface Generation {
  winston: Winston;
  /** Records handed to the transport. */
  sent: number;
  /** Every file the transport has opened, in order (full paths). */
  files: string[];
  /** Rotated files gzipped, with the lines each held. */
  archived: Map<string, number>;
  archives: Set<Promise<void>>;
  rotations: number;
  closes: number;
  opened: boolean;
  failed: boolean;
  /** Resolves once every file stream of the generation has closed. */
  closed: Promise<void>;
  onClosed: () => void;
}

/** Health of the prediction log, for readiness. */
export interface PredictionLogHealth {
  enabled: boolean;
  writable: boolean;
  /** Records not written (each answered prediction is either one line or one of these). */
  writeErrors: number;
  lastError?: string;
  file?: string;
}

/**
 * Appends prediction records as JSON lines through winston and winston-daily-rotate-file.
 *
 * - Off the request path: `write` only queues the record; the queue is serialised and written
 *   once per event-loop turn, as one block, so a rotation never splits a line.
 * - Each opening of the log (a generation) writes a file set of its own,
 *   `predictions-<host>-<pid>-<generation>-<date>.jsonl[.N]`, created exclusively: no name is
 *   ever written twice, across replicas, reopenings, restarts (pid 1 in a container) and
 *   rotations, so a checkpoint never meets a file it did not see grow.
 * - Rotated files are gzipped here, once their stream has closed (the transport's own
 *   `zippedArchive` reads the old file while its last writes may still be in flight), and
 *   linked into place: an existing `.gz` is never replaced.
 * - A write error never reaches the caller. The generation is abandoned; once its streams have
 *   closed, each file is cut back to its last complete line and the records it sent but its files
 *   do not hold are counted as write errors. Records that arrive while no file is open are
 *   counted at once. So every record is one line on disk or one counted error. A new generation
 *   opens after a pause; readiness shows `degraded` until it is open and the losses are counted.
 * - `close` (on application shutdown) writes what is queued, ends the streams and waits until
 *   the files are closed: winston's `finish` comes before the data is on disk.
 */
@Injectable()
export class PredictionLogWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('PredictionLog');
  private queue: PredictionRecord[] = [];
  private scheduled = false;
  private log: Generation | undefined;
  private retryAt = 0;
  private closed = false;
  /** Abandoned generations whose losses are being counted. */
  private readonly settling = new Set<Promise<void>>();
  private health: PredictionLogHealth;
  private readonly writer: string;

  constructor(
    @Inject(PREDICTION_LOG_OPTIONS) private readonly options: PredictionLogOptions,
    private readonly metrics: MleMetrics,
  ) {
    const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    this.writer = `${PREDICTION_LOG_FILE_PREFIX}-${host}-${process.pid}`;
    this.health = { enabled: options.enabled, writable: options.enabled, writeErrors: 0 };
    if (options.enabled) void this.removeExpired();
  }

  /** Queues records; returns at once. */
  write(records: readonly PredictionRecord[]): void {
    if (!this.options.enabled || this.closed) return;
    for (const record of records) this.queue.push(record);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  status(): PredictionLogHealth {
    return { ...this.health };
  }

  /** Resolves once the losses of every abandoned generation are counted. */
  async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.all(this.settling);
  }

  /** Writes the queue as one block. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const records = this.queue;
    this.queue = [];
    const log = this.open();
    if (!log) return this.lost(records.length);
    let block = '';
    for (const record of records) block += `${JSON.stringify(record)}\n`;
    log.sent += records.length;
    // The transport adds the final newline.
    log.winston.info(block.slice(0, -1));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Flushes, closes every file and finishes the archiving; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const log = this.log;
    this.log = undefined;
    const done = (async () => {
      if (log) {
        log.winston.end();
        await log.closed;
        await Promise.all(log.archives);
      }
      await this.settled();
    })();
    // A stream that failed may never close; do not hang the shutdown on it.
    await Promise.race([
      done,
      new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()),
    ]);
  }

  private open(): Generation | undefined {
    if (this.log) return this.log;
    if (Date.now() < this.retryAt) return undefined;
    // Time first, so that a writer's file sets sort in the order they were opened.
    const generation = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    let transport: DailyRotateFile;
    try {
      transport = new DailyRotateFile({
        dirname: this.options.dir,
        filename: `${this.writer}-${generation}-%DATE%`,
        extension: '.jsonl',
        datePattern: 'YYYY-MM-DD',
        utc: true,
        maxSize: this.options.maxSize,
        zippedArchive: false,
        // Exclusive: a name that exists is an error, never a file appended to.
        options: { flags: 'wx' },
      });
    } catch (error) {
      // Nothing was sent: the caller counts the records it could not write.
      this.failed(error as Error);
      return undefined;
    }
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const log: Generation = {
      winston: createLogger({
        level: 'info',
        format: format.printf((info) => String(info.message)),
        transports: [transport],
      }),
      sent: 0,
      files: [],
      archived: new Map(),
      archives: new Set(),
      rotations: 0,
      closes: 0,
      opened: false,
      failed: false,
      closed,
      onClosed,
    };
    // The rotating stream re-emits its file streams' events: count them to know when the last
    // one has closed, and gzip each rotated file once its stream has closed.
    const stream = (transport as unknown as { logStream: NodeJS.EventEmitter }).logStream;
    const seen = (file: string) => {
      if (!log.files.includes(file)) log.files.push(file);
    };
    const rotated: string[] = [];
    stream.on('new', (file: string) => {
      seen(file);
      if (log.rotations === 0) this.health.file = file;
    });
    stream.on('rotate', (oldFile: string, newFile: string) => {
      seen(oldFile);
      seen(newFile);
      this.health.file = newFile;
      log.rotations += 1;
      rotated.push(oldFile);
    });
    stream.on('open', () => {
      log.opened = true;
      this.refreshWritable();
    });
    stream.on('close', () => {
      log.closes += 1;
      const file = rotated.shift();
      if (file && log.closes <= log.rotations && !log.failed) this.archive(log, file);
      if (log.closes > log.rotations) log.onClosed();
    });
    stream.on('error', (error: Error) => this.onError(log, error));
    transport.on('error', (error: Error) => this.onError(log, error));
    log.winston.on('error', (error: Error) => this.onError(log, error));
    this.log = log;
    return log;
  }

  /** Marks the log unwritable and schedules the next attempt. */
  private failed(error: Error): void {
    this.health = { ...this.health, writable: false, lastError: error.message };
    this.logger.error(`Prediction log write failed: ${error.message}. Retrying in 5 s.`);
    this.retryAt = Date.now() + RETRY_AFTER_MS;
  }

  /** Abandons a generation at its first error; its losses are counted once it has closed. */
  private onError(log: Generation, error: Error): void {
    if (log.failed) return;
    log.failed = true;
    this.failed(error);
    if (this.log === log) this.log = undefined;
    log.winston.end();
    const task = this.settle(log);
    this.settling.add(task);
    void task.finally(() => {
      this.settling.delete(task);
      this.refreshWritable();
    });
  }

  /**
   * Counts what an abandoned generation lost: once its streams have closed, each of its files
   * is cut back to its last complete line (so nothing is ever glued to a partial one) and the
   * records sent but not held are write errors. Its finished files are then gzipped.
   */
  private async settle(log: Generation): Promise<void> {
    await log.closed;
    while (log.archives.size > 0) await Promise.all(log.archives);
    let held = 0;
    const finished: string[] = [];
    for (const file of log.files) {
      const archived = log.archived.get(file);
      if (archived !== undefined) {
        held += archived;
        continue;
      }
      try {
        const lines = await keepCompleteLines(file);
        held += lines;
        if (lines > 0) finished.push(file);
      } catch (error) {
        this.logger.warn(`Could not check ${file}: ${(error as Error).message}`);
      }
    }
    this.lost(Math.max(0, log.sent - held));
    for (const file of finished) this.archive(log, file);
    await Promise.all(log.archives);
  }

  private refreshWritable(): void {
    this.health.writable =
      this.options.enabled && this.log?.opened === true && this.settling.size === 0;
  }

  private lost(count: number): void {
    if (count === 0) return;
    this.metrics.predictionLogWriteErrors.inc(count);
    this.health.writeErrors += count;
  }

  private archive(log: Generation, file: string): void {
    const task = (async () => {
      try {
        log.archived.set(file, await gzipExclusive(file));
      } catch (error) {
        this.logger.warn(`Could not gzip ${basename(file)}: ${(error as Error).message}`);
      }
    })();
    log.archives.add(task);
    void task.finally(() => log.archives.delete(task));
  }

  /** Deletes gzipped logs (of any process) older than the retention. */
  private async removeExpired(): Promise<void> {
    try {
      const cutoff = Date.now() - this.options.retentionDays * DAY_MS;
      for (const name of await readdir(this.options.dir)) {
        if (!name.startsWith(PREDICTION_LOG_FILE_PREFIX) || !name.endsWith('.gz')) continue;
        const path = join(this.options.dir, name);
        if ((await stat(path)).mtimeMs < cutoff) await rm(path, { force: true });
      }
    } catch {
      // A missing folder has nothing to expire.
    }
  }
}
