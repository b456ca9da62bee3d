import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

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
 * hooks (the prediction log is flushed and its files closed, connections end). Resolves with the
 * exit code: 0, or 1 when something failed (logged).
 */
export async function closeApp(app: NestFastifyApplication, logger: Logger): Promise<number> {
  try {
    await app.getHttpAdapter().getInstance().close();
    await app.close();
    return 0;
  } catch (error) {
    logger.error(`Shutdown failed: ${(error as Error).message}`);
    return 1;
  }
}
