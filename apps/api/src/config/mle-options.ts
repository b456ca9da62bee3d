import { DEFAULT_LIFECYCLE_OPTIONS } from '@app/mle/lifecycle';
import { DEFAULT_MONITORING_OPTIONS } from '@app/mle/monitoring';
import { MleOptionsInput } from '@app/mle/module';
import { ConfigService } from '@nestjs/config';
import { Env } from './env.validation';

/**
 * The kit's options from the validated configuration. A command-line tool (`forCommand`) neither
 * loads nor trains a model at start, schedules no evaluation and ingests nothing by itself.
 * `ingest: false`: a process that serves but leaves the periodic ingestion of LOG_DIR to another
 * (the workers of WORKERS > 1, whose primary ingests the folder they share).
 */
export function mleOptions(
  config: ConfigService<Env, true>,
  { forCommand = false, ingest = !forCommand }: { forCommand?: boolean; ingest?: boolean } = {},
): MleOptionsInput {
  const cron = config.get('EVALUATION_CRON', { infer: true });
  const ingestInterval = config.get('INGEST_INTERVAL', { infer: true });
  return {
    modelDir: config.get('MODEL_DIR', { infer: true }),
    keepVersions: config.get('MODEL_KEEP_VERSIONS', { infer: true }),
    loadOnStart: !forCommand,
    // Demo mode (embedded database): a first `npm start` trains a model rather than serve none.
    trainWhenMissing: !forCommand && !config.get('DATABASE_URL', { infer: true }),
    predictionLog: {
      enabled: config.get('PREDICTION_LOG', { infer: true }) === 'on',
      dir: config.get('LOG_DIR', { infer: true }),
      maxSize: config.get('LOG_MAX_SIZE', { infer: true }),
      retentionDays: config.get('LOG_RETENTION_DAYS', { infer: true }),
    },
    monitoring: {
      ...DEFAULT_MONITORING_OPTIONS,
      accuracyThreshold: config.get('ACCURACY_THRESHOLD', { infer: true }),
      minLabelled: config.get('MIN_LABELED', { infer: true }),
      windowDays: config.get('EVALUATION_WINDOW_DAYS', { infer: true }),
      labelDelayDays: config.get('LABEL_DELAY_DAYS', { infer: true }),
      retentionDays: config.get('PREDICTION_RETENTION_DAYS', { infer: true }),
      cron: cron === 'off' || forCommand ? undefined : cron,
      timeZone: config.get('EVALUATION_TZ', { infer: true }),
      lockTimeoutMs: Math.round(1000 * config.get('EVALUATION_LOCK_TIMEOUT', { infer: true })),
      ingestIntervalMs: ingest && ingestInterval > 0 ? ingestInterval * 1000 : undefined,
      psiModerate: config.get('DRIFT_PSI_MODERATE', { infer: true }),
      psiSignificant: config.get('DRIFT_PSI_SIGNIFICANT', { infer: true }),
      webhookUrl: config.get('RETRAINING_WEBHOOK_URL', { infer: true }),
      webhookTimeoutMs: config.get('RETRAINING_WEBHOOK_TIMEOUT_MS', { infer: true }),
    },
    lifecycle: {
      ...DEFAULT_LIFECYCLE_OPTIONS,
      mode: config.get('RETRAINING_MODE', { infer: true }),
      retrainWindowDays: config.get('RETRAIN_WINDOW_DAYS', { infer: true }),
      shadowDays: config.get('SHADOW_DAYS', { infer: true }),
    },
  };
}
