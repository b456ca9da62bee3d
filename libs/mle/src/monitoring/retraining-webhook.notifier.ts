import { Injectable, Logger } from '@nestjs/common';
import { Evaluation } from './evaluation';
import { webhookBody } from './evaluation.views';

export interface WebhookOptions {
  url?: string;
  timeoutMs: number;
  retries: number;
}

export type WebhookOutcome =
  { sent: true; attempts: number } | { sent: false; attempts: number; error?: string };

/**
 * POSTs a RETRAIN recommendation (and the promotions and rollbacks that follow) as JSON to RETRAINING_WEBHOOK_URL. Every attempt has a timeout,
 * retries back off, and nothing it does can throw or outlast `retries × (timeout + backoff)`:
 * a dead or hanging receiver never fails or holds up the job.
 */
@Injectable()
export class RetrainingWebhookNotifier {
  private readonly logger = new Logger('RetrainingWebhook');

  async notify(evaluation: Evaluation, options: WebhookOptions): Promise<WebhookOutcome> {
    return this.post(
      webhookBody(evaluation),
      options,
      `the ${evaluation.recommendation} recommendation`,
    );
  }

  /** POSTs any event of the retraining loop (`what` names it in the warning). */
  async post(event: object, options: WebhookOptions, what: string): Promise<WebhookOutcome> {
    if (!options.url) return { sent: false, attempts: 0 };
    const body = JSON.stringify(event);
    const attempts = Math.max(1, options.retries);
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return { sent: true, attempts: attempt };
        error = `HTTP ${response.status}`;
      } catch (cause) {
        error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      }
      if (attempt < attempts) {
        await new Promise((done) => setTimeout(done, 250 * 2 ** (attempt - 1)));
      }
    }
    this.logger.warn(
      `Could not deliver ${what} to the webhook after ${attempts} attempts (${error}). Check RETRAINING_WEBHOOK_URL.`,
    );
    return { sent: false, attempts, error };
  }
}
