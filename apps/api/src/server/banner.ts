import { Logger } from '@nestjs/common';
import { Env } from '../config/env.validation';
import { SERVED_MODELS } from '../served-models';

/** Where everything is, once the service listens; `workers` lists the pids when WORKERS > 1. */
export function banner(env: Env, logger: Logger, workers: readonly number[] = []): void {
  const base = `http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${env.PORT}`;
  logger.log(`API          ${base}  (POST /predict, POST /models/<name>/predict)`);
  logger.log(`Models       ${base}/models  (${SERVED_MODELS.length} served)`);
  logger.log(`Docs         ${base}/docs  (OpenAPI: ${base}/docs-json)`);
  logger.log(`Health       ${base}/health/ready`);
  logger.log(`Metrics      ${base}/metrics`);
  logger.log(`Retraining   ${base}/retraining/status  (RETRAINING_MODE=${env.RETRAINING_MODE})`);
  logger.log(`Versions     ${base}/models/<name>/versions  (champion, shadow, promotions)`);
  logger.log(
    `Dashboard    ${base}/dashboard  (${env.RETRAINING_STATUS_TOKEN ? 'RETRAINING_STATUS_TOKEN as the password' : 'open'})`,
  );
  logger.log(
    `Predictions  logged to ${env.PREDICTION_LOG === 'on' ? env.LOG_DIR : '(off: PREDICTION_LOG=off)'}`,
  );
  if (workers.length) {
    logger.log(
      `Workers      ${workers.length} workers behind the one port (pids ${workers.join(', ')})`,
    );
  }
  if (!env.OPS_TOKEN) {
    logger.warn(
      'OPS_TOKEN is not set: POST /models/<name>/reload and the other ops endpoints are disabled.',
    );
  }
}
