import { DEFAULT_MONITORING_OPTIONS, MleModule, ModelService } from '@app/mle';
import { SalesGroundTruth } from '@app/sales/model/sales-ground-truth';
import { SalesModel } from '@app/sales/model/sales.model';
import { SalesTrainingData } from '@app/sales/model/sales-training-data';
import { SalesModule } from '@app/sales/sales.module';
import { DynamicModule, Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../config/env.validation';

/** The model this service serves. To serve another, change this line. */
export const SERVED_MODEL: Type<ModelService> = SalesModel;

/**
 * The kit bound to `model`, with options from the validated configuration. A command-line tool
 * (`forCommand`) neither loads nor trains a model at start and schedules no evaluation.
 */
export function modelModule(
  model: Type<ModelService> = SERVED_MODEL,
  { forCommand = false }: { forCommand?: boolean } = {},
): DynamicModule {
  return MleModule.forRoot({
    model,
    trainingData: SalesTrainingData,
    groundTruth: SalesGroundTruth,
    imports: [SalesModule],
    inject: [ConfigService],
    useOptions: (config: ConfigService<Env, true>) => {
      const cron = config.get('EVALUATION_CRON', { infer: true });
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
          cron: cron === 'off' || forCommand ? undefined : cron,
          timeZone: config.get('EVALUATION_TZ', { infer: true }),
          lockTimeoutMs: Math.round(1000 * config.get('EVALUATION_LOCK_TIMEOUT', { infer: true })),
          psiModerate: config.get('DRIFT_PSI_MODERATE', { infer: true }),
          psiSignificant: config.get('DRIFT_PSI_SIGNIFICANT', { infer: true }),
          webhookUrl: config.get('RETRAINING_WEBHOOK_URL', { infer: true }),
          webhookTimeoutMs: config.get('RETRAINING_WEBHOOK_TIMEOUT_MS', { infer: true }),
        },
      };
    },
  });
}
