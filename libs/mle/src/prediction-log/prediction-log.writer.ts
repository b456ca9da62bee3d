import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createLogger, format, Logger as Winston } from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { MleMetrics } from '../metrics/mle-metrics';
import { PREDICTION_LOG_OPTIONS } from '../mle.constants';
import { PREDICTION_LOG_FILE_PREFIX, PredictionLogOptions } from './prediction-log.options';
import { PredictionRecord } from './prediction-record';

const RETRY_AFTER_MS = 5_000;
const DAY_MS = 86_400_000;

interface OpenLog {
  winston: Winston;
  transport: DailyRotateFile;
  rotations: number;
  closes: number;
  onAllClosed?: () => void;
}

/** Health of the prediction log, for readiness. */
export interface PredictionLogHealth {
  enabled: boolean;
  writable: boolean;
  writeErrors: number;
  lastError?: string;
  file?: string;
}

/**
 * Appends prediction records as JSON lines through winston and winston-daily-rotate-file.
 *
 * - Off the request path: `write` only queues the record; the queue is serialised and written
 *   once per event-loop turn, as one block, so a rotation never splits a line.
 * - One file set per process (`predictions-<host>-<pid>-<date>.jsonl[.N]`): replicas sharing the
 *   folder never interleave.
 * - Rotated files are gzipped here, once their stream has closed (the transport's own
 *   `zippedArchive` reads the old file while its last writes may still be in flight).
 * - A write error never reaches the caller: it is counted, readiness reports it, and the file is
 *   reopened after a pause.
 * - `close` (on application shutdown) writes what is queued, ends the streams and waits until
 *   the files are closed: winston's `finish` comes before the data is on disk.
 */
@Injectable()
export class PredictionLogWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('PredictionLog');
  private queue: PredictionRecord[] = [];
  private scheduled = false;
  private log: OpenLog | undefined;
  private retryAt = 0;
  private closed = false;
  private readonly archiving = new Set<Promise<void>>();
  private pendingArchives: string[] = [];
  private health: PredictionLogHealth;
  readonly filePattern: string;

  constructor(
    @Inject(PREDICTION_LOG_OPTIONS) private readonly options: PredictionLogOptions,
    private readonly metrics: MleMetrics,
  ) {
    const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    this.filePattern = `${PREDICTION_LOG_FILE_PREFIX}-${host}-${process.pid}-%DATE%`;
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

  /** Writes the queue as one block. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const records = this.queue;
    this.queue = [];
    const log = this.open();
    if (!log) return this.failed(records.length);
    let block = '';
    for (const record of records) block += `${JSON.stringify(record)}\n`;
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
    if (log) {
      await new Promise<void>((resolve) => {
        log.onAllClosed = resolve;
        log.winston.end();
        // A stream that failed may never close; do not hang the shutdown on it.
        setTimeout(resolve, 10_000).unref();
      });
    }
    await Promise.all(this.archiving);
    // The rotation audit is per process: it has no use once this process's files are closed.
    if (log) await rm(this.auditFile, { force: true });
  }

  private get auditFile(): string {
    return join(this.options.dir, `.audit-${this.filePattern.replace('-%DATE%', '')}.json`);
  }

  private open(): OpenLog | undefined {
    if (this.log) return this.log;
    if (Date.now() < this.retryAt) return undefined;
    try {
      const transport = new DailyRotateFile({
        dirname: this.options.dir,
        filename: this.filePattern,
        extension: '.jsonl',
        datePattern: 'YYYY-MM-DD',
        utc: true,
        maxSize: this.options.maxSize,
        zippedArchive: false,
        auditFile: this.auditFile,
      });
      const log: OpenLog = {
        winston: createLogger({
          level: 'info',
          format: format.printf((info) => String(info.message)),
          transports: [transport],
        }),
        transport,
        rotations: 0,
        closes: 0,
      };
      // The rotating stream re-emits its file streams' events: count them to know when the
      // last one has closed, and gzip each rotated file once its stream has closed.
      const stream = (transport as unknown as { logStream: NodeJS.EventEmitter }).logStream;
      stream.on('new', (file: string) => (this.health.file = file));
      stream.on('rotate', (oldFile: string) => {
        log.rotations += 1;
        this.pendingArchives.push(oldFile);
      });
      stream.on('close', () => {
        log.closes += 1;
        const rotated = this.pendingArchives.shift();
        if (rotated && log.closes <= log.rotations) this.archive(rotated);
        if (log.onAllClosed && log.closes > log.rotations) log.onAllClosed();
      });
      stream.on('error', (error: Error) => this.onError(log, error));
      transport.on('error', (error: Error) => this.onError(log, error));
      this.log = log;
      this.health.writable = true;
      return log;
    } catch (error) {
      this.onError(undefined, error as Error);
      return undefined;
    }
  }

  private onError(log: OpenLog | undefined, error: Error): void {
    this.metrics.predictionLogWriteErrors.inc();
    this.health = {
      ...this.health,
      writable: false,
      writeErrors: this.health.writeErrors + 1,
      lastError: error.message,
    };
    this.logger.error(`Prediction log write failed: ${error.message}. Retrying in 5 s.`);
    if (log && this.log === log) {
      this.log = undefined;
      log.winston.end();
    }
    this.retryAt = Date.now() + RETRY_AFTER_MS;
  }

  private failed(count: number): void {
    this.metrics.predictionLogWriteErrors.inc(count);
    this.health.writeErrors += count;
  }

  private archive(file: string): void {
    const task = (async () => {
      try {
        const partial = `${file}.gz.partial`;
        await pipeline(createReadStream(file), createGzip(), createWriteStream(partial));
        await rename(partial, `${file}.gz`);
        await unlink(file);
      } catch (error) {
        this.logger.warn(`Could not gzip ${file}: ${(error as Error).message}`);
      }
    })();
    this.archiving.add(task);
    void task.finally(() => this.archiving.delete(task));
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
