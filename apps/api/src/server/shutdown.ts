import { IngestionScheduler } from '@app/mle/monitoring';
import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/**
 * The ingestion at shutdown ends this long after the signal at the latest, so that with the
 * drain before it and closing the database after it the whole shutdown stays within the 30 s
 * the delivery allows a process (DRAIN_SECONDS in docker/lint-delivery/drain-time.ts).
 */
export const SHUTDOWN_INGESTION_DEADLINE_MS = 25_000;

/** Runs `stop` once, on the first of `signals`; later signals are ignored while it runs. */
export function onShutdownSignals(
  stop: (signal: ShutdownSignal) => Promise<void>,
  signals: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM'],
): void {
  let stopping = false;
  for (const signal of signals) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(signal);
    });
  }
}

/**
 * Stops accepting and lets in-flight requests finish (Fastify's close), then runs the shutdown
 * hooks (the prediction log is flushed and its files closed, its lines ingested until
 * `SHUTDOWN_INGESTION_DEADLINE_MS` after `signalledAt`, connections end). Resolves with the exit
 * code: 0, or 1 when something failed (logged).
 */
export async function closeApp(
  app: NestFastifyApplication,
  logger: Logger,
  signalledAt = Date.now(),
): Promise<number> {
  try {
    app.get(IngestionScheduler).finishBy(signalledAt + SHUTDOWN_INGESTION_DEADLINE_MS);
    await app.getHttpAdapter().getInstance().close();
    await app.close();
    return 0;
  } catch (error) {
    logger.error(`Shutdown failed: ${(error as Error).message}`);
    return 1;
  }
}
